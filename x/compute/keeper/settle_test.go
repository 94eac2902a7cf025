package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// With more workers than max_settlements_per_block, settlement spans blocks
// and never exceeds the cap.
func TestSettlementIsBoundedPerBlock(t *testing.T) {
	const workers, perBlock = 25, 10
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.MaxSettlementsPerBlock = perBlock })
	f.block(true, nil) // epoch 1: nobody registered yet
	for i := 0; i < workers; i++ {
		f.register(addr("prov", i), addr("work", i), 1)
	}
	f.nextEpoch() // epoch 2: everyone eligible, nobody commits
	e := f.currentEpoch()
	f.advanceTo(e.RevealEnd - 1)

	var perBlockMisses []int
	for !f.currentEpoch().Settled {
		f.block(false, nil)
		n := len(f.events("mesh.compute.v1.EventPoCResult"))
		require.LessOrEqual(t, n, perBlock)
		perBlockMisses = append(perBlockMisses, n)
		if !f.currentEpoch().Settled {
			require.NotEmpty(t, f.currentEpoch().SettleCursor)
		}
	}
	require.Equal(t, []int{10, 10, 5}, perBlockMisses)
	for i := 0; i < workers; i++ {
		w := f.worker(addr("work", i))
		require.Equal(t, uint64(1), w.Missed, "worker %d", i)
		require.Equal(t, []int64{e.Number}, w.MissedEpochs)
	}
	// Nothing more happens once settled.
	f.block(false, nil)
	require.Empty(t, f.events("mesh.compute.v1.EventPoCResult"))
}

// Ineligible workers are neither challenged nor counted as missing.
func TestIneligibleWorkersAreNotMissing(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	jailed, badPool, fresh := addr("work", 1), addr("work", 2), addr("work", 3)
	f.register(addr("prov", 1), jailed, 1)
	f.register(addr("prov", 2), badPool, 1)
	w := f.worker(jailed)
	w.Status, w.JailedUntil = types.WORKER_STATUS_JAILED, 1_000_000
	require.NoError(t, f.k.Workers.Set(f.ctx, jailed, w))
	f.pool.ineligible[string(addr("prov", 2))] = true
	f.nextEpoch()
	f.register(addr("prov", 3), fresh, 1) // registered during epoch 2
	f.advanceTo(f.currentEpoch().RevealEnd)
	require.True(t, f.currentEpoch().Settled)
	for _, a := range [][]byte{jailed, badPool, fresh} {
		require.Zero(t, f.worker(a).Missed)
	}
}

// A silent worker is jailed after max_missed misses within missed_window;
// older misses slide out of the window.
func TestMissedWindow(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.MaxMissed, p.MissedWindow = 3, 4 })
	f.block(true, nil)
	p := &prover{addr: addr("work", 1)}
	f.register(addr("prov", 1), p.addr, 1)
	// Epochs 2..: miss, pass, pass, pass, miss, miss (epochs 2, 6, 7 → window (3,7] holds 6, 7), miss (8) → jailed.
	plan := []bool{false, true, true, true, false, false, false}
	for i, pass := range plan {
		f.nextEpoch()
		e := f.currentEpoch()
		if pass {
			f.block(false, func() { require.NoError(t, p.commit(f)) })
			f.at(e.CommitEnd+1, func() {
				_, err := p.reveal(f)
				require.NoError(t, err)
			})
		}
		f.advanceTo(e.RevealEnd)
		w := f.worker(p.addr)
		if i < len(plan)-1 {
			require.Equal(t, types.WORKER_STATUS_ACTIVE, w.Status, "epoch %d", e.Number)
		}
		if i == 5 {
			require.Equal(t, []int64{6, 7}, w.MissedEpochs)
		}
	}
	w := f.worker(p.addr)
	require.Equal(t, types.WORKER_STATUS_JAILED, w.Status)
	require.Empty(t, w.MissedEpochs, "the record restarts after a jail")
	require.Equal(t, uint64(4), w.Missed)
	require.Equal(t, f.height()+f.params().JailBlocks, w.JailedUntil)
	require.Len(t, f.events("mesh.compute.v1.EventWorkerJailed"), 1)
}

