// Package integration runs meshd's modules together in a full in-process
// app: signed txs, real keepers, real block hooks.
package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/testutil"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
)

// behaviour is how a simulated worker answers its challenges.
type behaviour int

const (
	honest behaviour = iota // computes every row
	lazy                    // computes half the rows, commits garbage for the rest
	wrong                   // commits wrong values in every row
	silent                  // never commits
)

type simWorker struct {
	name     string
	kind     behaviour
	provider testutil.Account
	acc      testutil.Account
	seq      uint64 // next sequence of the worker account
	rows     map[int64][][]byte
	trees    map[int64]*poc.Tree
}

// Small challenges keep the test fast; the protocol is the same.
func pocGenesis(cdc codec.Codec, gen map[string]json.RawMessage) {
	var cg computetypes.GenesisState
	cdc.MustUnmarshalJSON(gen[computetypes.ModuleName], &cg)
	cg.Params.PocDim, cg.Params.PocCols, cg.Params.PocRowsPerUnit, cg.Params.SampleRows = 32, 8, 16, 4
	// A 1 GOPS claim proves 1e9/2 × 1 s × 1 bps = 50,000 MACs: 196 rows.
	cg.Params.PocTargetFractionBps, cg.Params.PocCommitSeconds, cg.Params.PocMopsPerUnit = 1, 1, 1
	cg.Params.CommitWindow, cg.Params.RevealWindow = 3, 3
	cg.Params.MaxMissed, cg.Params.MissedWindow = 3, 10
	gen[computetypes.ModuleName] = cdc.MustMarshalJSON(&cg)

	var pg pooltypes.GenesisState
	cdc.MustUnmarshalJSON(gen[pooltypes.ModuleName], &pg)
	pg.Params.BaseMinStake, pg.Params.PerUnitStake = sdkmath.NewInt(1_000_000), sdkmath.NewInt(100_000)
	gen[pooltypes.ModuleName] = cdc.MustMarshalJSON(&pg)

	// The workers serve model m1: x/compute refuses a model x/inference
	// does not know.
	var ig inferencetypes.GenesisState
	cdc.MustUnmarshalJSON(gen[inferencetypes.ModuleName], &ig)
	ig.Models = append(ig.Models, inferencetypes.Model{
		Id: "m1", Name: "test model", Version: "1", WeightsDigest: strings.Repeat("ab", 32), WeightsUri: "meshd:test",
		Runtime: "int8-embedded", Deterministic: true, Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000)),
		Status: inferencetypes.MODEL_STATUS_ACTIVE,
	})
	gen[inferencetypes.ModuleName] = cdc.MustMarshalJSON(&ig)

	// One compute epoch every 10 blocks (the fixture makes 1 s blocks).
	testutil.SetComputeEpoch(cdc, gen, 10*time.Second)
}

