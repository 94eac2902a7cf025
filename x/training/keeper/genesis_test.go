package keeper_test

import (
	"crypto/sha256"
	"strings"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/store/v2"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/types"
)

// genFixture is x/training without genesis on a real multistore with the
// real x/auth and x/bank keepers (the escrow check reads real balances).
// Compute, pool, inference and rewards are not used by genesis or by the
// data messages the tests send after it.
type genFixture struct {
	t   *testing.T
	ctx sdk.Context
	cdc codec.Codec
	ac  addresscodec.Bech32Codec
	bk  bankkeeper.BaseKeeper
	ak  authkeeper.AccountKeeper
	k   keeper.Keeper
	key *storetypes.KVStoreKey
}

func newGenFixture(t *testing.T) *genFixture {
	t.Helper()
	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, types.StoreKey)
	cms := store.NewCommitMultiStore(dbm.NewMemDB(), log.NewNopLogger())
	for _, key := range keys {
		cms.MountStoreWithDB(key, storetypes.StoreTypeIAVL, nil)
	}
	require.NoError(t, cms.LoadLatestVersion())
	enc := moduletestutil.MakeTestEncodingConfig()
	authtypes.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	types.RegisterInterfaces(enc.InterfaceRegistry)

	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	ac := addresscodec.NewBech32Codec(prefix).(addresscodec.Bech32Codec)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("dao"))
	require.NoError(t, err)
	perms := map[string][]string{minttypes.ModuleName: {authtypes.Minter}, types.ModuleName: {authtypes.Burner}}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, perms, ac, prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, map[string]bool{}, authority, log.NewNopLogger())
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, nil, nil, nil, nil, authority)
	ctx := sdk.NewContext(cms, cmtproto.Header{ChainID: "mesh-test-1"}, false, log.NewNopLogger()).
		WithBlockHeight(25).WithEventManager(sdk.NewEventManager())
	require.NoError(t, bk.SetParams(ctx, banktypes.DefaultParams()))
	return &genFixture{t: t, ctx: ctx, cdc: enc.Codec, ac: ac, bk: bk, ak: ak, k: k, key: keys[types.StoreKey]}
}

// addr is the bech32 test address spelling name.
func (f *genFixture) addr(name string) string {
	f.t.Helper()
	b := make([]byte, 20)
	copy(b, name)
	s, err := f.ac.BytesToString(b)
	require.NoError(f.t, err)
	return s
}

func (f *genFixture) bytes(s string) sdk.AccAddress {
	f.t.Helper()
	b, err := f.ac.StringToBytes(s)
	require.NoError(f.t, err)
	return b
}

// mint gives amount umesh to an account, or to the module account if to is "".
func (f *genFixture) mint(to string, amount int64) {
	f.t.Helper()
	c := sdk.NewCoins(sdk.NewInt64Coin("umesh", amount))
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, c))
	if to == "" {
		require.NoError(f.t, f.bk.SendCoinsFromModuleToModule(f.ctx, minttypes.ModuleName, types.ModuleName, c))
		return
	}
	require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, f.bytes(to), c))
}

func (f *genFixture) balance(addr sdk.AccAddress) int64 {
	return f.bk.GetBalance(f.ctx, addr, "umesh").Amount.Int64()
}

