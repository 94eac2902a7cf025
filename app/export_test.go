package app_test

import (
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/llmesh/mesh/app"
	"github.com/llmesh/mesh/testutil"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
)

const (
	zhModel     = "m1"
	zhUnbonding = 30 * time.Second
	zhSelfBond  = 10_000_000
	zhStake     = 1_000_000
)

// zhGenesis: small PoC challenges, a 10 s compute epoch (10 blocks), short
// inference phases, 30 s unbonding in x/pool and x/staking, one model.
func zhGenesis(cdc codec.Codec, gen map[string]json.RawMessage) {
	var cg computetypes.GenesisState
	cdc.MustUnmarshalJSON(gen[computetypes.ModuleName], &cg)
	cg.Params.PocDim, cg.Params.PocCols, cg.Params.PocRowsPerUnit, cg.Params.SampleRows = 32, 8, 16, 4
	// A 1 GOPS claim proves 1e9/2 × 1 s × 1 bps = 50,000 MACs: 196 rows.
	cg.Params.PocTargetFractionBps, cg.Params.PocCommitSeconds, cg.Params.PocMopsPerUnit = 1, 1, 1
	cg.Params.CommitWindow, cg.Params.RevealWindow = 3, 3
	gen[computetypes.ModuleName] = cdc.MustMarshalJSON(&cg)

	var pg pooltypes.GenesisState
	cdc.MustUnmarshalJSON(gen[pooltypes.ModuleName], &pg)
	pg.Params.BaseMinStake, pg.Params.PerUnitStake = sdkmath.NewInt(1_000_000), sdkmath.NewInt(100_000)
	pg.Params.UnbondingPeriod = zhUnbonding
	gen[pooltypes.ModuleName] = cdc.MustMarshalJSON(&pg)

	var sg stakingtypes.GenesisState
	cdc.MustUnmarshalJSON(gen[stakingtypes.ModuleName], &sg)
	sg.Params.UnbondingTime = zhUnbonding
	gen[stakingtypes.ModuleName] = cdc.MustMarshalJSON(&sg)

	var ig inferencetypes.GenesisState
	cdc.MustUnmarshalJSON(gen[inferencetypes.ModuleName], &ig)
	ig.Params.CommitBlocks, ig.Params.RevealBlocks = 4, 4
	ig.Models = append(ig.Models, inferencetypes.Model{
		Id: zhModel, Name: "test model", Version: "1", Runtime: inferencetypes.RuntimeInt8Embedded,
		Deterministic: true, Prices: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1000)), Status: inferencetypes.MODEL_STATUS_ACTIVE,
	})
	gen[inferencetypes.ModuleName] = cdc.MustMarshalJSON(&ig)

	testutil.SetComputeEpoch(cdc, gen, 10*time.Second)
}

// zhChain drives one in-process chain: the fixture's app, or an app
// started from an exported genesis, whose blocks are 1 s apart from t0.
type zhChain struct {
	t    *testing.T
	f    *testutil.Fixture
	t0   time.Time // time of block 0 (the first block is t0 + 1 s)
	seqs map[string]uint64
}

func (c *zhChain) blockTime(h int64) time.Time { return c.t0.Add(time.Duration(h) * time.Second) }

func (c *zhChain) ctx() sdk.Context {
	h := c.f.App.LastBlockHeight()
	return c.f.App.NewContextLegacy(true, cmtproto.Header{ChainID: testutil.ChainID, Height: h, Time: c.blockTime(h)})
}

// sign signs msgs from acc with its next sequence.
func (c *zhChain) sign(acc testutil.Account, msgs ...sdk.Msg) []byte {
	key := acc.Address.String()
	tx := c.f.SignTx(c.t, acc, c.seqs[key], msgs...)
	c.seqs[key]++
	return tx
}

// block finalizes and commits the next block with txs, which must all succeed.
func (c *zhChain) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	h := c.f.App.LastBlockHeight() + 1
	res, err := c.f.App.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: h, Time: c.blockTime(h), Hash: c.f.App.LastCommitID().Hash,
		NextValidatorsHash: c.f.ValSet.Hash(), Txs: txs,
	})
	require.NoError(c.t, err)
	_, err = c.f.App.Commit()
	require.NoError(c.t, err)
	testutil.RequireTxsOK(c.t, res)
	return res
}

// zhWorker is an honest worker: it answers PoC challenges and the
// inference jobs assigned to it (output "4"), keeping its rows and salts
// across the restart as meshd-worker keeps them on disk.
type zhWorker struct {
	provider, acc testutil.Account
	rows          map[int64][][]byte
	trees         map[int64]*poc.Tree
	outcomes      []computetypes.ProofOutcome
}

