package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

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

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/types"
)

const (
	tfDenom = "umesh"
	// tfPoolModule is the module account the fake x/pool moves rewards into.
	tfPoolModule = "pool"
	// tfBaseModel is the ACTIVE base model of the tasks.
	tfBaseModel = "mesh-embedded-v1"
	// tfBudget is the default task budget (the default min_task_budget).
	tfBudget = 10_000_000
	// tfFunds each funded creator starts with.
	tfFunds = 100_000_000
)

// tfBaseDigest is the base model's weights digest.
var tfBaseDigest = tfSha("base weights")

// tfOutcome is one RecordJobOutcome call.
type tfOutcome struct {
	worker  string
	success bool
}

// tfCompute stands for x/compute: a workers map, a seed derived from its
// inputs and the height, and a record of the outcomes reported.
type tfCompute struct {
	workers  map[string]computetypes.Worker // by raw address bytes
	outcomes []tfOutcome
	seeds    []string // purpose of each Seed call
}

func (c *tfCompute) GetWorker(_ context.Context, worker sdk.AccAddress) (computetypes.Worker, error) {
	w, ok := c.workers[string(worker)]
	if !ok {
		return w, computetypes.ErrWorkerNotFound
	}
	return w, nil
}

func (c *tfCompute) RecordJobOutcome(_ context.Context, worker sdk.AccAddress, success bool) (uint32, error) {
	c.outcomes = append(c.outcomes, tfOutcome{worker: string(worker), success: success})
	return 5000, nil
}

func (c *tfCompute) Seed(ctx context.Context, purpose string, id []byte) []byte {
	c.seeds = append(c.seeds, purpose)
	return tfSeed(sdk.UnwrapSDKContext(ctx).BlockHeight(), purpose, id)
}

// tfSeed is the fake x/compute seed.
func tfSeed(height int64, purpose string, id []byte) []byte {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(height)))
	h.Write([]byte(purpose))
	h.Write(id)
	return h.Sum(nil)
}

// tfSlash is one Slash call.
type tfSlash struct {
	provider string
	fraction math.LegacyDec
	reason   string
	height   int64
}

// tfPool stands for x/pool: an eligibility map; AddRewards moves real coins
// from the paying module to the "pool" module account; Slash records.
type tfPool struct {
	bk       bankkeeper.BaseKeeper
	eligible map[string]bool // by raw provider bytes
	failPay  map[string]bool // providers whose AddRewards fails (after moving the coins)
	slashes  []tfSlash
}

func (p *tfPool) IsEligible(_ context.Context, provider sdk.AccAddress) (bool, error) {
	return p.eligible[string(provider)], nil
}

func (p *tfPool) AddRewards(ctx context.Context, fromModule string, provider sdk.AccAddress, amt sdk.Coins) error {
	if err := p.bk.SendCoinsFromModuleToModule(ctx, fromModule, tfPoolModule, amt); err != nil {
		return err
	}
	if p.failPay[string(provider)] {
		return fmt.Errorf("pool of %X is gone", []byte(provider))
	}
	return nil
}

func (p *tfPool) Slash(_ context.Context, provider sdk.AccAddress, fraction math.LegacyDec, reason string, h int64) (math.Int, error) {
	p.slashes = append(p.slashes, tfSlash{provider: string(provider), fraction: fraction, reason: reason, height: h})
	return math.NewInt(1), nil
}

// tfInference stands for x/inference: a models map; RegisterCandidateModel
// records and adds the model (an existing id fails).
type tfInference struct {
	models     map[string]inferencetypes.Model
	candidates []inferencetypes.Model
	fail       bool
}

func (i *tfInference) GetModel(_ context.Context, id string) (inferencetypes.Model, error) {
	m, ok := i.models[id]
	if !ok {
		return m, inferencetypes.ErrModelNotFound.Wrap(id)
	}
	return m, nil
}

func (i *tfInference) RegisterCandidateModel(_ context.Context, m inferencetypes.Model) error {
	if _, ok := i.models[m.Id]; ok || i.fail {
		return inferencetypes.ErrModelExists.Wrap(m.Id)
	}
	i.models[m.Id] = m
	i.candidates = append(i.candidates, m)
	return nil
}

// tfPoints is one AddPoints call.
type tfPoints struct {
	category string
	account  string
	points   uint64
}

// tfRewards stands for x/rewards: it records.
type tfRewards struct{ calls []tfPoints }

