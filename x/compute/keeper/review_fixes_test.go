package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// Deregistering is no way out: not while jailed, not while a commitment
// waits for its reveal; and coming back restores the record.
func TestDeregisterCannotLaunderHistory(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 1)
	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	f.block(true, nil) // epoch 2: w is challenged

	// Commit, then try to leave before revealing.
	p := &prover{addr: w}
	require.NoError(t, p.commit(f))
	f.requireRejected(types.ErrCommitmentPending, func() error {
		_, err := f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(prov), Worker: f.bech(w)})
		return err
	})

	// Jailed: cannot leave either.
	jailed := f.worker(w)
	jailed.Status, jailed.JailedUntil = types.WORKER_STATUS_JAILED, f.height()+100
	require.NoError(t, f.k.Workers.Set(f.ctx, w, jailed))
	f.requireRejected(types.ErrStillJailed, func() error {
		_, err := f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(w), Worker: f.bech(w)})
		return err
	})

	// Active again with a poor record, no pending commitment: it may leave,
	// but re-registering keeps the record (reputation never resets upward).
	jailed.Status, jailed.JailedUntil, jailed.ReputationBps, jailed.Missed, jailed.Frauds = types.WORKER_STATUS_ACTIVE, 0, 1200, 4, 1
	require.NoError(t, f.k.Workers.Set(f.ctx, w, jailed))
	require.NoError(t, f.k.Commitments.Remove(f.ctx, collectionsJoinEpoch(p.epoch, w)))
	_, err := f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(w), Worker: f.bech(w)})
	require.NoError(t, err)
	f.register(prov, w, 1)
	back := f.worker(w)
	require.EqualValues(t, 1200, back.ReputationBps)
	require.EqualValues(t, 4, back.Missed)
	require.EqualValues(t, 1, back.Frauds)
	has, err := f.k.Tombstones.Has(f.ctx, w)
	require.NoError(t, err)
	require.False(t, has, "the tombstone is consumed on re-registration")
}

// Committing and then withholding the reveal is a miss AND a slash of the
// provider's pool; verified capacity drops to zero.
func TestWithheldRevealIsSlashed(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 2)
	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	f.block(true, nil) // epoch 2: pass, to earn verified units
	p := &prover{addr: w}
	require.NoError(t, p.commit(f))
	f.advanceTo(f.currentEpoch().CommitEnd + 1)
	out, err := p.reveal(f)
	require.NoError(t, err)
	require.Equal(t, types.PROOF_OUTCOME_PASS, out)
	require.EqualValues(t, 2, f.worker(w).VerifiedUnits)

	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	f.block(true, nil) // epoch 3: commit, never reveal
	require.NoError(t, p.commit(f))
	commitHeight := f.height()
	e := f.currentEpoch()
	f.advanceTo(e.RevealEnd + 1)
	require.True(t, f.currentEpoch().Settled)

	ww := f.worker(w)
	require.EqualValues(t, 1, ww.Missed)
	require.Zero(t, ww.VerifiedUnits)
	require.Len(t, f.pool.slashes, 1)
	s := f.pool.slashes[0]
	require.Equal(t, string(prov), s.provider)
	require.Equal(t, "poc-withheld", s.reason)
	require.Equal(t, commitHeight, s.height)
	require.True(t, f.params().WithholdSlashFraction.Equal(s.fraction))
}

// Lowering units caps verified capacity.
func TestUpdateWorkerCapsVerifiedUnits(t *testing.T) {
	f := newFixture(t, smallParams)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 4)
	ww := f.worker(w)
	ww.VerifiedUnits = 4
	require.NoError(t, f.k.Workers.Set(f.ctx, w, ww))
	_, err := f.msg.UpdateWorker(f.ctx, &types.MsgUpdateWorker{Worker: f.bech(w), Spec: types.HardwareSpec{GpuModel: "H100", ComputeUnits: 1}, Models: []string{"m1"}})
	require.NoError(t, err)
	require.EqualValues(t, 1, f.worker(w).VerifiedUnits)
}
