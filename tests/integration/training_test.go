package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/testutil"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	trainingkeeper "github.com/llmesh/mesh/x/training/keeper"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// initModelID is the untrained embedded classifier: the weights of
// federated.Initial(train.Default), registered ACTIVE beside
// mesh-embedded-v1 so that a task has something left to learn.
// mesh-embedded-v1 was trained on the whole built-in set, held-out fifth
// included: its held-out loss is already 0 (asserted below), and no
// fine-tuning on that set can lower it.
const initModelID = "mesh-embedded-init"

// blobStore stands in for the workers' blob servers: a blob is published
// under "mem://<hex SHA-256>" and whoever fetches it checks the digest the
// chain recorded, as a worker fetching over HTTP must.
type blobStore map[string][]byte

func (s blobStore) put(b []byte) (uri string, digest []byte) {
	sum := sha256.Sum256(b)
	uri = "mem://" + hex.EncodeToString(sum[:])
	s[uri] = append([]byte(nil), b...)
	return uri, sum[:]
}

// fetch returns a copy of the blob at uri, which must hash to digest.
func (s blobStore) fetch(t *testing.T, uri string, digest []byte) []byte {
	t.Helper()
	b, ok := s[uri]
	require.True(t, ok, "no blob at %s", uri)
	sum := sha256.Sum256(b)
	require.Equal(t, digest, sum[:], "blob at %s", uri)
	return append([]byte(nil), b...)
}

// base resolves a round's base_digest to the checkpoint to train from. Two
// encodings share that field: round 1's base_digest is the base model's
// x/inference weights_digest, the SHA-256 of its embedded weights FILE, so
// the worker parses the file and lifts it with federated.FromWeights; every
// later round's is the previous round's agreed checkpoint, the SHA-256 of
// federated's checkpoint ENCODING, which it decodes. The magic of each
// format tells them apart; the digest is checked first either way.
func (s blobStore) base(t *testing.T, digest []byte) *federated.Checkpoint {
	t.Helper()
	b := s.fetch(t, "mem://"+hex.EncodeToString(digest), digest)
	if ck, err := federated.Decode(b); err == nil {
		return ck
	}
	w, err := embedded.ParseWeights(b)
	require.NoError(t, err, "base %x is neither a checkpoint nor a weights file", digest)
	ck, err := federated.FromWeights(w)
	require.NoError(t, err)
	return ck
}

// trainingGenesis: 3-block phases, a 1000umesh minimum budget, small pool
// stakes, and both embedded models ACTIVE in x/inference.
func trainingGenesis(initWeightsDigest string) func(codec.Codec, map[string]json.RawMessage) {
	return func(cdc codec.Codec, gen map[string]json.RawMessage) {
		var tg trainingtypes.GenesisState
		cdc.MustUnmarshalJSON(gen[trainingtypes.ModuleName], &tg)
		tg.Params.CommitBlocks, tg.Params.RevealBlocks, tg.Params.AggregateBlocks = 3, 3, 3
		tg.Params.MinTaskBudget = sdk.NewInt64Coin("umesh", 1000)
		gen[trainingtypes.ModuleName] = cdc.MustMarshalJSON(&tg)

		var pg pooltypes.GenesisState
		cdc.MustUnmarshalJSON(gen[pooltypes.ModuleName], &pg)
		pg.Params.BaseMinStake, pg.Params.PerUnitStake = sdkmath.NewInt(1_000_000), sdkmath.NewInt(100_000)
		gen[pooltypes.ModuleName] = cdc.MustMarshalJSON(&pg)

		var ig inferencetypes.GenesisState
		cdc.MustUnmarshalJSON(gen[inferencetypes.ModuleName], &ig)
		model := func(id, name, digest string) inferencetypes.Model {
			return inferencetypes.Model{
				Id: id, Name: name, Version: "1", WeightsDigest: digest, WeightsUri: "mem://" + digest,
				Runtime: inferencetypes.RuntimeInt8Embedded, Deterministic: true,
				Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000)), Status: inferencetypes.MODEL_STATUS_ACTIVE,
			}
		}
		ig.Models = append(ig.Models,
			model("mesh-embedded-v1", "meshd embedded proposal-risk classifier", embedded.WeightsDigest),
			model(initModelID, "untrained embedded proposal-risk classifier", initWeightsDigest))
		gen[inferencetypes.ModuleName] = cdc.MustMarshalJSON(&ig)
	}
}