func (r *tfRewards) AddPoints(_ context.Context, category string, account sdk.AccAddress, points uint64, _ ...rewardstypes.PointsOption) (uint64, error) {
	r.calls = append(r.calls, tfPoints{category: category, account: string(account), points: points})
	return points, nil
}

// taskFixture is x/training's tasks and rounds on a real multistore with the
// real x/auth and x/bank keepers (every balance is real) and fakes of
// x/compute, x/pool, x/inference and x/rewards.
type taskFixture struct {
	t         *testing.T
	ctx       sdk.Context
	cms       storetypes.CommitMultiStore
	keys      map[string]*storetypes.KVStoreKey
	ac        addresscodec.Bech32Codec
	ak        authkeeper.AccountKeeper
	bk        bankkeeper.BaseKeeper
	compute   *tfCompute
	pool      *tfPool
	inference *tfInference
	rewards   *tfRewards
	k         keeper.Keeper
	params    types.Params
	creator   sdk.AccAddress
	dataset   uint64
}

// tfWorker is a worker and its provider.
type tfWorker struct {
	addr, provider sdk.AccAddress
}

// newTaskFixture sets the default params adjusted by opts, the sequences at
// 1, one dataset, the base model and a funded creator.
func newTaskFixture(t *testing.T, opts ...func(*types.Params)) *taskFixture {
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

	maccPerms := map[string][]string{
		minttypes.ModuleName: {authtypes.Minter},
		types.ModuleName:     {authtypes.Burner},
		tfPoolModule:         {authtypes.Burner},
	}
	blocked := map[string]bool{}
	for name := range maccPerms {
		blocked[authtypes.NewModuleAddress(name).String()] = true
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, ac, prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, blocked, authority, log.NewNopLogger())

	compute := &tfCompute{workers: map[string]computetypes.Worker{}}
	pool := &tfPool{bk: bk, eligible: map[string]bool{}, failPay: map[string]bool{}}
	inference := &tfInference{models: map[string]inferencetypes.Model{
		tfBaseModel: {
			Id: tfBaseModel, Name: "Mesh embedded", Version: "1", WeightsDigest: hex.EncodeToString(tfBaseDigest),
			WeightsUri: "ipfs://base", Runtime: inferencetypes.RuntimeInt8Embedded, Deterministic: true,
			Prices: sdk.NewCoins(sdk.NewInt64Coin(tfDenom, 1000)), MinVramGb: 8, Status: inferencetypes.MODEL_STATUS_ACTIVE,
		},
	}}
	rewards := &tfRewards{}
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, compute, pool, inference, rewards, authority)

	f := &taskFixture{
		t: t, cms: cms, keys: keys, ac: ac, ak: ak, bk: bk,
		compute: compute, pool: pool, inference: inference, rewards: rewards, k: k,
	}
	f.ctx = sdk.NewContext(cms, cmtproto.Header{ChainID: "mesh-test-1"}, false, log.NewNopLogger()).
		WithBlockHeight(1).WithEventManager(sdk.NewEventManager())
	require.NoError(t, bk.SetParams(f.ctx, banktypes.DefaultParams()))

	f.params = types.DefaultParams()
	for _, o := range opts {
		o(&f.params)
	}
	require.NoError(t, f.params.Validate())
	require.NoError(t, k.Params.Set(f.ctx, f.params))
	require.NoError(t, k.NextDatasetID.Set(f.ctx, 2))
	require.NoError(t, k.NextItemID.Set(f.ctx, 1))
	require.NoError(t, k.NextTaskID.Set(f.ctx, 1))
	f.dataset = 1
	require.NoError(t, k.Datasets.Set(f.ctx, 1, types.Dataset{Id: 1, Owner: f.bech(tfAddr("owner")), Name: "digits"}))
	for name := range maccPerms {
		ak.GetModuleAccount(f.ctx, name)
	}
	f.creator = tfAddr("creator")
	f.fund(f.creator, tfFunds)
	f.cms.Commit()
	return f
}

// tfAddr is a 20-byte address derived from name.
func tfAddr(name string) sdk.AccAddress { return tfSha("addr/" + name)[:20] }

