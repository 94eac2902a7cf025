package keeper_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/poc"
	"github.com/llmesh/mesh/x/compute/types"
)

// startedEpoch registers workers in epoch 1, then starts epoch 2, their
// first challenge, and returns it.
func startedEpoch(t *testing.T, f *fixture, provers ...*prover) types.EpochInfo {
	t.Helper()
	f.block(true, nil) // epoch 1
	for i, p := range provers {
		f.register(addr("prov", i), p.addr, 2)
	}
	f.nextEpoch() // epoch 2
	return f.currentEpoch()
}

func TestEpochStartIsO1AndRecordsWindows(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	e := f.currentEpoch()
	require.Equal(t, int64(1), e.Number)
	require.Equal(t, f.height(), e.StartHeight)
	require.Equal(t, e.StartHeight+3, e.CommitEnd)
	require.Equal(t, e.CommitEnd+3, e.RevealEnd)
	require.Len(t, e.Seed, 32)
	require.Empty(t, e.SampleSeed)
	require.Equal(t, uint32(16), e.PocDim)
	require.Len(t, f.events("mesh.compute.v1.EventEpochStarted"), 1)

	// Another identifier is ignored.
	require.NoError(t, f.k.EpochHooks().BeforeEpochStart(f.ctx, "day", 7))
	require.Equal(t, int64(1), f.currentEpoch().Number)

	// The sample seed appears at the first block after the commit window.
	f.advanceTo(e.CommitEnd)
	require.Empty(t, f.currentEpoch().SampleSeed)
	f.block(false, nil)
	s := f.currentEpoch().SampleSeed
	require.Equal(t, f.k.Seed(f.ctx, keeper.PurposeSample, []byte{0, 0, 0, 0, 0, 0, 0, 1}), s)
	f.block(false, nil)
	require.Equal(t, s, f.currentEpoch().SampleSeed, "drawn once")
}

func TestSeed(t *testing.T) {
	f := newFixture(t, nil)
	base := f.k.Seed(f.ctx, "p", []byte{1})
	require.Len(t, base, 32)
	require.Equal(t, base, f.k.Seed(f.ctx, "p", []byte{1}))
	require.NotEqual(t, base, f.k.Seed(f.ctx, "q", []byte{1}))
	require.NotEqual(t, base, f.k.Seed(f.ctx, "p", []byte{2}))
	require.NotEqual(t, base, f.k.Seed(f.ctx.WithBlockHeight(2), "p", []byte{1}))
	require.NotEqual(t, base, f.k.Seed(f.ctx.WithHeaderHash(headerHash(9)), "p", []byte{1}))
	require.NotEqual(t, base, f.k.Seed(f.ctx.WithChainID("other"), "p", []byte{1}))
	// Length prefixes: moving a byte between purpose and id changes the seed.
	require.NotEqual(t, f.k.Seed(f.ctx, "ab", []byte("c")), f.k.Seed(f.ctx, "a", []byte("bc")))
}

func TestCommitRejects(t *testing.T) {
	f := newFixture(t, smallParams)
	honest := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, honest)
	late := addr("late", 1)
	f.register(addr("prov", 9), late, 1) // registered during epoch 2

	root := bytes.Repeat([]byte{1}, 32)
	commit := func(w []byte, epoch int64, root []byte) func() error {
		return func() error {
			_, err := f.msg.CommitPoC(f.ctx, &types.MsgCommitPoC{Worker: f.bech(w), Epoch: epoch, Root: root})
			return err
		}
	}
	f.requireRejected(types.ErrWorkerNotFound, commit(addr("nobody", 1), e.Number, root))
	f.requireRejected(types.ErrInvalidRoot, (&types.MsgCommitPoC{Worker: f.bech(honest.addr), Epoch: e.Number, Root: root[:31]}).ValidateBasic)
	f.requireRejected(types.ErrWrongEpoch, commit(honest.addr, e.Number+1, root))
	f.requireRejected(types.ErrWrongEpoch, commit(honest.addr, e.Number-1, root)) // settled and gone
	f.requireRejected(types.ErrNotEligible, commit(late, e.Number, root))

	require.NoError(t, commit(honest.addr, e.Number, root)())
	require.Len(t, f.events("mesh.compute.v1.EventPoCCommitted"), 1)
	c, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(e.Number, honest.addr))
	require.NoError(t, err)
	require.Equal(t, testRows(f.params(), 2), c.Rows, "m follows the claimed GOPS")
	require.Equal(t, uint64(2*testGOPSPerUnit), c.ClaimedGops)
	f.requireRejected(types.ErrDuplicateCommit, commit(honest.addr, e.Number, root))

	// After the window.
	other := &prover{addr: addr("work", 2)}
	f.register(addr("prov", 2), other.addr, 1)
	f.advanceTo(e.CommitEnd)
	f.block(false, func() {
		f.requireRejected(types.ErrCommitWindowClosed, commit(honest.addr, e.Number, root))
	})

	// A jailed worker or one of an ineligible pool gets no challenge.
	f.block(true, nil)
	e3 := f.currentEpoch()
	f.pool.ineligible[string(addr("prov", 0))] = true
	f.requireRejected(types.ErrNotEligible, commit(honest.addr, e3.Number, root))
}

