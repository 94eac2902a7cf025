package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// After a chain halt x/epochs fires every missed epoch, one per block. Those
// epochs are skipped (no challenge, no miss), the epoch open at the halt
// keeps its windows, the live epoch that a catch-up cuts short charges no
// miss, and honest workers end with no miss, no jail and no slash.
func TestEpochsAfterAHaltChargeNoMiss(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.MaxMissed, p.MissedWindow = 2, 10 })
	f.block(true, nil)
	p, q := &prover{addr: addr("work", 1)}, &prover{addr: addr("work", 2)}
	f.register(addr("prov", 1), p.addr, 1)
	f.register(addr("prov", 2), q.addr, 1)
	// slow was still proving the open epoch when the chain stopped, and
	// does not make the rest of its commit window after the restart.
	slow := &prover{addr: addr("work", 3)}
	f.register(addr("prov", 3), slow.addr, 1)
	f.nextEpoch()
	open := f.currentEpoch()
	f.block(false, func() {
		require.NoError(t, p.commit(f))
		require.NoError(t, q.commit(f))
	})

	// The chain halts for 20 epochs; on restart every block starts one.
	const missed = 20
	f.epochs.lag = missed * fakeEpochDuration
	skipped := 0
	for i := 0; i < missed; i++ {
		f.epochs.lag -= fakeEpochDuration
		f.block(true, func() {
			if f.height() == open.CommitEnd+1 {
				for _, w := range []*prover{p, q} {
					w.mustReveal(f, types.PROOF_OUTCOME_PASS)
				}
			}
		})
		for _, ev := range f.events("mesh.compute.v1.EventEpochSkipped") {
			skipped++
			require.Contains(t, string(ev.Attributes[1].Value), "catch-up after a chain halt")
		}
	}
	// 19 catch-up epochs skipped; the 20th is live (it ends lag < 30 s from now).
	require.Equal(t, missed-1, skipped)
	halted, err := f.k.Settling.Get(f.ctx, open.Number)
	if err == nil {
		require.True(t, halted.CutShort, "the epoch open at the halt")
	}
	live := f.currentEpoch()
	require.Equal(t, open.Number+missed, live.Number)

	// The live epoch ends within a block: the next one cuts its commit window short.
	f.epochs.lag = 0
	f.block(true, nil)
	next := f.currentEpoch()
	cut, err := f.k.Settling.Get(f.ctx, live.Number)
	require.NoError(t, err)
	require.True(t, cut.CutShort)
	f.block(false, func() {
		for _, w := range []*prover{p, q, slow} {
			require.NoError(t, w.commit(f))
		}
	})
	f.at(next.CommitEnd+1, func() {
		for _, w := range []*prover{p, q, slow} {
			w.mustReveal(f, types.PROOF_OUTCOME_PASS)
		}
	})
	f.advanceTo(next.RevealEnd + 2)

	require.Empty(t, f.pool.slashes)
	require.Zero(t, f.worker(slow.addr).Missed, "no miss for the epoch the halt fell in")
	require.Equal(t, uint64(1), f.worker(slow.addr).Passed)
	for _, w := range []*prover{p, q} {
		rec := f.worker(w.addr)
		require.Equal(t, types.WORKER_STATUS_ACTIVE, rec.Status)
		require.Zero(t, rec.Missed, "no miss from the halt")
		require.Equal(t, uint64(2), rec.Passed)
		require.NotZero(t, rec.VerifiedUnits)
	}
	_, err = f.k.Settling.Get(f.ctx, live.Number)
	require.ErrorIs(t, err, errNotFound, "the cut-short epoch settled")
}

// Without the halt the same schedule is an ordinary epoch: a worker that
// does not commit to a live epoch misses it (the exemption is only for
// epochs cut short).
func TestLiveEpochStillChargesMisses(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	w := addr("work", 1)
	f.register(addr("prov", 1), w, 1)
	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	f.epochs.lag = fakeEpochDuration - time.Second // live, though late
	f.block(true, nil)
	require.Empty(t, f.events("mesh.compute.v1.EventEpochSkipped"))
	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	require.Equal(t, uint64(1), f.worker(w).Missed)
}