func sha(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func umesh(n int64) sdk.Coin { return sdk.NewInt64Coin("umesh", n) }

// genesisEscrow is what richGenesis's module account must hold: two pending
// stakes of 1 MESH, the budget left of the running tasks 2 (20 MESH), 3 (30)
// and 4 (10), and of the open task 5 (30).
const genesisEscrow = 2*1_000_000 + 20_000_000 + 30_000_000 + 10_000_000 + 30_000_000

// richGenesis has every kind of record: an OPEN item with two pending
// annotations, a LABELED and a DISPUTED item, annotator stats; a COMPLETED
// task (nothing escrowed), RUNNING tasks in the commit, reveal and aggregate
// phases of their current round, and an OPEN task with the one worker it
// needs, whose first round is not drawn yet.
func richGenesis(f *genFixture) *types.GenesisState {
	alice, bob, carol := f.addr("alice"), f.addr("bob"), f.addr("carol")
	w1, w2, prov := f.addr("worker1"), f.addr("worker2"), f.addr("provider")
	task := func(id uint64, status types.TaskStatus, current uint32, spent int64, workers uint32) types.Task {
		return types.Task{
			Id: id, Creator: alice, BaseModelId: "mesh-embedded-v1", Runtime: "int8-embedded", BaseDigest: sha("base"),
			DatasetIds: []uint64{1}, Rounds: 3, ParticipantsPerRound: 1, AggregatorsPerRound: 1,
			Aggregation: types.AGGREGATION_FEDAVG, Hyperparams: `{"lr":"0.01"}`, Budget: umesh(30_000_000), Spent: umesh(spent),
			Status: status, CurrentRound: current, CheckpointDigest: sha("base"), Workers: workers, CreatedHeight: 3,
		}
	}
	round := func(taskID uint64, n uint32, phase types.RoundPhase, start int64) types.Round {
		return types.Round{
			TaskId: taskID, Number: n, Phase: phase, Seed: sha("seed"), BaseDigest: sha("base"),
			StartHeight: start, CommitEnd: start + 10, RevealEnd: start + 20, AggregateEnd: start + 30, Budget: umesh(10_000_000),
			Updates:    []types.Update{{Worker: w1, Provider: prov, Commitment: sha("c"), Paid: umesh(0)}},
			Aggregates: []types.Aggregate{{Worker: w2, Provider: prov, Paid: umesh(0)}},
		}
	}
	completed := task(1, types.TASK_STATUS_COMPLETED, 3, 27_000_000, 2)
	completed.CandidateModelId = "mesh-embedded-v1-t1"
	return &types.GenesisState{
		Params:        types.DefaultParams(),
		NextDatasetId: 3,
		NextItemId:    5,
		NextTaskId:    6,
		Datasets: []types.Dataset{
			{Id: 1, Owner: alice, Name: "reviews", Schema: "text", License: "CC-BY-4.0", Items: 3, Labels: []string{"low", "high"}},
			{Id: 2, Owner: bob, Name: "scans", Items: 1},
		},
		Items: []types.Item{
			{Id: 1, DatasetId: 1, Contributor: alice, Digest: sha("good"), Data: []byte("good"), Status: types.ITEM_STATUS_OPEN, Annotations: 2},
			{Id: 2, DatasetId: 1, Contributor: alice, Digest: sha("far"), Uri: "https://x/far", Status: types.ITEM_STATUS_LABELED, Label: "low", Annotations: 3},
			{Id: 3, DatasetId: 2, Contributor: bob, Digest: sha("good"), Data: []byte("good"), Status: types.ITEM_STATUS_DISPUTED, Annotations: 3},
			{Id: 4, DatasetId: 1, Contributor: carol, Digest: sha("bad"), Data: []byte("bad"), Status: types.ITEM_STATUS_OPEN},
		},
		Annotations: []types.Annotation{
			{ItemId: 1, Annotator: bob, Label: "high", Stake: umesh(1_000_000)},
			{ItemId: 1, Annotator: carol, Label: "high", Stake: umesh(1_000_000)},
		},
		AnnotatorStats: []types.AnnotatorStats{{Annotator: bob, Agreed: 1}, {Annotator: carol, Disagreed: 1, Strikes: 1}},
		Tasks: []types.Task{
			completed,
			task(2, types.TASK_STATUS_RUNNING, 2, 10_000_000, 2),
			task(3, types.TASK_STATUS_RUNNING, 1, 0, 2),
			task(4, types.TASK_STATUS_RUNNING, 3, 20_000_000, 2),
			task(5, types.TASK_STATUS_OPEN, 0, 0, 1),
		},
		TaskWorkers: []types.TaskWorker{
			{TaskId: 1, Worker: w1}, {TaskId: 1, Worker: w2}, {TaskId: 2, Worker: w1}, {TaskId: 2, Worker: w2},
			{TaskId: 3, Worker: w1}, {TaskId: 3, Worker: w2}, {TaskId: 4, Worker: w1}, {TaskId: 4, Worker: w2}, {TaskId: 5, Worker: w1},
		},
		Rounds: []types.Round{
			round(1, 1, types.ROUND_PHASE_FINALIZED, 5),
			round(1, 2, types.ROUND_PHASE_FAILED, 40),
			round(1, 3, types.ROUND_PHASE_FINALIZED, 80),
			round(2, 1, types.ROUND_PHASE_EMPTY, 5),
			round(2, 2, types.ROUND_PHASE_COMMIT, 20),    // deadline 30
			round(3, 1, types.ROUND_PHASE_REVEAL, 10),    // deadline 30
			round(4, 1, types.ROUND_PHASE_FINALIZED, 1),  //
			round(4, 2, types.ROUND_PHASE_FINALIZED, 4),  //
			round(4, 3, types.ROUND_PHASE_AGGREGATE, 10), // deadline 40
		},
	}
}

func (f *genFixture) deadlines() [][2]int64 {
	f.t.Helper()
	var out [][2]int64
	require.NoError(f.t, f.k.RoundDeadlines.Walk(f.ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		out = append(out, [2]int64{key.K1(), int64(key.K2())})
		return false, nil
	}))
	return out
}

