package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// TestMissDecidedAtCommitClose: who owes an epoch an outcome is fixed when
// its commit window closes, not at settlement (issue 17, M2). Between the
// close and settlement: a worker whose pool turns ineligible, or that is
// jailed, still gets its miss; one whose pool turns eligible gets none; a
// silent challenged worker cannot deregister to dodge its miss.
func TestMissDecidedAtCommitClose(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	dodgePool, jailed, late, leaver := addr("work", 1), addr("work", 2), addr("work", 3), addr("work", 4)
	f.register(addr("prov", 1), dodgePool, 1)
	f.register(addr("prov", 2), jailed, 1)
	f.register(addr("prov", 3), late, 1)
	f.register(addr("prov", 4), leaver, 1)
	f.pool.ineligible[string(addr("prov", 3))] = true // ineligible at the close
	f.nextEpoch()
	e := f.currentEpoch()
	f.advanceTo(e.CommitEnd + 1) // the window has closed

	f.pool.ineligible[string(addr("prov", 1))] = true
	w := f.worker(jailed)
	w.Status, w.JailedUntil = types.WORKER_STATUS_JAILED, f.height()+100
	require.NoError(t, f.k.Workers.Set(f.ctx, jailed, w))
	delete(f.pool.ineligible, string(addr("prov", 3)))
	_, err := f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(leaver), Worker: f.bech(leaver)})
	require.ErrorIs(t, err, types.ErrCommitmentPending, "a challenged worker cannot leave before settlement")

	f.advanceTo(e.RevealEnd)
	require.True(t, f.currentEpoch().Settled)
	require.Equal(t, uint64(1), f.worker(dodgePool).Missed, "pool turned ineligible after the close")
	require.Equal(t, uint64(1), f.worker(jailed).Missed, "jailed after the close")
	require.Equal(t, uint64(0), f.worker(late).Missed, "pool ineligible at the close")
	require.Equal(t, uint64(1), f.worker(leaver).Missed)
	// Settled: now it may leave.
	_, err = f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(leaver), Worker: f.bech(leaver)})
	require.NoError(t, err)
}