// act returns the worker's txs for the next block.
func (w *zhWorker) act(c *zhChain, answer func(jobID uint64) bool) [][]byte {
	t := c.t
	ctx := c.ctx()
	height := c.f.App.LastBlockHeight() + 1
	var msgs []sdk.Msg
	ch, err := computekeeper.NewQuerier(c.f.App.ComputeKeeper).Challenge(ctx, &computetypes.QueryChallengeRequest{Worker: w.acc.Address.String()})
	require.NoError(t, err)
	// An epoch still settling is revealed first (as meshd-worker does).
	for epoch, tree := range w.trees {
		if epoch == ch.Epoch {
			continue
		}
		old, err := computekeeper.NewQuerier(c.f.App.ComputeKeeper).Challenge(ctx, &computetypes.QueryChallengeRequest{Worker: w.acc.Address.String(), Epoch: epoch})
		if err == nil && old.Commitment != nil && len(old.SampleIndices) > 0 && height <= old.RevealEnd {
			msgs = append(msgs, w.reveal(epoch, tree, old.SampleIndices))
		}
	}
	if ch.Eligible {
		switch {
		case ch.Commitment == nil && height <= ch.CommitEnd:
			rows, _, err := poc.Prove(ch.Seed, poc.Dims{M: int(ch.M), N: int(ch.N), P: int(ch.P)})
			require.NoError(t, err)
			leaves := make([][]byte, len(rows))
			for i := range rows {
				leaves[i] = poc.LeafHash(uint32(i), rows[i])
			}
			tree, err := poc.NewTree(leaves)
			require.NoError(t, err)
			w.rows[ch.Epoch], w.trees[ch.Epoch] = rows, tree
			msgs = append(msgs, &computetypes.MsgCommitPoC{Worker: w.acc.Address.String(), Epoch: ch.Epoch, Root: tree.Root()})
		case ch.Commitment != nil && ch.Commitment.Outcome == computetypes.PROOF_OUTCOME_UNSPECIFIED &&
			len(ch.SampleIndices) > 0 && height <= ch.RevealEnd && w.trees[ch.Epoch] != nil:
			msgs = append(msgs, w.reveal(ch.Epoch, w.trees[ch.Epoch], ch.SampleIndices))
		}
	}
	msgs = append(msgs, w.jobMsgs(c, answer)...)
	if len(msgs) == 0 {
		return nil
	}
	return [][]byte{c.sign(w.acc, msgs...)}
}

func (w *zhWorker) reveal(epoch int64, tree *poc.Tree, indices []uint32) sdk.Msg {
	msg := &computetypes.MsgRevealPoC{Worker: w.acc.Address.String(), Epoch: epoch}
	for _, i := range indices {
		msg.Rows = append(msg.Rows, computetypes.RevealedRow{Index: i, Values: w.rows[epoch][i], Proof: tree.Proof(i)})
	}
	delete(w.trees, epoch)
	return msg
}

// jobMsgs commits to, then reveals, every open job assigned to the worker
// that answer accepts.
func (w *zhWorker) jobMsgs(c *zhChain, answer func(uint64) bool) []sdk.Msg {
	ctx := c.ctx()
	var msgs []sdk.Msg
	require.NoError(c.t, c.f.App.InferenceKeeper.Jobs.Walk(ctx, nil, func(id uint64, j inferencetypes.Job) (bool, error) {
		if !inferencetypes.IsOpen(j.Status) || !answer(id) {
			return false, nil
		}
		for _, a := range j.Assignments {
			if a.Worker != w.acc.Address.String() {
				continue
			}
			salt := append([]byte("salt-of-"), w.acc.Address...)
			switch {
			case j.Status == inferencetypes.JOB_STATUS_COMMITTING && len(a.Commitment) == 0:
				msgs = append(msgs, &inferencetypes.MsgCommitResult{Worker: a.Worker, JobId: id,
					Commitment: inferencetypes.Commitment(id, w.acc.Address, inferencetypes.Digest([]byte("4")), salt)})
			case j.Status == inferencetypes.JOB_STATUS_REVEALING && len(a.OutputDigest) == 0:
				msgs = append(msgs, &inferencetypes.MsgRevealResult{Worker: a.Worker, JobId: id, Output: []byte("4"), Salt: salt})
			}
		}
		return false, nil
	}))
	return msgs
}