// TestGenesisRoundTrip imports every kind of record, exports the same state
// (through JSON too), and checks the rebuilt indexes and deadlines and that
// the chain carries on from the imported ids and escrow.
func TestGenesisRoundTrip(t *testing.T) {
	f := newGenFixture(t)
	gs := richGenesis(f)
	require.NoError(t, gs.Validate())
	f.mint("", genesisEscrow)
	require.NoError(t, f.k.InitGenesis(f.ctx, gs))

	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, gs, exported)
	bz, err := f.cdc.MarshalJSON(exported)
	require.NoError(t, err)
	var back types.GenesisState
	require.NoError(t, f.cdc.UnmarshalJSON(bz, &back))
	require.Equal(t, string(bz), string(f.cdc.MustMarshalJSON(&back)))

	// Indexes and deadlines are rebuilt: each running task's current round
	// at the end of its phase, and the open task 5, which has its one
	// worker, starts its first round at the genesis height 25 + 1.
	id, err := f.k.ItemsByDigest.Get(f.ctx, collections.Join(uint64(2), sha("good")))
	require.NoError(t, err)
	require.Equal(t, uint64(3), id)
	for _, key := range [][2]uint64{{1, 1}, {1, 2}, {1, 4}, {2, 3}} {
		has, err := f.k.ItemsByDataset.Has(f.ctx, collections.Join(key[0], key[1]))
		require.NoError(t, err)
		require.True(t, has, key)
	}
	require.Equal(t, [][2]int64{{26, 5}, {30, 2}, {30, 3}, {40, 4}}, f.deadlines())

	// New ids follow the imported sequences; the digest index refuses a
	// duplicate; the third label settles item 1 from the imported escrow.
	msg := keeper.NewMsgServerImpl(f.k)
	alice, dave := f.addr("alice"), f.addr("dave")
	ds, err := msg.RegisterDataset(f.ctx, &types.MsgRegisterDataset{Owner: alice, Name: "more"})
	require.NoError(t, err)
	require.Equal(t, uint64(3), ds.DatasetId)
	item, err := msg.ContributeItem(f.ctx, &types.MsgContributeItem{Contributor: alice, DatasetId: 1, Data: []byte("new")})
	require.NoError(t, err)
	require.Equal(t, uint64(5), item.ItemId)
	_, err = msg.ContributeItem(f.ctx, &types.MsgContributeItem{Contributor: dave, DatasetId: 1, Data: []byte("good")})
	require.ErrorIs(t, err, types.ErrDuplicateItem)

	f.mint(dave, 1_000_000)
	module := f.ak.GetModuleAddress(types.ModuleName)
	res, err := msg.Annotate(f.ctx, &types.MsgAnnotate{Annotator: dave, ItemId: 1, Label: "high"})
	require.NoError(t, err)
	require.True(t, res.Final)
	require.Equal(t, "high", res.Label)
	require.Equal(t, int64(genesisEscrow-2_000_000), f.balance(module), "the imported stakes returned")
	require.Equal(t, int64(1_000_000), f.balance(f.bytes(f.addr("bob"))))
}

func TestDefaultGenesisRoundTrip(t *testing.T) {
	f := newGenFixture(t)
	require.NoError(t, f.k.InitGenesis(f.ctx, types.DefaultGenesis()))
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis(), exported)
	require.Empty(t, f.deadlines())
}