// trainer is a provider with one worker that trains and aggregates.
type trainer struct {
	provider, acc testutil.Account
	seq           uint64
}

// localUpdate is a participant's update for one round, kept from its
// commitment to its reveal.
type localUpdate struct {
	digest, salt []byte
	uri          string
	stats        federated.Stats
}

// aggResult is what one aggregator computed for a round.
type aggResult struct {
	digest  []byte
	loss    uint64
	correct int
}

// A 3-round FEDAVG task on the full app with the real fixed-point trainer:
// three workers train on disjoint shards of the built-in set, three
// aggregators combine the revealed updates independently and agree on every
// digest, the held-out loss falls, the task completes with a CANDIDATE
// model, and the budget splits exactly into pool payouts and a refund.
func TestFederatedTrainingEndToEnd(t *testing.T) {
	const (
		selfBond = 10_000_000
		budget   = 3_000_000
		rounds   = 3
	)
	trainSet, test := federated.HeldOut(train.Dataset())

	v1, err := embedded.Load()
	require.NoError(t, err)
	v1Ck, err := federated.FromWeights(v1)
	require.NoError(t, err)
	v1Loss, _, err := federated.Evaluate(v1Ck, test)
	require.NoError(t, err)
	require.Zero(t, v1Loss, "mesh-embedded-v1 already fits the held-out set")

	initCk, err := federated.Initial(train.Default)
	require.NoError(t, err)
	store := blobStore{}
	_, initDigest := store.put(initCk.WeightsFile())

	f := testutil.SetupWithGenesis(t, 7, sdkmath.NewInt(1_000_000_000), trainingGenesis(hex.EncodeToString(initDigest)))
	ctx := f.Ctx
	creator := f.Accounts[6]
	var creatorSeq uint64
	trainers := make([]*trainer, 3)
	byAddr := map[string]*trainer{}
	var txs [][]byte
	for i := range trainers {
		tr := &trainer{provider: f.Accounts[2*i], acc: f.Accounts[2*i+1]}
		trainers[i], byAddr[tr.acc.Address.String()] = tr, tr
		txs = append(txs, f.SignTx(t, tr.provider, 0,
			&pooltypes.MsgCreatePool{Provider: tr.provider.Address.String(), SelfBond: sdk.NewInt64Coin("umesh", selfBond), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: tr.provider.Address.String(), Worker: tr.acc.Address.String()}))
	}
	// The dataset: the built-in examples' JSON, ten of each label, inline.
	labels := embedded.Labels[:]
	txs = append(txs, f.SignTx(t, creator, creatorSeq, &trainingtypes.MsgRegisterDataset{
		Owner: creator.Address.String(), Name: "proposal-risk", Schema: `{"text": string, "label": "low"|"medium"|"high"}`,
		License: "CC-BY-4.0", Labels: labels,
	}))
	creatorSeq++
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))

	txs = nil
	for _, tr := range trainers {
		txs = append(txs, f.SignTx(t, tr.acc, tr.seq, &computetypes.MsgRegisterWorker{
			Worker: tr.acc.Address.String(), Provider: tr.provider.Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 2}, Models: []string{"mesh-embedded-v1", initModelID},
		}))
		tr.seq++
	}
	var contribute []sdk.Msg
	var contributed []train.Example
	perLabel := map[int]int{}
	for _, ex := range train.Dataset() {
		if perLabel[ex.Label] == 10 {
			continue
		}
		perLabel[ex.Label]++
		contributed = append(contributed, ex)
		data, err := federated.ItemData(ex)
		require.NoError(t, err)
		contribute = append(contribute, &trainingtypes.MsgContributeItem{Contributor: creator.Address.String(), DatasetId: 1, Data: data})
	}
	require.Len(t, contribute, 30)
	txs = append(txs, f.SignTx(t, creator, creatorSeq, contribute...))
	creatorSeq++
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))

	tq := trainingkeeper.NewQuerier(f.App.TrainingKeeper)
	items, err := tq.Items(ctx(), &trainingtypes.QueryItemsRequest{DatasetId: 1})
	require.NoError(t, err)
	require.Len(t, items.Items, 30)
	for i, it := range items.Items {
		ex, err := federated.ParseItem(it.Data, it.Label)
		require.NoError(t, err)
		require.Equal(t, contributed[i], ex)
		sum := sha256.Sum256(it.Data)
		require.Equal(t, sum[:], it.Digest)
	}

	// The task; the three joins start round 1 in the block after.
	const hyper = `{"epochs":4,"seed":7}`
	h, err := federated.ParseHyper([]byte(hyper))
	require.NoError(t, err)
	testutil.RequireTxsOK(t, f.NextBlock(t, f.SignTx(t, creator, creatorSeq, &trainingtypes.MsgCreateTask{
		Creator: creator.Address.String(), BaseModelId: initModelID, DatasetIds: []uint64{1},
		Rounds: rounds, ParticipantsPerRound: 3, AggregatorsPerRound: 3, Aggregation: trainingtypes.AGGREGATION_FEDAVG,
		Hyperparams: hyper, Budget: sdk.NewInt64Coin("umesh", budget),
	})))
	creatorSeq++
	trainingAddr := f.App.AccountKeeper.GetModuleAddress(trainingtypes.ModuleName)
	poolAddr := f.App.AccountKeeper.GetModuleAddress(pooltypes.ModuleName)
	balance := func(addr sdk.AccAddress) sdkmath.Int {
		return f.App.BankKeeper.GetBalance(ctx(), addr, "umesh").Amount
	}
	escrowStart, poolStart, creatorStart := balance(trainingAddr), balance(poolAddr), balance(creator.Address)

	txs = nil
	for _, tr := range trainers {
		txs = append(txs, f.SignTx(t, tr.acc, tr.seq, &trainingtypes.MsgJoinTask{Worker: tr.acc.Address.String(), TaskId: 1}))
		tr.seq++
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	f.NextBlock(t) // its EndBlocker draws round 1 from the workers joined before

	// Initial's masters are whole int8 steps: its weights file lifts back to
	// the very checkpoint, so the workers start from Initial itself.
	require.True(t, store.base(t, initDigest).Equal(initCk))
	loss0, correct0, err := federated.Evaluate(initCk, test)
	require.NoError(t, err)
	t.Logf("base %s: held-out loss %d, accuracy %d/%d", initModelID, loss0, correct0, len(test))

	// The workers' loop: each block, every worker reads the current round
	// and sends what its roles call for.
	updates := map[uint32]map[string]*localUpdate{}
	results := map[uint32][]aggResult{}
	ended := map[uint32]*trainingtypes.EventRoundEnded{}
	endedAt := map[uint32]int64{}
	var taskEnded *trainingtypes.EventTaskEnded
	var task trainingtypes.Task
	for b := 0; b < 40; b++ {
		tres, err := tq.Task(ctx(), &trainingtypes.QueryTaskRequest{Id: 1})
		require.NoError(t, err)
		task = tres.Task
		if task.Status != trainingtypes.TASK_STATUS_RUNNING {
			break
		}
		rres, err := tq.Round(ctx(), &trainingtypes.QueryRoundRequest{TaskId: 1})
		require.NoError(t, err)
		round := rres.Round
		n := round.Number
		if updates[n] == nil {
			updates[n] = map[string]*localUpdate{}
		}
		var txs [][]byte
		switch round.Phase {
		case trainingtypes.ROUND_PHASE_COMMIT:
			base := store.base(t, round.BaseDigest)
			for i, u := range round.Updates {
				if len(u.Commitment) != 0 {
					continue
				}
				tr := byAddr[u.Worker]
				ck, st, err := federated.LocalUpdate(base, federated.Shard(trainSet, i, len(round.Updates)), h, n)
				require.NoError(t, err)
				uri, digest := store.put(ck.Encode())
				salt := sha256.Sum256(append([]byte(u.Worker), byte(n)))
				lu := &localUpdate{digest: digest, salt: salt[:], uri: uri, stats: st}
				updates[n][u.Worker] = lu
				txs = append(txs, f.SignTx(t, tr.acc, tr.seq, &trainingtypes.MsgCommitUpdate{
					Worker: u.Worker, TaskId: 1, Round: n,
					Commitment: trainingtypes.UpdateCommitment(1, n, tr.acc.Address, digest, st.Samples, st.Loss, lu.salt),
				}))
				tr.seq++
			}
		case trainingtypes.ROUND_PHASE_REVEAL:
			for _, u := range round.Updates {
				if len(u.Commitment) == 0 || u.Revealed {
					continue
				}
				tr, lu := byAddr[u.Worker], updates[n][u.Worker]
				txs = append(txs, f.SignTx(t, tr.acc, tr.seq, &trainingtypes.MsgRevealUpdate{
					Worker: u.Worker, TaskId: 1, Round: n, Digest: lu.digest,
					Samples: lu.stats.Samples, Loss: lu.stats.Loss, Uri: lu.uri, Salt: lu.salt,
				}))
				tr.seq++
			}
		case trainingtypes.ROUND_PHASE_AGGREGATE:
			require.Equal(t, trainingtypes.AGGREGATION_FEDAVG, task.Aggregation)
			for j, a := range round.Aggregates {
				if len(a.Digest) != 0 {
					continue
				}
				// Its own decoded copies, in its own order: the rule does
				// not depend on the order.
				var ws []federated.Weighted
				for _, u := range round.Updates {
					if !u.Revealed {
						continue
					}
					ck, err := federated.Decode(store.fetch(t, u.Uri, u.Digest))
					require.NoError(t, err)
					ws = append(ws, federated.Weighted{Ckpt: ck, Samples: u.Samples})
				}
				ws = append(ws[j%len(ws):], ws[:j%len(ws)]...)
				next, err := federated.Aggregate(federated.FedAvg, ws)
				require.NoError(t, err)
				loss, correct, err := federated.Evaluate(next, test)
				require.NoError(t, err)
				uri, digest := store.put(next.Encode())
				results[n] = append(results[n], aggResult{digest: digest, loss: loss, correct: correct})
				tr := byAddr[a.Worker]
				txs = append(txs, f.SignTx(t, tr.acc, tr.seq, &trainingtypes.MsgSubmitAggregate{
					Worker: a.Worker, TaskId: 1, Round: n, Digest: digest, Uri: uri, EvalLoss: loss,
				}))
				tr.seq++
			}
		}
		res := f.NextBlock(t, txs...)
		testutil.RequireTxsOK(t, res)
		// Rounds end in the tx that completes them (or at a deadline, in
		// the end blocker); the next round is never drawn in a tx, only in
		// the end blocker of the block after the one that ended the last.
		events := res.Events
		for _, txr := range res.TxResults {
			for _, ev := range txr.Events {
				require.NotEqual(t, "mesh.training.v1.EventRoundStarted", ev.Type, "no round drawn in a tx")
			}
			events = append(events, txr.Events...)
		}
		for _, ev := range events {
			switch ev.Type {
			case "mesh.training.v1.EventRoundEnded":
				e := testutil.TypedEvent(t, ev).(*trainingtypes.EventRoundEnded)
				ended[e.Round] = e
				endedAt[e.Round] = f.App.LastBlockHeight()
			case "mesh.training.v1.EventRoundStarted":
				e := testutil.TypedEvent(t, ev).(*trainingtypes.EventRoundStarted)
				if e.Round > 1 {
					require.Equal(t, endedAt[e.Round-1]+1, f.App.LastBlockHeight(), "round %d drawn the block after round %d ended", e.Round, e.Round-1)
				}
			case "mesh.training.v1.EventTaskEnded":
				taskEnded = testutil.TypedEvent(t, ev).(*trainingtypes.EventTaskEnded)
			}
		}
	}
	require.Equal(t, trainingtypes.TASK_STATUS_COMPLETED, task.Status)
	// 6 blocks to set up (the last one draws round 1), then each phase ended
	// early, in one block, and after each round but the last a block whose
	// end blocker draws the next.
	require.Equal(t, int64(6+3*rounds+(rounds-1)), f.App.LastBlockHeight(), "every phase ended early, in one block")

	// Every round agreed on what all three aggregators computed.
	tp, err := f.App.TrainingKeeper.Params.Get(ctx())
	require.NoError(t, err)
	spent := sdkmath.ZeroInt()
	samples := map[string]uint64{} // provider → samples revealed over the task
	prev := initDigest
	var last aggResult
	for n := uint32(1); n <= rounds; n++ {
		rres, err := tq.Round(ctx(), &trainingtypes.QueryRoundRequest{TaskId: 1, Number: n})
		require.NoError(t, err)
		round := rres.Round
		require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, round.Phase, "round %d", n)
		require.Equal(t, prev, round.BaseDigest, "round %d starts from the last agreed checkpoint", n)
		res := results[n]
		require.Len(t, res, 3)
		for _, r := range res[1:] {
			require.Equal(t, res[0], r, "round %d: the aggregators computed the same checkpoint", n)
		}
		require.Equal(t, res[0].digest, round.CheckpointDigest)
		require.Equal(t, res[0].loss, round.EvalLoss, "round %d: the chain's eval_loss", n)
		// Payouts, all rounded down: A = ⌊B × aggregator_share_bps / 10000⌋
		// split evenly, P = B − A by samples (the shards are even, so no
		// update reaches the cap of 2 × the median).
		aggPart := round.Budget.Amount.MulRaw(int64(tp.AggregatorShareBps)).QuoRaw(trainingtypes.BpsScale)
		partPart := round.Budget.Amount.Sub(aggPart)
		var sum uint64
		for _, u := range round.Updates {
			sum += u.Samples
		}
		paid := sdkmath.ZeroInt()
		require.Len(t, round.Updates, 3)
		for _, u := range round.Updates {
			require.True(t, u.Revealed)
			require.Equal(t, partPart.MulRaw(int64(u.Samples)).QuoRaw(int64(sum)).String(), u.Paid.Amount.String())
			paid = paid.Add(u.Paid.Amount)
			samples[u.Provider] += u.Samples
		}
		for _, a := range round.Aggregates {
			require.True(t, a.Agreed)
			require.Equal(t, res[0].digest, a.Digest)
			require.Equal(t, aggPart.QuoRaw(3).String(), a.Paid.Amount.String())
			paid = paid.Add(a.Paid.Amount)
		}
		spent = spent.Add(paid)
		require.NotNil(t, ended[n], "round %d ended", n)
		require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, ended[n].Phase)
		require.Equal(t, hex.EncodeToString(res[0].digest), ended[n].CheckpointDigest)
		require.Equal(t, res[0].loss, ended[n].EvalLoss)
		require.Equal(t, sdk.NewCoin("umesh", paid).String(), ended[n].Paid)
		t.Logf("round %d: checkpoint %x, held-out loss %d, accuracy %d/%d, budget %s",
			n, round.CheckpointDigest[:8], res[0].loss, res[0].correct, len(test), round.Budget)
		prev, last = round.CheckpointDigest, res[0]
	}
	require.Less(t, last.loss, loss0, "training lowered the held-out loss")
	require.Greater(t, last.correct, correct0)

	// The task's result is a CANDIDATE model. Its weights_digest is the
	// checkpoint ENCODING's digest (x/training/keeper/task.go,
	// registerCandidate), not the SHA-256 of the weights FILE that
	// x/inference's other models carry and the embedded runtime verifies.
	require.Equal(t, prev, task.CheckpointDigest)
	require.Equal(t, store.base(t, prev).Digest(), [32]byte(prev))
	require.Equal(t, initModelID+"-t1", task.CandidateModelId)
	cand, err := f.App.InferenceKeeper.GetModel(ctx(), task.CandidateModelId)
	require.NoError(t, err)
	require.Equal(t, inferencetypes.MODEL_STATUS_CANDIDATE, cand.Status)
	require.Equal(t, hex.EncodeToString(prev), cand.WeightsDigest)
	require.Equal(t, inferencetypes.RuntimeInt8Embedded, cand.Runtime)
	file := sha256.Sum256(store.base(t, prev).WeightsFile())
	t.Logf("candidate %s: weights_digest %s (checkpoint encoding); its weights file hashes to %x",
		cand.Id, cand.WeightsDigest, file)

	// Money: the escrow paid exactly the pools and the refund.
	refund := sdkmath.NewInt(budget).Sub(spent)
	require.True(t, spent.IsPositive())
	require.True(t, refund.IsPositive(), "rounding dust comes back")
	require.Equal(t, spent.String(), task.Spent.Amount.String())
	require.Equal(t, escrowStart.Sub(spent).Sub(refund).String(), balance(trainingAddr).String())
	require.Equal(t, escrowStart.SubRaw(budget).String(), balance(trainingAddr).String())
	require.Equal(t, poolStart.Add(spent).String(), balance(poolAddr).String())
	require.Equal(t, creatorStart.Add(refund).String(), balance(creator.Address).String())
	require.NotNil(t, taskEnded)
	require.Equal(t, trainingtypes.TASK_STATUS_COMPLETED, taskEnded.Status)
	require.Equal(t, task.CandidateModelId, taskEnded.CandidateModelId)
	require.Equal(t, sdk.NewCoin("umesh", refund).String(), taskEnded.Refunded)
	t.Logf("budget %d umesh: paid %s into the pools, refunded %s", budget, spent, refund)

	// x/rewards: samples × training_points_per_sample training points per
	// provider, doubled by the early-contributor bonus.
	rp, err := f.App.RewardsKeeper.Params.Get(ctx())
	require.NoError(t, err)
	epoch, err := f.App.RewardsKeeper.CurrentEpoch.Get(ctx())
	require.NoError(t, err)
	var total uint64
	for _, tr := range trainers {
		prov := tr.provider.Address
		pts, err := f.App.RewardsKeeper.Points.Get(ctx(), collections.Join3(prov, epoch, rewardstypes.CategoryTraining))
		require.NoError(t, err)
		want := samples[prov.String()] * tp.TrainingPointsPerSample * (rewardstypes.BpsScale + uint64(rp.EarlyBonusBps)) / rewardstypes.BpsScale
		require.Equal(t, want, pts, "training points of %s", prov)
		total += pts
	}
	summary, err := f.App.RewardsKeeper.Epochs.Get(ctx(), epoch)
	require.NoError(t, err)
	c := summary.Category(rewardstypes.CategoryTraining)
	require.NotNil(t, c)
	require.Equal(t, sdkmath.NewIntFromUint64(total).String(), c.Points.String())
	require.EqualValues(t, 3, c.Participants)
}