// pocOutcomes collects the EventPoCResult outcomes of a block per worker.
func pocOutcomes(t *testing.T, res *abci.ResponseFinalizeBlock, workers []*zhWorker) {
	events := res.Events
	for _, txr := range res.TxResults {
		events = append(events, txr.Events...)
	}
	for _, ev := range events {
		if ev.Type != "mesh.compute.v1.EventPoCResult" {
			continue
		}
		r := testutil.TypedEvent(t, ev).(*computetypes.EventPoCResult)
		for _, w := range workers {
			if w.acc.Address.String() == r.Worker {
				w.outcomes = append(w.outcomes, r.Outcome)
			}
		}
	}
}

// TestZeroHeightRestart runs a chain into the middle of a compute epoch
// (workers committed, not yet revealed) with inference jobs open and x/pool
// and x/staking unbondings pending, exports it for zero height and starts a
// new app from that genesis at height 1. There the workers reveal and pass
// the epoch open at the export and the next ones, nobody is jailed or
// charged a miss, the job in its reveal phase finalizes, the job committed
// to after the restart finalizes, the job nobody answers fails and refunds
// its requester in full, and both unbondings pay out at their completion
// time. A plain export of the same state imports to identical module stores.
func TestZeroHeightRestart(t *testing.T) {
	f := testutil.SetupWithGenesis(t, 10, sdkmath.NewInt(1_000_000_000), zhGenesis)
	a := &zhChain{t: t, f: f, t0: time.Unix(1_700_000_000, 0).UTC(), seqs: map[string]uint64{}}
	requester, delegator, staker := f.Accounts[6], f.Accounts[7], f.Accounts[8]
	var workers []*zhWorker
	var txs [][]byte
	for i := 0; i < 3; i++ {
		w := &zhWorker{provider: f.Accounts[2*i], acc: f.Accounts[2*i+1], rows: map[int64][][]byte{}, trees: map[int64]*poc.Tree{}}
		workers = append(workers, w)
		txs = append(txs, a.sign(w.provider,
			&pooltypes.MsgCreatePool{Provider: w.provider.Address.String(), SelfBond: sdk.NewInt64Coin(app.BondDenom, zhSelfBond), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: w.provider.Address.String(), Worker: w.acc.Address.String()}))
	}
	vals, err := f.App.StakingKeeper.GetAllValidators(a.ctx())
	require.NoError(t, err)
	valoper := vals[0].OperatorAddress
	txs = append(txs, a.sign(staker, &stakingtypes.MsgDelegate{DelegatorAddress: staker.Address.String(), ValidatorAddress: valoper,
		Amount: sdk.NewInt64Coin(app.BondDenom, zhStake)}))
	a.block(txs...)
	txs = nil
	for _, w := range workers {
		txs = append(txs, a.sign(w.acc, &computetypes.MsgRegisterWorker{
			Worker: w.acc.Address.String(), Provider: w.provider.Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 3}, Models: []string{zhModel},
		}))
	}
	txs = append(txs, a.sign(delegator, &pooltypes.MsgDelegate{Delegator: delegator.Address.String(),
		Provider: workers[0].provider.Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, zhStake)}))
	a.block(txs...)

	none := func(uint64) bool { return false }
	run := func(c *zhChain, answer func(uint64) bool, extra ...[]byte) {
		txs := extra
		for _, w := range workers {
			txs = append(txs, w.act(c, answer)...)
		}
		pocOutcomes(t, c.block(txs...), workers)
	}
	// Until every worker has passed an epoch (it then takes jobs), then to
	// the block after the next epoch's commits.
	for i := 0; ; i++ {
		require.Less(t, i, 60, "workers never passed an epoch")
		run(a, none)
		passed := true
		for _, w := range workers {
			wk, err := f.App.ComputeKeeper.GetWorker(a.ctx(), w.acc.Address)
			require.NoError(t, err)
			passed = passed && wk.VerifiedUnits > 0
		}
		if passed {
			break
		}
	}
	for {
		e, err := f.App.ComputeKeeper.Epoch.Get(a.ctx())
		require.NoError(t, err)
		if f.App.LastBlockHeight() == e.StartHeight {
			break
		}
		run(a, none)
	}

	// Jobs and unbondings, then the export at start + 3: every worker has
	// committed to the epoch, whose reveals open after the restart. A job is
	// assigned in the block after its request: job 1, requested with the
	// epoch's commits at start + 1, is assigned at start + 2 and committed
	// to at start + 3, when jobs 2 and 3 (requested at start + 2) are assigned.
	request := func() *inferencetypes.MsgRequestInference {
		return &inferencetypes.MsgRequestInference{Requester: requester.Address.String(), ModelId: zhModel, Input: []byte("2+2?"),
			MaxFee: sdk.NewInt64Coin(app.BondDenom, 5000), Redundancy: 3, Mode: inferencetypes.CONSENSUS_MODE_EXACT}
	}
	run(a, none, a.sign(requester, request()))
	run(a, none, a.sign(requester, request()), a.sign(requester, request()),
		a.sign(delegator, &pooltypes.MsgUndelegate{Delegator: delegator.Address.String(),
			Provider: workers[0].provider.Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, zhStake)}),
		a.sign(staker, &stakingtypes.MsgUndelegate{DelegatorAddress: staker.Address.String(), ValidatorAddress: valoper,
			Amount: sdk.NewInt64Coin(app.BondDenom, zhStake)}))
	const revealing, answered, unanswered = 1, 2, 3
	run(a, func(id uint64) bool { return id == revealing })
	ctxA := a.ctx()
	for id, want := range map[uint64]inferencetypes.JobStatus{revealing: inferencetypes.JOB_STATUS_REVEALING,
		answered: inferencetypes.JOB_STATUS_COMMITTING, unanswered: inferencetypes.JOB_STATUS_COMMITTING} {
		j, err := f.App.InferenceKeeper.GetJob(ctxA, id)
		require.NoError(t, err)
		require.Equal(t, want, j.Status, "job %d", id)
	}
	openEpoch, err := f.App.ComputeKeeper.Epoch.Get(ctxA)
	require.NoError(t, err)
	require.Greater(t, openEpoch.RevealEnd, f.App.LastBlockHeight())
	for _, w := range workers {
		require.Contains(t, w.trees, openEpoch.Number, "committed, not revealed")
	}
	lastA := f.App.LastBlockHeight()
	requesterAtExport := f.App.BankKeeper.GetBalance(ctxA, requester.Address, app.BondDenom).Amount
	delegatorAtExport := f.App.BankKeeper.GetBalance(ctxA, delegator.Address, app.BondDenom).Amount
	poolUnbondings, err := f.App.PoolKeeper.Unbondings.Iterate(ctxA, nil)
	require.NoError(t, err)
	entries, err := poolUnbondings.Values()
	require.NoError(t, err)
	require.Len(t, entries, 1)
	completion := entries[0].CompletionTime

	// A plain export imports to the same module stores.
	zhRequireRoundTrip(t, f)

	exported, err := f.App.ExportAppStateAndValidators(true, nil, nil)
	require.NoError(t, err)
	require.Zero(t, exported.Height)

	// The new chain, as CometBFT starts it from the exported genesis
	// (initial_height 0 → 1; InitChain runs at height 0), its genesis_time
	// set to the restart, 10 s after the last block.
	restart := a.blockTime(lastA).Add(10 * time.Second)
	appB := testutil.NewApp(dbm.NewMemDB(), t.TempDir())
	_, err = appB.InitChain(&abci.RequestInitChain{
		ChainId: testutil.ChainID, Time: restart, InitialHeight: 1,
		ConsensusParams: &exported.ConsensusParams, AppStateBytes: exported.AppState,
	})
	require.NoError(t, err)
	b := &zhChain{t: t, f: &testutil.Fixture{App: appB, ValSet: f.ValSet, Accounts: f.Accounts},
		t0: restart.Add(-time.Second), seqs: a.seqs}
	// The genesis state is readable from the first commit on; the workers
	// poll it from then (their first txs land in block 2).
	b.block()
	ctxB := b.ctx()
	stakerAtRestart := appB.BankKeeper.GetBalance(ctxB, staker.Address, app.BondDenom).Amount

	e, err := appB.ComputeKeeper.Epoch.Get(ctxB)
	require.NoError(t, err)
	if e.Number != openEpoch.Number {
		// x/epochs started the next epoch in block 1: the one open at the
		// export is settling.
		e, err = appB.ComputeKeeper.Settling.Get(ctxB, openEpoch.Number)
		require.NoError(t, err)
	}
	require.Equal(t, openEpoch.CommitEnd-lastA, e.CommitEnd, "windows relative to the restart")
	require.Equal(t, openEpoch.RevealEnd-lastA, e.RevealEnd)
	require.NotEmpty(t, e.SampleSeed, "drawn in block 1")
	committing, err := appB.InferenceKeeper.GetJob(ctxB, unanswered)
	require.NoError(t, err)
	require.Positive(t, committing.CommitEnd)

	answer := func(id uint64) bool { return id != unanswered }
	for b.f.App.LastBlockHeight() < committing.CommitEnd-1 {
		run(b, answer)
	}
	ctxB = b.ctx()
	j, err := appB.InferenceKeeper.GetJob(ctxB, unanswered)
	require.NoError(t, err)
	require.Equal(t, inferencetypes.JOB_STATUS_COMMITTING, j.Status, "the commit phase runs its remaining blocks")
	run(b, answer)
	for b.f.App.LastBlockHeight() < 30 {
		run(b, answer)
	}
	ctxB = b.ctx()

	var fees sdkmath.Int = sdkmath.ZeroInt()
	for id, want := range map[uint64]inferencetypes.JobStatus{revealing: inferencetypes.JOB_STATUS_FINALIZED,
		answered: inferencetypes.JOB_STATUS_FINALIZED, unanswered: inferencetypes.JOB_STATUS_FAILED} {
		j, err := appB.InferenceKeeper.GetJob(ctxB, id)
		require.NoError(t, err)
		require.Equal(t, want, j.Status, "job %d", id)
		if want == inferencetypes.JOB_STATUS_FINALIZED {
			fees = fees.Add(j.Fee.Amount)
		}
	}
	// The requester had escrowed 3 × 5000 at the export: it gets back all
	// but the two finalized jobs' fees.
	require.Equal(t, requesterAtExport.AddRaw(3*5000).Sub(fees), appB.BankKeeper.GetBalance(ctxB, requester.Address, app.BondDenom).Amount)
	require.Equal(t, sdkmath.NewInt(2*3*1000), fees)

	// Both unbondings paid (block 30 is 29 s after the restart, past their
	// completion 30 s after the undelegation, ~14 s before the export).
	require.True(t, !b.blockTime(30).Before(completion))
	require.Equal(t, delegatorAtExport.AddRaw(zhStake), appB.BankKeeper.GetBalance(ctxB, delegator.Address, app.BondDenom).Amount)
	require.Equal(t, stakerAtRestart.AddRaw(zhStake), appB.BankKeeper.GetBalance(ctxB, staker.Address, app.BondDenom).Amount)
	left, err := appB.PoolKeeper.Unbondings.Iterate(ctxB, nil)
	require.NoError(t, err)
	leftEntries, err := left.Values()
	require.NoError(t, err)
	require.Empty(t, leftEntries)

	// Every worker passed the epoch open at the export and the ones after
	// it; nobody was jailed or charged a miss.
	for _, w := range workers {
		require.NotEmpty(t, w.outcomes)
		for _, o := range w.outcomes {
			require.Equal(t, computetypes.PROOF_OUTCOME_PASS, o)
		}
		wk, err := appB.ComputeKeeper.GetWorker(ctxB, w.acc.Address)
		require.NoError(t, err)
		require.Equal(t, computetypes.WORKER_STATUS_ACTIVE, wk.Status)
		require.Empty(t, wk.MissedEpochs)
		require.Greater(t, wk.LastPassedEpoch, openEpoch.Number, "passed an epoch after the restart")
		pool, err := appB.PoolKeeper.GetPool(ctxB, w.provider.Address)
		require.NoError(t, err)
		require.False(t, pool.Jailed)
		require.Equal(t, sdkmath.NewInt(zhSelfBond), pool.Tokens, "nobody slashed")
	}
}