// An epoch that starts before the previous one's reveal window ended keeps
// the previous one settling: its reveals still count and it settles later.
func TestOverlappingEpochs(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	p, q := &prover{addr: addr("work", 1)}, &prover{addr: addr("work", 2)}
	f.register(addr("prov", 1), p.addr, 1)
	f.register(addr("prov", 2), q.addr, 1)
	f.nextEpoch()
	e2 := f.currentEpoch()
	f.block(false, func() {
		require.NoError(t, p.commit(f))
		require.NoError(t, q.commit(f))
	})
	// Epoch 3 starts in epoch 2's reveal window.
	f.at(e2.CommitEnd+1, nil)
	f.block(true, nil)
	require.Equal(t, int64(3), f.currentEpoch().Number)
	settling, err := f.k.Settling.Get(f.ctx, e2.Number)
	require.NoError(t, err)
	require.NotEmpty(t, settling.SampleSeed)

	// Epoch 2 reveals still work; epoch 3 commits too.
	f.block(false, func() {
		p.mustReveal(f, types.PROOF_OUTCOME_PASS)
		res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(q.addr), Epoch: e2.Number})
		require.NoError(t, err)
		require.Equal(t, e2.Number, res.Epoch)
		require.NotEmpty(t, res.SampleIndices)
	})
	f.advanceTo(e2.RevealEnd)
	_, err = f.k.Settling.Get(f.ctx, e2.Number)
	require.ErrorIs(t, err, errNotFound)
	require.Equal(t, uint64(1), f.worker(p.addr).Passed)
	require.Equal(t, uint64(1), f.worker(q.addr).Missed, "committed, never revealed")

	// Commitments of epoch 2 are pruned once it settled.
	f.block(false, nil)
	has, err := f.k.Commitments.Has(f.ctx, collectionsJoinEpoch(e2.Number, p.addr))
	require.NoError(t, err)
	require.False(t, has)
}

// When MaxSettlingEpochs earlier epochs are unsettled, a new epoch is skipped.
func TestEpochSkippedWhenSettlingIsFull(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.CommitWindow, p.RevealWindow = 100, 100 })
	for i := 0; i <= types.MaxSettlingEpochs; i++ {
		f.block(true, nil)
	}
	require.Equal(t, int64(types.MaxSettlingEpochs+1), f.currentEpoch().Number)
	f.block(true, nil)
	require.Equal(t, int64(types.MaxSettlingEpochs+1), f.currentEpoch().Number)
	require.Len(t, f.events("mesh.compute.v1.EventEpochSkipped"), 1)
}

// A worker whose settlement fails is skipped with an event; the others settle.
func TestSettlementSkipsFailingWorker(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	good, bad := addr("work", 1), addr("work", 2)
	f.register(addr("prov", 1), good, 1)
	f.register(addr("prov", 2), bad, 1)
	f.pool.failElig[string(addr("prov", 2))] = true
	f.nextEpoch()
	// Eligibility is read at the commit close: the failure surfaces there.
	f.advanceTo(f.currentEpoch().CommitEnd + 1)
	require.Len(t, f.events("mesh.compute.v1.EventSettlementFailed"), 1)
	f.advanceTo(f.currentEpoch().RevealEnd - 1)
	f.block(false, nil)
	require.True(t, f.currentEpoch().Settled)
	require.Equal(t, uint64(1), f.worker(good).Missed)
	require.Zero(t, f.worker(bad).Missed)
}

// Committing and then withholding the reveal is a miss AND a slash of the
// provider's pool; verified capacity drops to zero.
func TestWithheldRevealIsSlashed(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 2)
	f.nextEpoch() // epoch 2: pass, to earn verified units
	p := &prover{addr: w}
	require.NoError(t, p.commit(f))
	f.advanceTo(f.currentEpoch().CommitEnd + 1)
	p.mustReveal(f, types.PROOF_OUTCOME_PASS)
	require.EqualValues(t, 2, f.worker(w).VerifiedUnits)

	f.nextEpoch() // epoch 3: commit, never reveal
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