// TestInitGenesisRejects: an invalid state, a bad or non-canonical address,
// or a module account short of the escrow is refused.
func TestInitGenesisRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		escrow  int64
		mutate  func(f *genFixture, gs *types.GenesisState)
		wantErr string
	}{
		{"escrow short by one", genesisEscrow - 1, nil, "module account holds 91999999umesh, pending annotation stakes and open task budgets need 92000000umesh"},
		{"escrow in another denom", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) {
			gs.Annotations[0].Stake = sdk.NewInt64Coin("uatom", 1_000_000)
		}, "module account holds 0uatom"},
		{"invalid state", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) { gs.NextItemId = 4 }, "item id 4 outside"},
		{"bad owner", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) { gs.Datasets[1].Owner = "mesh1nope" }, "dataset owner"},
		{"bad creator", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) { gs.Tasks[2].Creator = "cosmos1x" }, "task creator"},
		{"bad provider", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) { gs.Rounds[4].Updates[0].Provider = "x" }, "participant provider"},
		{"non-canonical annotator", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) {
			gs.Annotations[1].Annotator = strings.ToUpper(gs.Annotations[1].Annotator)
		}, "is not in canonical form"},
		{"non-canonical worker", genesisEscrow, func(_ *genFixture, gs *types.GenesisState) {
			gs.TaskWorkers[0].Worker = strings.ToUpper(gs.TaskWorkers[0].Worker)
		}, "is not in canonical form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newGenFixture(t)
			gs := richGenesis(f)
			if tc.mutate != nil {
				tc.mutate(f, gs)
			}
			f.mint("", tc.escrow)
			err := f.k.InitGenesis(f.ctx, gs)
			require.ErrorIs(t, err, types.ErrInvalidGenesis)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}

	// Only what is still owed must be held: without pending annotations and
	// open or running tasks, an empty module account is enough.
	f := newGenFixture(t)
	gs := richGenesis(f)
	gs.Annotations, gs.Items[0].Annotations = nil, 0
	gs.Tasks, gs.TaskWorkers, gs.Rounds = gs.Tasks[:1], gs.TaskWorkers[:2], gs.Rounds[:3]
	require.NoError(t, f.k.InitGenesis(f.ctx, gs))
}

// TestStoreKeyLayout pins how keys are encoded under their prefixes.
func TestStoreKeyLayout(t *testing.T) {
	f := newGenFixture(t)
	f.mint("", genesisEscrow)
	require.NoError(t, f.k.InitGenesis(f.ctx, richGenesis(f)))
	kv := f.ctx.KVStore(f.key)
	bob := f.bytes(f.addr("bob"))
	be64 := func(v uint64) []byte {
		return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"params", []byte{0}},
		{"next dataset id", []byte{1}},
		{"next item id", []byte{2}},
		{"next task id", []byte{3}},
		{"dataset 2", cat([]byte{4}, be64(2))},
		{"item 3", cat([]byte{5}, be64(3))},
		{"items_by_dataset (2, 3)", cat([]byte{6}, be64(2), be64(3))},
		{"items_by_digest (2, sha(good))", cat([]byte{7}, be64(2), sha("good"))},
		{"items_by_digest (1, sha(bad))", cat([]byte{7}, be64(1), sha("bad"))},
		{"annotation (1, bob)", cat([]byte{8}, be64(1), bob)},
		{"annotator stats bob", cat([]byte{9}, bob)},
		{"task 5", cat([]byte{10}, be64(5))},
		{"task worker (2, worker1)", cat([]byte{11}, be64(2), f.bytes(f.addr("worker1")))},
		{"round (4, 3)", cat([]byte{12}, be64(4), []byte{0, 0, 0, 3})},
		{"round deadline (40, 4)", cat([]byte{13}, be64(40|1<<63), be64(4))},
		{"round deadline (30, 3)", cat([]byte{13}, be64(30|1<<63), be64(3))},
		{"first round of open task 5 (26, 5)", cat([]byte{13}, be64(26|1<<63), be64(5))},
	} {
		require.True(t, kv.Has(tc.key), "%s: %X", tc.name, tc.key)
	}
}