// zhRequireRoundTrip exports f's app (not for zero height), imports the
// export into a fresh app and requires every meshd module store to be the
// same, queues and indexes included.
func zhRequireRoundTrip(t *testing.T, f *testutil.Fixture) {
	t.Helper()
	exported, err := f.App.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	require.Equal(t, f.App.LastBlockHeight()+1, exported.Height)
	imp := testutil.NewApp(dbm.NewMemDB(), t.TempDir())
	ctxImp := imp.NewNextBlockContext(cmtproto.Header{Height: f.App.LastBlockHeight(), ChainID: testutil.ChainID})
	_, err = imp.InitChainer(ctxImp, &abci.RequestInitChain{AppStateBytes: exported.AppState})
	require.NoError(t, err)
	ctx := f.Ctx()
	for _, name := range []string{computetypes.StoreKey, inferencetypes.StoreKey, pooltypes.StoreKey, "rewards", "dao", "training", epochstypes.StoreKey} {
		kvA := ctx.KVStore(f.App.GetKey(name))
		kvB := ctxImp.KVStore(imp.GetKey(name))
		diffA, diffB := simtestutil.DiffKVStores(kvA, kvB, nil)
		require.Emptyf(t, diffA, "store %s differs after import", name)
		require.Emptyf(t, diffB, "store %s differs after import", name)
	}
}