func tfSha(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// tfSalt is a fixed 32-byte salt per worker.
func tfSalt(w sdk.AccAddress) []byte { return tfSha("salt/" + string(w)) }

func (f *taskFixture) bech(a sdk.AccAddress) string {
	s, err := f.ac.BytesToString(a)
	require.NoError(f.t, err)
	return s
}

func (f *taskFixture) height() int64 { return f.ctx.BlockHeight() }

// next commits and moves to the next block with a fresh event manager.
func (f *taskFixture) next() {
	f.cms.Commit()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithEventManager(sdk.NewEventManager())
}

// endBlock runs the EndBlocker and checks the escrow invariant.
func (f *taskFixture) endBlock() {
	f.t.Helper()
	require.NoError(f.t, f.k.EndBlocker(f.ctx))
	f.checkEscrow()
}

// openNext ends this block and runs the next one's EndBlocker, which draws
// the round a transaction of this block scheduled by ending the previous one.
func (f *taskFixture) openNext() {
	f.t.Helper()
	f.endBlock()
	f.next()
	f.endBlock()
}

// advanceTo runs empty blocks (EndBlock included) until height h has run.
func (f *taskFixture) advanceTo(h int64) {
	f.t.Helper()
	for f.height() < h {
		f.next()
		f.endBlock()
	}
}

func (f *taskFixture) fund(a sdk.AccAddress, amount int64) {
	f.t.Helper()
	coins := sdk.NewCoins(sdk.NewInt64Coin(tfDenom, amount))
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, coins))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, a, coins))
}

func (f *taskFixture) balance(a sdk.AccAddress) int64 {
	return f.bk.GetBalance(f.ctx, a, tfDenom).Amount.Int64()
}

// escrow is the training module account's balance.
func (f *taskFixture) escrow() int64 { return f.balance(f.ak.GetModuleAddress(types.ModuleName)) }

// paidOut is the balance the fake x/pool received.
func (f *taskFixture) paidOut() int64 { return f.balance(f.ak.GetModuleAddress(tfPoolModule)) }

// checkEscrow: the module account holds Σ (budget − spent) of the open and
// running tasks, exactly.
func (f *taskFixture) checkEscrow() {
	f.t.Helper()
	want := math.ZeroInt()
	require.NoError(f.t, f.k.Tasks.Walk(f.ctx, nil, func(_ uint64, task types.Task) (bool, error) {
		require.True(f.t, task.Spent.Amount.LTE(task.Budget.Amount), "task %d overspent", task.Id)
		if task.Status == types.TASK_STATUS_OPEN || task.Status == types.TASK_STATUS_RUNNING {
			want = want.Add(task.Budget.Amount.Sub(task.Spent.Amount))
		}
		return false, nil
	}))
	require.Equal(f.t, want.Int64(), f.escrow(), "module balance != Σ budget − spent of open tasks")
}

// addWorker registers an ACTIVE worker serving the base model, with an
// eligible provider of its own.
func (f *taskFixture) addWorker(name string) tfWorker {
	w := tfWorker{addr: tfAddr("worker/" + name), provider: tfAddr("provider/" + name)}
	f.compute.workers[string(w.addr)] = computetypes.Worker{
		Address: f.bech(w.addr), Provider: f.bech(w.provider), Models: []string{"other", tfBaseModel},
		Status: computetypes.WORKER_STATUS_ACTIVE, ReputationBps: 5000,
	}
	f.pool.eligible[string(w.provider)] = true
	return w
}

// addWorkers adds n workers named w0, w1, ….
func (f *taskFixture) addWorkers(n int) []tfWorker {
	out := make([]tfWorker, n)
	for i := range out {
		out[i] = f.addWorker(fmt.Sprintf("w%d", i))
	}
	return out
}

// createMsg is a task of the base model on the dataset: rounds, p
// participants and a aggregators per round, the default budget.
func (f *taskFixture) createMsg(rounds, p, a uint32) *types.MsgCreateTask {
	return &types.MsgCreateTask{
		Creator: f.bech(f.creator), BaseModelId: tfBaseModel, DatasetIds: []uint64{f.dataset},
		Rounds: rounds, ParticipantsPerRound: p, AggregatorsPerRound: a,
		Aggregation: types.AGGREGATION_FEDAVG, Hyperparams: `{"lr":0.01}`,
		Budget: sdk.NewInt64Coin(tfDenom, tfBudget),
	}
}

func (f *taskFixture) create(msg *types.MsgCreateTask) uint64 {
	f.t.Helper()
	id, err := f.k.CreateTask(f.ctx, msg)
	require.NoError(f.t, err)
	f.checkEscrow()
	return id
}

