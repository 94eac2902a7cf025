package keeper_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// TestMultiEpochSimulation drives 30 epochs with honest workers, lazy workers
// (a fraction f of rows right, garbage committed for the rest), a wrong
// worker (every row wrong) and a silent worker (never commits).
func TestMultiEpochSimulation(t *testing.T) {
	const (
		epochs = 30
		lazyN  = 20
		units  = 4 // m = testRows(4 GOPS) = 1563 rows
		k      = 4
		frac   = 0.8 // lazy workers compute 80% of their rows
	)
	f := newFixture(t, func(p *types.Params) {
		p.PocDim, p.PocCols, p.PocRowsPerUnit, p.SampleRows = 16, 8, 64, k
		p.CommitWindow, p.RevealWindow = 3, 3
		p.JailBlocks = 1 // lazy workers are unjailed at once to keep sampling them
	})
	m := int(testRows(f.params(), units))
	good := int(math.Round(frac * float64(m)))
	rng := rand.New(rand.NewSource(7)) // test-side randomness only

	var honest, lazy []*prover
	for i := 0; i < 3; i++ {
		honest = append(honest, &prover{addr: addr("honest", i)})
	}
	for i := 0; i < lazyN; i++ {
		lazy = append(lazy, &prover{addr: addr("lazy", i)})
	}
	wrong := &prover{addr: addr("wrong", 0), correct: func(int) bool { return false }}
	silent := &prover{addr: addr("silent", 0), silent: true}
	all := append(append(append([]*prover{}, honest...), lazy...), wrong, silent)
	for i, p := range all {
		f.register(addr("prov", i), p.addr, units) // one provider each: pool jails stay local
	}

	trials, caught := 0, 0
	for ep := 1; ep <= epochs; ep++ {
		f.block(true, nil)
		e := f.currentEpoch()
		// Each lazy worker picks exactly `good` rows to compute this epoch.
		for _, p := range lazy {
			right := make([]bool, m)
			for _, i := range rng.Perm(m)[:good] {
				right[i] = true
			}
			p.correct = func(i int) bool { return right[i] }
		}
		var committed []*prover
		f.block(false, func() {
			for _, p := range all {
				if p.silent || f.worker(p.addr).Status != types.WORKER_STATUS_ACTIVE {
					continue
				}
				require.NoError(t, p.commit(f))
				committed = append(committed, p)
			}
		})
		f.at(e.CommitEnd+1, func() {
			for _, p := range committed {
				out, err := p.reveal(f)
				require.NoError(t, err)
				if p.correct == nil {
					require.Equal(t, "PROOF_OUTCOME_PASS", out.String(), "honest worker failed")
				}
			}
		})
		for _, p := range lazy {
			if n := len(p.outcomes); n > 0 && p.epoch == e.Number {
				trials++
				if p.outcomes[n-1] == types.PROOF_OUTCOME_FRAUD {
					caught++
				}
			}
		}
		f.advanceTo(e.RevealEnd) // settlement
		require.True(t, f.currentEpoch().Settled)
		// Unjail the lazy workers caught this epoch (jail_blocks = 1).
		f.block(false, func() {
			for _, p := range lazy {
				if f.worker(p.addr).Status == types.WORKER_STATUS_JAILED {
					_, err := f.msg.UnjailWorker(f.ctx, &types.MsgUnjailWorker{Signer: f.bech(p.addr), Worker: f.bech(p.addr)})
					require.NoError(t, err)
				}
			}
		})
	}

	// Honest workers passed every epoch and their reputation climbed.
	for _, p := range honest {
		w := f.worker(p.addr)
		require.Equal(t, uint64(epochs), w.Passed)
		require.Zero(t, w.Missed+w.Frauds)
		require.Equal(t, uint32(units), w.VerifiedUnits)
		require.Equal(t, int64(epochs), w.LastPassedEpoch)
		require.GreaterOrEqual(t, w.ReputationBps, uint32(9990))
		require.Equal(t, types.WORKER_STATUS_ACTIVE, w.Status)
	}

	// Lazy workers are caught at about 1 − C(good,k)/C(m,k) ≈ 1 − f^k.
	hyper := 1.0
	for i := 0; i < k; i++ {
		hyper *= float64(good-i) / float64(m-i)
	}
	expected := 1 - hyper
	rate := float64(caught) / float64(trials)
	t.Logf("lazy workers: %d trials, caught %d (%.3f); 1−C(%d,%d)/C(%d,%d) = %.3f, 1−f^k = %.3f",
		trials, caught, rate, good, k, m, k, expected, 1-math.Pow(frac, k))
	require.Greater(t, trials, lazyN*epochs/2)
	require.InDelta(t, expected, rate, 0.08)
	frauds := 0
	for _, p := range lazy {
		w := f.worker(p.addr)
		require.Zero(t, w.Missed, "a lazy worker that reveals never misses")
		frauds += int(w.Frauds)
	}
	require.Equal(t, caught, frauds)

	// The wrong worker was caught in epoch 1, slashed and jailed, and stays out.
	w := f.worker(wrong.addr)
	require.Equal(t, types.WORKER_STATUS_JAILED, w.Status)
	require.Equal(t, uint64(1), w.Frauds)
	require.Zero(t, w.Passed)
	require.Equal(t, caught+1, len(f.pool.slashes))
	require.Equal(t, caught+1, len(f.pool.jails))

	// The silent worker missed epochs 1–3 and was jailed at the third miss.
	s := f.worker(silent.addr)
	require.Equal(t, types.WORKER_STATUS_JAILED, s.Status)
	require.Equal(t, uint64(3), s.Missed)
	require.Zero(t, s.Passed)
	require.Less(t, s.ReputationBps, uint32(3000))
}