// Over many epochs on the full app, honest workers always pass, a lazy one
// is caught (1 − f^k per epoch), a wrong one is slashed and jailed at its
// first reveal, and a silent one is jailed after max_missed misses.
func TestProofOfComputeEpochs(t *testing.T) {
	const selfBond = 10_000_000
	f := testutil.SetupWithGenesis(t, 10, sdkmath.NewInt(1_000_000_000), pocGenesis)
	kinds := []struct {
		name string
		kind behaviour
	}{{"honest-1", honest}, {"honest-2", honest}, {"lazy", lazy}, {"wrong", wrong}, {"silent", silent}}
	seqs := map[string]uint64{}
	var workers []*simWorker
	var txs [][]byte
	// One provider per worker, so one worker's fraud does not jail another's pool.
	for i, k := range kinds {
		prov, wacc := f.Accounts[2*i], f.Accounts[2*i+1]
		txs = append(txs, f.SignTx(t, prov, seqs[prov.Address.String()],
			&pooltypes.MsgCreatePool{Provider: prov.Address.String(), SelfBond: sdk.NewInt64Coin("umesh", selfBond), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: prov.Address.String(), Worker: wacc.Address.String()}))
		seqs[prov.Address.String()]++
		workers = append(workers, &simWorker{name: k.name, kind: k.kind, provider: prov, acc: wacc,
			rows: map[int64][][]byte{}, trees: map[int64]*poc.Tree{}})
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	txs = nil
	for _, w := range workers {
		txs = append(txs, f.SignTx(t, w.acc, w.seq, &computetypes.MsgRegisterWorker{
			Worker: w.acc.Address.String(), Provider: w.provider.Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 2}, Models: []string{"m1"},
		}))
		w.seq++
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))

	q := computekeeper.NewQuerier(f.App.ComputeKeeper)
	outcomes := map[string][]computetypes.ProofOutcome{}
	const blocks = 10 * 12 // twelve epochs
	for b := 0; b < blocks; b++ {
		var txs [][]byte
		for _, w := range workers {
			if tx := w.act(t, f, q); tx != nil {
				txs = append(txs, tx)
			}
		}
		res := f.NextBlock(t, txs...)
		testutil.RequireTxsOK(t, res) // fraud is a successful tx with outcome FRAUD
		// Outcomes come from reveals (tx events) and settlement (block events).
		events := res.Events
		for _, txr := range res.TxResults {
			events = append(events, txr.Events...)
		}
		for _, ev := range events {
			if ev.Type != "mesh.compute.v1.EventPoCResult" {
				continue
			}
			r := parseResult(t, ev)
			for _, w := range workers {
				if w.acc.Address.String() == r.Worker {
					outcomes[w.name] = append(outcomes[w.name], r.Outcome)
				}
			}
		}
	}

	for _, w := range workers {
		t.Logf("%-8s outcomes %v", w.name, outcomes[w.name])
	}
	ctx := f.Ctx()
	get := func(w *simWorker) computetypes.Worker {
		wk, err := f.App.ComputeKeeper.GetWorker(ctx, w.acc.Address)
		require.NoError(t, err)
		return wk
	}
	for _, w := range workers[:2] {
		wk := get(w)
		require.GreaterOrEqual(t, len(outcomes[w.name]), 9, "%s settled epochs", w.name)
		for _, o := range outcomes[w.name] {
			require.Equal(t, computetypes.PROOF_OUTCOME_PASS, o, w.name)
		}
		require.Equal(t, computetypes.WORKER_STATUS_ACTIVE, wk.Status)
		require.Greater(t, wk.ReputationBps, uint32(9000), "reputation climbs towards 10000")
		require.EqualValues(t, 2, wk.VerifiedUnits)
	}

	// Lazy: f = 1/2, k = 4 → caught with probability 15/16 per epoch.
	lz := get(workers[2])
	require.Contains(t, outcomes["lazy"], computetypes.PROOF_OUTCOME_FRAUD)
	require.Equal(t, computetypes.WORKER_STATUS_JAILED, lz.Status)

	// Wrong: fraud at its first reveal; its provider's pool lost exactly 5 %
	// of its tokens and is jailed.
	require.Equal(t, computetypes.PROOF_OUTCOME_FRAUD, outcomes["wrong"][0])
	require.Equal(t, computetypes.WORKER_STATUS_JAILED, get(workers[3]).Status)
	pool, err := f.App.PoolKeeper.GetPool(ctx, workers[3].provider.Address)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(selfBond*95/100), pool.Tokens)
	require.True(t, pool.Jailed)
	eligible, err := f.App.PoolKeeper.IsEligible(ctx, workers[3].provider.Address)
	require.NoError(t, err)
	require.False(t, eligible)
	// Honest providers' pools are untouched.
	pool, err = f.App.PoolKeeper.GetPool(ctx, workers[0].provider.Address)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(selfBond), pool.Tokens)

	// Silent: exactly max_missed misses, then jailed.
	sl := get(workers[4])
	require.Equal(t, computetypes.WORKER_STATUS_JAILED, sl.Status)
	require.EqualValues(t, 3, len(outcomes["silent"]))
	for _, o := range outcomes["silent"] {
		require.Equal(t, computetypes.PROOF_OUTCOME_MISS, o)
	}
}

// act returns the worker's tx for this block, if any.
func (w *simWorker) act(t *testing.T, f *testutil.Fixture, q computetypes.QueryServer) []byte {
	t.Helper()
	if w.kind == silent {
		return nil
	}
	ch, err := q.Challenge(f.Ctx(), &computetypes.QueryChallengeRequest{Worker: w.acc.Address.String()})
	if err != nil || !ch.Eligible {
		return nil
	}
	height := f.App.LastBlockHeight() + 1 // the tx lands in the next block
	d := poc.Dims{M: int(ch.M), N: int(ch.N), P: int(ch.P)}
	switch {
	case ch.Commitment == nil && height <= ch.CommitEnd:
		rows, _, err := poc.Prove(ch.Seed, d)
		require.NoError(t, err)
		for i := range rows {
			corrupt := w.kind == wrong || (w.kind == lazy && i%2 == 1)
			if corrupt {
				rows[i][0] ^= 1 // committed, so provably wrong
			}
		}
		leaves := make([][]byte, len(rows))
		for i := range rows {
			leaves[i] = poc.LeafHash(uint32(i), rows[i])
		}
		tree, err := poc.NewTree(leaves)
		require.NoError(t, err)
		w.rows[ch.Epoch], w.trees[ch.Epoch] = rows, tree
		tx := f.SignTx(t, w.acc, w.seq, &computetypes.MsgCommitPoC{Worker: w.acc.Address.String(), Epoch: ch.Epoch, Root: tree.Root()})
		w.seq++
		return tx
	case ch.Commitment != nil && ch.Commitment.Outcome == computetypes.PROOF_OUTCOME_UNSPECIFIED &&
		len(ch.SampleIndices) > 0 && height <= ch.RevealEnd && w.trees[ch.Epoch] != nil:
		var revealed []computetypes.RevealedRow
		for _, idx := range ch.SampleIndices {
			revealed = append(revealed, computetypes.RevealedRow{Index: idx, Values: w.rows[ch.Epoch][idx], Proof: w.trees[ch.Epoch].Proof(idx)})
		}
		delete(w.trees, ch.Epoch)
		tx := f.SignTx(t, w.acc, w.seq, &computetypes.MsgRevealPoC{Worker: w.acc.Address.String(), Epoch: ch.Epoch, Rows: revealed})
		w.seq++
		return tx
	}
	return nil
}

// parseResult decodes a typed EventPoCResult, leaving out the attributes
// baseapp adds (mode, msg_index), which are not part of the proto.
func parseResult(t *testing.T, ev abci.Event) *computetypes.EventPoCResult {
	t.Helper()
	return testutil.TypedEvent(t, ev).(*computetypes.EventPoCResult)
}
