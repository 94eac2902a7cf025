package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// A zero-height export moves open epochs' windows, commit heights and jails
// back by the export height L. The restarted chain (heights from 1) goes on
// where the old one stopped: workers that committed to a settling epoch
// reveal and pass, and commit to the current epoch in the blocks it had
// left, a jail that was over at the export is over at
// once and one that was not lasts as many blocks as it had left.
func TestPrepareForZeroHeight(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	early, late := &prover{addr: addr("work", 1)}, &prover{addr: addr("work", 2)}
	f.register(addr("prov", 1), early.addr, 1)
	f.register(addr("prov", 2), late.addr, 1)
	served, serving := addr("work", 3), addr("work", 4)
	f.register(addr("prov", 3), served, 1)
	f.register(addr("prov", 4), serving, 1)
	f.advanceTo(40)

	// Epoch a: both commit, then the next epoch b starts inside a's
	// reveal window, so a is settling at the export.
	f.block(true, nil)
	a := f.currentEpoch()
	f.block(false, func() {
		require.NoError(t, early.commit(f))
		require.NoError(t, late.commit(f))
	})
	f.advanceTo(a.CommitEnd + 1)
	f.block(true, nil)
	b := f.currentEpoch()
	settling, err := f.k.Settling.Get(f.ctx, a.Number)
	require.NoError(t, err)
	require.NotEmpty(t, settling.SampleSeed, "a's sample was drawn")

	jail := func(w []byte, until int64) {
		wk := f.worker(w)
		wk.Status, wk.JailedUntil = types.WORKER_STATUS_JAILED, until
		require.NoError(t, f.k.Workers.Set(f.ctx, w, wk))
	}
	last := f.height()
	jail(served, last-2)
	jail(serving, last+4)
	commit, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(a.Number, early.addr))
	require.NoError(t, err)

	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	got, err := f.k.Settling.Get(f.ctx, a.Number)
	require.NoError(t, err)
	require.Equal(t, []int64{0, max(a.CommitEnd-last, 0), a.RevealEnd - last},
		[]int64{got.StartHeight, got.CommitEnd, got.RevealEnd})
	require.Equal(t, []int64{b.StartHeight - last, b.CommitEnd - last, b.RevealEnd - last},
		[]int64{f.currentEpoch().StartHeight, f.currentEpoch().CommitEnd, f.currentEpoch().RevealEnd})
	require.Equal(t, int64(0), b.StartHeight-last, "b started in the last block")
	moved, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(a.Number, early.addr))
	require.NoError(t, err)
	require.Equal(t, max(commit.Height-last, 0), moved.Height)
	require.Equal(t, int64(1), f.worker(served).JailedUntil)
	require.Equal(t, int64(4), f.worker(serving).JailedUntil)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())

	// The new chain: block 1 follows the export.
	f.ctx = f.ctx.WithBlockHeight(0)
	f.block(false, func() {
		early.mustReveal(f, types.PROOF_OUTCOME_PASS)
		late.mustReveal(f, types.PROOF_OUTCOME_PASS)
		require.NoError(t, early.commit(f), "b's commit window runs on")
		require.NoError(t, late.commit(f))
		_, err := f.msg.UnjailWorker(f.ctx, &types.MsgUnjailWorker{Signer: f.bech(served), Worker: f.bech(served)})
		require.NoError(t, err, "a jail over at the export is over")
		_, err = f.msg.UnjailWorker(f.ctx, &types.MsgUnjailWorker{Signer: f.bech(serving), Worker: f.bech(serving)})
		require.ErrorIs(t, err, types.ErrStillJailed)
	})
	f.at(4, func() {
		_, err := f.msg.UnjailWorker(f.ctx, &types.MsgUnjailWorker{Signer: f.bech(serving), Worker: f.bech(serving)})
		require.NoError(t, err, "the rest of the jail has passed")
	})
	f.advanceTo(f.currentEpoch().CommitEnd + 1)
	f.block(false, func() {
		early.mustReveal(f, types.PROOF_OUTCOME_PASS)
		late.mustReveal(f, types.PROOF_OUTCOME_PASS)
	})
	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	for _, w := range []*prover{early, late} {
		require.Equal(t, []types.ProofOutcome{types.PROOF_OUTCOME_PASS, types.PROOF_OUTCOME_PASS}, w.outcomes)
		wk := f.worker(w.addr)
		require.Equal(t, types.WORKER_STATUS_ACTIVE, wk.Status)
		require.Empty(t, wk.MissedEpochs)
	}
	require.Equal(t, b.Number, f.worker(late.addr).LastPassedEpoch)
	require.Equal(t, b.Number, f.worker(early.addr).LastPassedEpoch)
}