func (f *taskFixture) join(taskID uint64, w tfWorker) {
	f.t.Helper()
	require.NoError(f.t, f.k.JoinTask(f.ctx, &types.MsgJoinTask{Worker: f.bech(w.addr), TaskId: taskID}))
	f.checkEscrow()
}

// openTask creates a task and joins the workers in this block; the last
// join schedules its first round for the next block.
func (f *taskFixture) openTask(msg *types.MsgCreateTask, ws []tfWorker) uint64 {
	f.t.Helper()
	id := f.create(msg)
	for _, w := range ws {
		f.join(id, w)
	}
	require.Equal(f.t, types.TASK_STATUS_OPEN, f.task(id).Status, "no round drawn in the block of the joins")
	return id
}

// startTask is openTask, then the next block's EndBlocker, which draws the
// task's first round (from the workers joined before that block).
func (f *taskFixture) startTask(msg *types.MsgCreateTask, ws []tfWorker) uint64 {
	f.t.Helper()
	id := f.openTask(msg, ws)
	f.next()
	f.endBlock()
	require.NotEqual(f.t, types.TASK_STATUS_OPEN, f.task(id).Status, "started in the next block")
	return id
}

func (f *taskFixture) task(id uint64) types.Task {
	f.t.Helper()
	task, err := f.k.Tasks.Get(f.ctx, id)
	require.NoError(f.t, err)
	return task
}

func (f *taskFixture) round(taskID uint64, n uint32) types.Round {
	f.t.Helper()
	r, err := f.k.Rounds.Get(f.ctx, collections.Join(taskID, n))
	require.NoError(f.t, err)
	return r
}

// byBech maps the fixture's workers by address string.
func (f *taskFixture) byBech(ws []tfWorker) map[string]tfWorker {
	out := make(map[string]tfWorker, len(ws))
	for _, w := range ws {
		out[f.bech(w.addr)] = w
	}
	return out
}

// participants returns the workers drawn as participants of a round, in draw order.
func (f *taskFixture) participants(taskID uint64, n uint32, ws []tfWorker) []tfWorker {
	m := f.byBech(ws)
	var out []tfWorker
	for _, u := range f.round(taskID, n).Updates {
		out = append(out, m[u.Worker])
	}
	return out
}

// aggregators returns the workers drawn as aggregators of a round, in draw order.
func (f *taskFixture) aggregators(taskID uint64, n uint32, ws []tfWorker) []tfWorker {
	m := f.byBech(ws)
	var out []tfWorker
	for _, a := range f.round(taskID, n).Aggregates {
		out = append(out, m[a.Worker])
	}
	return out
}

// tfUpd is what a participant trains: its digest, samples and loss.
type tfUpd struct {
	digest        []byte
	samples, loss uint64
}

// tfUpdate is worker's update in a round with the given samples.
func tfUpdate(w tfWorker, n uint32, samples uint64) tfUpd {
	return tfUpd{digest: tfSha(fmt.Sprintf("update/%s/%d", w.addr, n)), samples: samples, loss: 420_000}
}

func (f *taskFixture) commitMsg(w tfWorker, taskID uint64, n uint32, u tfUpd) *types.MsgCommitUpdate {
	return &types.MsgCommitUpdate{
		Worker: f.bech(w.addr), TaskId: taskID, Round: n,
		Commitment: types.UpdateCommitment(taskID, n, w.addr, u.digest, u.samples, u.loss, tfSalt(w.addr)),
	}
}

func (f *taskFixture) revealMsg(w tfWorker, taskID uint64, n uint32, u tfUpd) *types.MsgRevealUpdate {
	return &types.MsgRevealUpdate{
		Worker: f.bech(w.addr), TaskId: taskID, Round: n, Digest: u.digest,
		Samples: u.samples, Loss: u.loss, Uri: "ipfs://update", Salt: tfSalt(w.addr),
	}
}

func (f *taskFixture) aggregateMsg(w tfWorker, taskID uint64, n uint32, digest []byte, evalLoss uint64) *types.MsgSubmitAggregate {
	return &types.MsgSubmitAggregate{
		Worker: f.bech(w.addr), TaskId: taskID, Round: n, Digest: digest,
		Uri: "ipfs://ckpt/" + hex.EncodeToString(digest[:4]) + "/" + f.bech(w.addr), EvalLoss: evalLoss,
	}
}