func TestRevealPassAndRejects(t *testing.T) {
	f := newFixture(t, smallParams)
	honest, other := &prover{addr: addr("work", 1)}, &prover{addr: addr("work", 2)}
	lazy := &prover{addr: addr("work", 3)}
	e := startedEpoch(t, f, honest, other, lazy)

	f.block(false, func() {
		require.NoError(t, honest.commit(f))
		require.NoError(t, other.commit(f))
		// Reveal inside the commit window.
		f.requireRejected(types.ErrRevealWindow, send(f, f.msg.RevealPoC, &types.MsgRevealPoC{Worker: f.bech(honest.addr), Epoch: e.Number}))
	})
	f.at(e.CommitEnd+1, func() {
		reveal := func(m *types.MsgRevealPoC) func() error {
			return func() error { _, err := f.msg.RevealPoC(f.ctx, m); return err }
		}
		// Reveal without a commitment.
		f.requireRejected(types.ErrNoCommitment, reveal(&types.MsgRevealPoC{Worker: f.bech(lazy.addr), Epoch: e.Number}))
		// Wrong epoch.
		m := honest.revealMsg(f)
		m.Epoch++
		f.requireRejected(types.ErrWrongEpoch, reveal(m))
		// Too few rows.
		m = honest.revealMsg(f)
		m.Rows = m.Rows[1:]
		f.requireRejected(types.ErrInvalidReveal, reveal(m))
		// Rows out of order.
		m = honest.revealMsg(f)
		m.Rows[0], m.Rows[1] = m.Rows[1], m.Rows[0]
		f.requireRejected(types.ErrInvalidReveal, reveal(m))
		// A bad Merkle proof.
		m = honest.revealMsg(f)
		m.Rows[2].Proof[0] = bytes.Repeat([]byte{7}, 32)
		f.requireRejected(types.ErrInvalidReveal, reveal(m))
		// A changed value no longer matches the root: malformed, not fraud.
		m = honest.revealMsg(f)
		m.Rows[1].Values[0] ^= 1
		f.requireRejected(types.ErrInvalidReveal, reveal(m))
		// Wrong row size.
		m = honest.revealMsg(f)
		m.Rows[0].Values = m.Rows[0].Values[:4]
		f.requireRejected(types.ErrInvalidReveal, reveal(m))
		// Someone else's rows (valid for other's root) under honest's name.
		m = other.revealMsg(f)
		m.Worker = f.bech(honest.addr)
		f.requireRejected(types.ErrInvalidReveal, reveal(m))

		// The honest reveal passes, and costs k·n·p gas before recomputing.
		f.ctx = f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		honest.mustReveal(f, types.PROOF_OUTCOME_PASS)
		require.GreaterOrEqual(t, f.ctx.GasMeter().GasConsumed(), uint64(4*16*8))
		w := f.worker(honest.addr)
		require.Equal(t, uint32(2), w.VerifiedUnits)
		require.Equal(t, e.Number, w.LastPassedEpoch)
		require.Equal(t, uint64(1), w.Passed)
		require.Equal(t, uint32(6000), w.ReputationBps)
		require.Len(t, f.events("mesh.compute.v1.EventPoCResult"), 1)

		// A duplicate reveal.
		f.requireRejected(types.ErrAlreadyRevealed, reveal(honest.revealMsg(f)))
	})

	// After the reveal window.
	f.advanceTo(e.RevealEnd)
	f.block(false, func() {
		f.requireRejected(types.ErrRevealWindow, send(f, f.msg.RevealPoC, other.revealMsg(f)))
	})
	// other committed but never revealed: a miss. lazy never committed: a miss.
	require.Equal(t, uint64(1), f.worker(other.addr).Missed)
	require.Equal(t, uint64(1), f.worker(lazy.addr).Missed)
	require.Equal(t, uint64(0), f.worker(honest.addr).Missed)
	require.True(t, f.currentEpoch().Settled)
}

// TestRevealGasPricesB: a reveal pays for regenerating B (n·p) and the k
// rows of A (k·n), not only for the k·n·p MACs (issue 17, M6).
func TestRevealGasPricesB(t *testing.T) {
	const perMac = 1000
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.VerifyGasPerMac = perMac })
	honest := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, honest)
	f.block(false, func() { require.NoError(t, honest.commit(f)) })
	f.at(e.CommitEnd+1, func() {
		f.ctx = f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		honest.mustReveal(f, types.PROOF_OUTCOME_PASS)
		k, n, p := uint64(e.SampleRows), uint64(e.PocDim), uint64(e.PocCols)
		require.GreaterOrEqual(t, f.ctx.GasMeter().GasConsumed(), perMac*(k*n*p+n*p+k*n))
	})
}