// TestGenesisOfLiveTasks exports tasks run by the real messages (finished,
// mid-round in the commit and reveal phases, open), imports them into a
// fresh chain holding the same escrow, and requires the same export, the
// same rebuilt deadlines, and both chains to carry on identically.
func TestGenesisOfLiveTasks(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	running := f.startTask(f.createMsg(2, 2, 3), ws)
	f.fullRound(running, 1, ws, []uint64{10, 20}, tfSha("checkpoint 1"))
	revealing := f.startTask(f.createMsg(1, 1, 1), ws[:1])
	f.commit(ws[0], revealing, 1, tfUpdate(ws[0], 1, 5))
	done := f.startTask(f.createMsg(1, 1, 1), ws[1:2])
	f.fullRound(done, 1, ws[1:2], []uint64{7}, tfSha("checkpoint done"))
	open := f.create(f.createMsg(1, 3, 1))
	f.join(open, ws[2])
	f.next()

	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	statuses := make([]types.TaskStatus, 0, len(exported.Tasks))
	for _, task := range exported.Tasks {
		statuses = append(statuses, task.Status)
	}
	require.Equal(t, []types.TaskStatus{
		types.TASK_STATUS_RUNNING, types.TASK_STATUS_RUNNING, types.TASK_STATUS_COMPLETED, types.TASK_STATUS_OPEN,
	}, statuses, "tasks %d %d %d %d", running, revealing, done, open)

	g := newTaskFixture(t)
	g.addWorkers(3)
	g.ctx = g.ctx.WithBlockHeight(f.height())
	escrow := sdk.NewCoins(sdk.NewInt64Coin(tfDenom, f.escrow()))
	require.NoError(t, g.bk.MintCoins(g.ctx, minttypes.ModuleName, escrow))
	require.NoError(t, g.bk.SendCoinsFromModuleToModule(g.ctx, minttypes.ModuleName, types.ModuleName, escrow))
	require.NoError(t, g.k.InitGenesis(g.ctx, exported))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	require.Equal(t, f.deadlines(), g.deadlines())
	require.Len(t, f.deadlines(), 2)

	// Both chains finish the running task's last round and reach the
	// reveal deadline of the other at the same heights.
	for _, x := range []*taskFixture{f, g} {
		x.fullRound(running, 2, ws, []uint64{1, 2}, tfSha("checkpoint 2"))
		x.advanceTo(x.round(revealing, 1).RevealEnd + 1)
		require.Equal(t, types.TASK_STATUS_COMPLETED, x.task(running).Status)
		require.Equal(t, types.ROUND_PHASE_EMPTY, x.round(revealing, 1).Phase)
	}
	a, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	b, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.Equal(t, f.escrow(), g.escrow())
}

// TestGenesisOfScheduledRound: a task exported after the block whose
// transaction ended its round 1 (round 2 due at the next block, not drawn)
// validates, imports with round 2 due at the genesis height + 1, and both
// chains draw the same round 2 there.
func TestGenesisOfScheduledRound(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(2)
	id := f.startTask(f.createMsg(2, 1, 1), ws[:1])
	f.next()
	f.fullRound(id, 1, ws[:1], []uint64{7}, tfSha("checkpoint 1"))
	f.join(id, ws[1])
	f.endBlock()
	h := f.height()
	require.Equal(t, [][2]int64{{h + 1, int64(id)}}, f.deadlines())

	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Equal(t, types.TASK_STATUS_RUNNING, exported.Tasks[0].Status)
	require.Equal(t, uint32(1), exported.Tasks[0].CurrentRound)

	g := newTaskFixture(t)
	g.addWorkers(2)
	g.ctx = g.ctx.WithBlockHeight(h)
	escrow := sdk.NewCoins(sdk.NewInt64Coin(tfDenom, f.escrow()))
	require.NoError(t, g.bk.MintCoins(g.ctx, minttypes.ModuleName, escrow))
	require.NoError(t, g.bk.SendCoinsFromModuleToModule(g.ctx, minttypes.ModuleName, types.ModuleName, escrow))
	require.NoError(t, g.k.InitGenesis(g.ctx, exported))
	require.Equal(t, f.deadlines(), g.deadlines())

	for _, x := range []*taskFixture{f, g} {
		x.next()
		x.endBlock()
		require.Equal(t, uint32(2), x.task(id).CurrentRound)
		require.Equal(t, h+1, x.round(id, 2).StartHeight)
		require.Len(t, x.round(id, 2).Updates, 1)
	}
	a, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	b, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, a, b)
}