func (f *taskFixture) commit(w tfWorker, taskID uint64, n uint32, u tfUpd) {
	f.t.Helper()
	require.NoError(f.t, f.k.CommitUpdate(f.ctx, f.commitMsg(w, taskID, n, u)))
	f.checkEscrow()
}

func (f *taskFixture) reveal(w tfWorker, taskID uint64, n uint32, u tfUpd) {
	f.t.Helper()
	require.NoError(f.t, f.k.RevealUpdate(f.ctx, f.revealMsg(w, taskID, n, u)))
	f.checkEscrow()
}

func (f *taskFixture) aggregate(w tfWorker, taskID uint64, n uint32, digest []byte, evalLoss uint64) {
	f.t.Helper()
	require.NoError(f.t, f.k.SubmitAggregate(f.ctx, f.aggregateMsg(w, taskID, n, digest, evalLoss)))
	f.checkEscrow()
}

// outcomes returns the RecordJobOutcome results reported for w so far.
func (f *taskFixture) outcomes(w tfWorker) []bool {
	var out []bool
	for _, o := range f.compute.outcomes {
		if o.worker == string(w.addr) {
			out = append(out, o.success)
		}
	}
	return out
}

// deadlines lists the RoundDeadlines entries as (height, task).
func (f *taskFixture) deadlines() [][2]int64 {
	f.t.Helper()
	var out [][2]int64
	require.NoError(f.t, f.k.RoundDeadlines.Walk(f.ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		out = append(out, [2]int64{key.K1(), int64(key.K2())})
		return false, nil
	}))
	return out
}

// snapshot hashes the auth, bank and training stores.
func (f *taskFixture) snapshot() string {
	h := sha256.New()
	for _, name := range []string{authtypes.StoreKey, banktypes.StoreKey, types.StoreKey} {
		it := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).KVStore(f.keys[name]).Iterator(nil, nil)
		for ; it.Valid(); it.Next() {
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(it.Key()))))
			h.Write(it.Key())
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(it.Value()))))
			h.Write(it.Value())
		}
		it.Close()
	}
	return string(h.Sum(nil))
}

// requireRejected runs fn and requires the registered error want, and no
// change to any store (state, balances, supply), event or fake call.
func (f *taskFixture) requireRejected(want error, fn func() error, what ...any) {
	f.t.Helper()
	before, events := f.snapshot(), len(f.ctx.EventManager().Events())
	outcomes, slashes, points := len(f.compute.outcomes), len(f.pool.slashes), len(f.rewards.calls)
	err := fn()
	require.ErrorIs(f.t, err, want, what...)
	require.Equal(f.t, before, f.snapshot(), "state changed by a rejected call %v", what)
	require.Len(f.t, f.ctx.EventManager().Events(), events, "events emitted by a rejected call %v", what)
	require.Len(f.t, f.compute.outcomes, outcomes, "outcomes reported by a rejected call %v", what)
	require.Len(f.t, f.pool.slashes, slashes, "slashes by a rejected call %v", what)
	require.Len(f.t, f.rewards.calls, points, "points by a rejected call %v", what)
}

// tfEvents decodes the events of type T emitted so far in this block.
func tfEvents[T any, PT interface {
	*T
	proto.Message
}](f *taskFixture) []T {
	f.t.Helper()
	name := proto.MessageName(PT(new(T)))
	var out []T
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type != name {
			continue
		}
		msg, err := sdk.ParseTypedEvent(abci.Event(e))
		require.NoError(f.t, err)
		out = append(out, *msg.(PT))
	}
	return out
}

func tfShaBytes(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

// fullRound runs round n of a task in the current block: every participant
// commits and reveals tfUpdate(samples[i]) (in draw order), every
// aggregator submits digest. Each last message ends its phase at once.
func (f *taskFixture) fullRound(taskID uint64, n uint32, ws []tfWorker, samples []uint64, digest []byte) {
	f.t.Helper()
	parts := f.participants(taskID, n, ws)
	require.Len(f.t, parts, len(samples))
	for i, w := range parts {
		f.commit(w, taskID, n, tfUpdate(w, n, samples[i]))
	}
	for i, w := range parts {
		f.reveal(w, taskID, n, tfUpdate(w, n, samples[i]))
	}
	for i, w := range f.aggregators(taskID, n, ws) {
		f.aggregate(w, taskID, n, digest, uint64(100+i))
	}
	require.Equal(f.t, types.ROUND_PHASE_FINALIZED, f.round(taskID, n).Phase)
}