func TestRevealGasChargedBeforeRecompute(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.VerifyGasPerMac = 1000 })
	honest := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, honest)
	f.block(false, func() { require.NoError(t, honest.commit(f)) })
	f.at(e.CommitEnd+1, func() {
		before := f.storeDigest()
		f.ctx = f.ctx.WithGasMeter(storetypes.NewGasMeter(1000 * 4 * 16 * 8 / 2))
		require.PanicsWithValue(t, storetypes.ErrorOutOfGas{Descriptor: "poc verify"}, func() {
			_, _ = f.msg.RevealPoC(f.ctx, honest.revealMsg(f))
		})
		require.Equal(t, before, f.storeDigest())
	})
}

func TestRevealFraud(t *testing.T) {
	f := newFixture(t, smallParams)
	// Computes row 5 wrongly and commits to it; sampled rows include wrong
	// ones often enough that some epoch catches it.
	wrong := &prover{addr: addr("work", 1), correct: func(int) bool { return false }}
	e := startedEpoch(t, f, wrong)
	f.block(false, func() { require.NoError(t, wrong.commit(f)) })
	var out types.ProofOutcome
	f.at(e.CommitEnd+1, func() {
		var err error
		out, err = wrong.reveal(f)
		require.NoError(t, err, "fraud is a successful tx")
		require.Len(t, f.events("mesh.compute.v1.EventPoCResult"), 1)
		require.Len(t, f.events("mesh.compute.v1.EventWorkerJailed"), 1)
		// A second reveal after the fraud is refused and changes nothing.
		f.requireRejected(types.ErrAlreadyRevealed, send(f, f.msg.RevealPoC, wrong.revealMsg(f)))
	})
	require.Equal(t, types.PROOF_OUTCOME_FRAUD, out)
	w := f.worker(wrong.addr)
	require.Equal(t, types.WORKER_STATUS_JAILED, w.Status)
	require.Equal(t, f.height()+f.params().JailBlocks, w.JailedUntil)
	require.Equal(t, uint64(1), w.Frauds)
	require.Equal(t, uint32(0), w.VerifiedUnits)
	require.Equal(t, uint32(4000), w.ReputationBps)

	prov := string(addr("prov", 0))
	require.Len(t, f.pool.slashes, 1)
	require.Equal(t, slashCall{prov, f.params().FraudSlashFraction, keeper.FraudReason, e.StartHeight + 1}, f.pool.slashes[0])
	require.Equal(t, []jailCall{{prov, w.JailedUntil}}, f.pool.jails)

	c, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(e.Number, wrong.addr))
	require.NoError(t, err)
	require.Equal(t, types.PROOF_OUTCOME_FRAUD, c.Outcome)

	// Settlement does not add a miss on top of the fraud.
	f.advanceTo(e.RevealEnd)
	require.Equal(t, uint64(0), f.worker(wrong.addr).Missed)
}

func TestRevealFraudSlashFailureKeepsJail(t *testing.T) {
	f := newFixture(t, smallParams)
	wrong := &prover{addr: addr("work", 1), correct: func(int) bool { return false }}
	e := startedEpoch(t, f, wrong)
	f.block(false, func() { require.NoError(t, wrong.commit(f)) })
	f.pool.failSlash = true
	f.at(e.CommitEnd+1, func() {
		wrong.mustReveal(f, types.PROOF_OUTCOME_FRAUD)
	})
	require.Equal(t, types.WORKER_STATUS_JAILED, f.worker(wrong.addr).Status)
	require.Empty(t, f.pool.jails, "the failed pool calls were rolled back together")
}

func TestChallengeQueryMatchesSpec(t *testing.T) {
	f := newFixture(t, smallParams)
	p := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, p)
	res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(p.addr)})
	require.NoError(t, err)
	require.Equal(t, poc.ChallengeSeed(e.Seed, p.addr), res.Seed)
	m := testRows(f.params(), 2)
	require.Equal(t, poc.ChallengeRows(2*testGOPSPerUnit, 1, 1, 16, 8), m)
	require.Equal(t, m, res.M)
	require.Equal(t, uint32(16), res.N)
	require.Equal(t, uint32(8), res.P)
	require.True(t, res.Eligible)
	require.Empty(t, res.SampleIndices)
	f.block(false, func() { require.NoError(t, p.commit(f)) })
	f.at(e.CommitEnd+1, func() {
		res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(p.addr)})
		require.NoError(t, err)
		require.Equal(t, poc.SampleIndices(f.currentEpoch().SampleSeed, p.addr, m, 4), res.SampleIndices)
		require.NotNil(t, res.Commitment)
	})
}
