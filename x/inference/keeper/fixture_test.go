package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

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
	banktestutil "github.com/cosmos/cosmos-sdk/x/bank/testutil"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/inference/keeper"
	"github.com/llmesh/mesh/x/inference/types"
	poolkeeper "github.com/llmesh/mesh/x/pool/keeper"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

const (
	denom   = "umesh"
	chainID = "mesh-test-1"
	modelID = "mesh-embedded-v1"
	// selfBond of each test provider; commission 10 %.
	selfBond   = 1_000_000
	commission = "0.1"
)

// fakeRewards is an x/rewards that records every AddPoints call and credits
// the points in its own store through ctx, so a test sees whether a cache
// context kept or dropped them. With fail set, AddPoints still writes, then
// fails.
type fakeRewards struct {
	key   *storetypes.KVStoreKey
	fail  bool
	calls []pointsCall
}

// pointsCall is one AddPoints call; account is the raw address bytes.
type pointsCall struct {
	category string
	account  string
	points   uint64
	measures rewardstypes.Measures
}

// fakeRewardsStoreKey is the fake x/rewards store.
const fakeRewardsStoreKey = "rewards_test"

// fakePointsEvent is the event fakeRewards emits with each credit.
const fakePointsEvent = "fake_points_added"

func (r *fakeRewards) AddPoints(ctx context.Context, category string, account sdk.AccAddress, points uint64, opts ...rewardstypes.PointsOption) (uint64, error) {
	r.calls = append(r.calls, pointsCall{category, string(account), points, rewardstypes.ApplyOptions(opts)})
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	store := sdkCtx.KVStore(r.key)
	k := append([]byte(category+"/"), account...)
	var total uint64
	if bz := store.Get(k); bz != nil {
		total = binary.BigEndian.Uint64(bz)
	}
	store.Set(k, binary.BigEndian.AppendUint64(nil, total+points))
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(fakePointsEvent))
	if r.fail {
		return 0, fmt.Errorf("rewards store unavailable")
	}
	return points, nil
}

// credited is the points kept in the fake's store for (category, account).
func (r *fakeRewards) credited(ctx sdk.Context, category string, account sdk.AccAddress) uint64 {
	bz := ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).KVStore(r.key).Get(append([]byte(category+"/"), account...))
	if bz == nil {
		return 0
	}
	return binary.BigEndian.Uint64(bz)
}

// measures is what AddPoints receives from opts.
func measures(opts ...rewardstypes.PointsOption) rewardstypes.Measures {
	return rewardstypes.ApplyOptions(opts)
}

// fixture is x/inference on a real multistore with the real x/auth, x/bank,
// x/pool and x/compute keepers: every balance below is a real bank balance.
type fixture struct {
	t         testing.TB
	ctx       sdk.Context
	cms       storetypes.CommitMultiStore
	keys      map[string]*storetypes.KVStoreKey
	enc       moduletestutil.TestEncodingConfig
	ac        addresscodec.Bech32Codec
	ak        authkeeper.AccountKeeper
	bk        bankkeeper.BaseKeeper
	pool      poolkeeper.Keeper
	compute   computekeeper.Keeper
	rewards   *fakeRewards
	k         keeper.Keeper
	msg       types.MsgServer
	q         types.QueryServer
	authority string
	// workerN numbers the workers and providers created.
	workerN int
	// blocked is x/bank's blocked-address map (see blockAddr).
	blocked map[string]bool
}

// blockAddr makes x/bank refuse every send to a from now on, as for a
// module account.
func (f *fixture) blockAddr(a sdk.AccAddress) { f.blocked[a.String()] = true }

func newFixture(t testing.TB, mutate func(*types.Params)) *fixture {
	t.Helper()
	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, pooltypes.StoreKey,
		computetypes.StoreKey, types.StoreKey, fakeRewardsStoreKey)
	cms := store.NewCommitMultiStore(dbm.NewMemDB(), log.NewNopLogger())
	for _, key := range keys {
		cms.MountStoreWithDB(key, storetypes.StoreTypeIAVL, nil)
	}
	require.NoError(t, cms.LoadLatestVersion())

	enc := moduletestutil.MakeTestEncodingConfig()
	authtypes.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	pooltypes.RegisterInterfaces(enc.InterfaceRegistry)
	computetypes.RegisterInterfaces(enc.InterfaceRegistry)
	types.RegisterInterfaces(enc.InterfaceRegistry)

	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	ac := addresscodec.NewBech32Codec(prefix).(addresscodec.Bech32Codec)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	maccPerms := map[string][]string{
		minttypes.ModuleName:         {authtypes.Minter},
		pooltypes.ModuleName:         {authtypes.Burner},
		pooltypes.TreasuryModuleName: nil,
		types.ModuleName:             {authtypes.Burner},
		types.ProtocolFeeAccount:     nil,
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, ac, prefix, authority)
	blockedAddrs := map[string]bool{} // x/bank keeps the map: blockAddr adds to it
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, blockedAddrs, authority, log.NewNopLogger())
	pk := poolkeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[pooltypes.StoreKey]), ak, bk, authority)
	// x/compute records no PoC points here: these tests run no PoC epoch.
	ck := computekeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[computetypes.StoreKey]), ak, pk, nil, nil, authority)
	rewards := &fakeRewards{key: keys[fakeRewardsStoreKey]}
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, ck, pk, rewards, authority)

	f := &fixture{
		t: t, cms: cms, keys: keys, blocked: blockedAddrs, enc: enc, ac: ac, ak: ak, bk: bk, pool: pk, compute: ck, rewards: rewards, k: k,
		msg: keeper.NewMsgServerImpl(k), q: keeper.NewQuerier(k), authority: authority,
	}
	f.ctx = sdk.NewContext(cms, cmtproto.Header{ChainID: chainID}, false, log.NewNopLogger()).
		WithChainID(chainID).WithBlockHeight(1).WithHeaderHash(headerHash(1)).WithEventManager(sdk.NewEventManager())

	require.NoError(t, bk.SetParams(f.ctx, banktypes.DefaultParams()))
	poolGen := pooltypes.DefaultGenesis()
	poolGen.Params.BaseMinStake, poolGen.Params.PerUnitStake = math.NewInt(1000), math.NewInt(10)
	require.NoError(t, pk.InitGenesis(f.ctx, poolGen))
	require.NoError(t, ck.InitGenesis(f.ctx, computetypes.DefaultGenesis()))

	gs := types.DefaultGenesis()
	if mutate != nil {
		mutate(&gs.Params)
	}
	gs.Models = []types.Model{testModel(modelID, true)}
	require.NoError(t, k.InitGenesis(f.ctx, gs))
	// Module accounts exist from genesis on, as in the app (x/bank would
	// otherwise create one on first use, a write a failed tx would revert).
	ak.GetModuleAccount(f.ctx, types.ModuleName)
	ak.GetModuleAccount(f.ctx, types.ProtocolFeeAccount)
	f.commit()
	return f
}

// testModel is an ACTIVE int8-embedded model priced 1000umesh.
func testModel(id string, deterministic bool) types.Model {
	return types.Model{
		Id: id, Name: "Mesh embedded", Version: "1", Runtime: types.RuntimeInt8Embedded,
		Deterministic: deterministic, Prices: sdk.NewCoins(sdk.NewInt64Coin(denom, 1000)), Status: types.MODEL_STATUS_ACTIVE,
	}
}

func headerHash(h int64) []byte {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("block"), uint64(h)))
	return sum[:]
}

// addr is a 20-byte test address: a prefix, then be64(i).
func addr(prefix string, i int) sdk.AccAddress {
	b := make([]byte, 20)
	copy(b[:12], prefix)
	binary.BigEndian.PutUint64(b[12:], uint64(i))
	return b
}

func (f *fixture) bech(a sdk.AccAddress) string {
	s, err := f.ac.BytesToString(a)
	require.NoError(f.t, err)
	return s
}

func (f *fixture) height() int64 { return f.ctx.BlockHeight() }

// commit persists the writes so far (IAVL iterators over unsaved writes are slow).
func (f *fixture) commit() { f.cms.Commit() }

// beginBlock runs the x/inference BeginBlocker of the current height.
func (f *fixture) beginBlock() {
	f.t.Helper()
	require.NoError(f.t, f.k.BeginBlocker(f.ctx))
	f.checkEscrow()
}

// endBlock runs the x/inference EndBlocker of the current height.
func (f *fixture) endBlock() {
	f.t.Helper()
	require.NoError(f.t, f.k.EndBlocker(f.ctx))
	f.checkEscrow()
}

// next moves to the next block (fresh event manager) after committing.
func (f *fixture) next() {
	f.commit()
	h := f.ctx.BlockHeight() + 1
	f.ctx = f.ctx.WithBlockHeight(h).WithHeaderHash(headerHash(h)).WithEventManager(sdk.NewEventManager())
}

// block runs the next block: BeginBlock (queued jobs of earlier blocks are
// assigned), txs, then EndBlock.
func (f *fixture) block(txs func()) {
	f.t.Helper()
	f.next()
	f.beginBlock()
	if txs != nil {
		txs()
	}
	f.endBlock()
}

// advanceTo runs empty blocks until the last executed block is h.
func (f *fixture) advanceTo(h int64) {
	for f.height() < h {
		f.block(nil)
	}
}

func (f *fixture) fund(a sdk.AccAddress, amt int64) {
	f.t.Helper()
	require.NoError(f.t, banktestutil.FundAccount(f.ctx, f.bk, a, sdk.NewCoins(sdk.NewInt64Coin(denom, amt))))
}

func (f *fixture) balance(a sdk.AccAddress) math.Int {
	return f.bk.GetBalance(f.ctx, a, denom).Amount
}

func (f *fixture) moduleBalance(name string) math.Int {
	return f.balance(f.ak.GetModuleAddress(name))
}

func (f *fixture) supply() math.Int { return f.bk.GetSupply(f.ctx, denom).Amount }

// worker is a registered worker and its provider.
type worker struct {
	addr, provider sdk.AccAddress
}

// addWorker creates a provider with a pool (self-bond 1,000,000, commission
// 10 %) and registers one worker under it serving models.
func (f *fixture) addWorker(models ...string) worker {
	f.t.Helper()
	f.workerN++
	w := worker{addr: addr("worker", f.workerN), provider: addr("provider", f.workerN)}
	f.fund(w.provider, selfBond)
	_, err := f.pool.CreatePool(f.ctx, w.provider, sdk.NewInt64Coin(denom, selfBond), math.LegacyMustNewDecFromStr(commission))
	require.NoError(f.t, err)
	require.NoError(f.t, f.compute.AuthorizeWorker(f.ctx, w.provider, w.addr))
	spec := computetypes.HardwareSpec{GpuModel: "H100", VramGb: 80, Int8Tops: 1979, ComputeUnits: 1}
	require.NoError(f.t, f.compute.RegisterWorker(f.ctx, w.addr, w.provider, spec, models, ""))
	f.setVerifiedUnits(w.addr, testVerifiedUnits)
	// As a passed PoC epoch proving the claim would: the whole claim is
	// verified and its 80 GB are trusted (assignment reads trusted_vram_gb).
	f.setTrustedVram(w.addr, spec.ClaimedGOPS(), spec.VramGb)
	return w
}

// testVerifiedUnits is every test worker's proven capacity: with
// units_per_job 1, that many concurrent jobs.
const testVerifiedUnits = 8

// setVerifiedUnits sets a worker's proven capacity, as a passed PoC epoch does.
func (f *fixture) setVerifiedUnits(worker sdk.AccAddress, units uint32) {
	f.t.Helper()
	rec, err := f.compute.Workers.Get(f.ctx, worker)
	require.NoError(f.t, err)
	rec.VerifiedUnits = units
	require.NoError(f.t, f.compute.Workers.Set(f.ctx, worker, rec))
}

// setTrustedVram sets a worker's verified GOPS and trusted VRAM, as a
// passed PoC epoch does.
func (f *fixture) setTrustedVram(worker sdk.AccAddress, gops uint64, vramGb uint32) {
	f.t.Helper()
	rec, err := f.compute.Workers.Get(f.ctx, worker)
	require.NoError(f.t, err)
	rec.VerifiedGops, rec.TrustedVramGb = gops, vramGb
	require.NoError(f.t, f.compute.Workers.Set(f.ctx, worker, rec))
}

// addWorkers adds n workers serving the test model.
func (f *fixture) addWorkers(n int) []worker {
	out := make([]worker, n)
	for i := range out {
		out[i] = f.addWorker(modelID)
	}
	return out
}

// requestMsg is a 3-worker EXACT request for the test model, max fee 3500.
func (f *fixture) requestMsg(requester sdk.AccAddress) *types.MsgRequestInference {
	return &types.MsgRequestInference{
		Requester: f.bech(requester), ModelId: modelID, Input: []byte("2+2?"),
		MaxFee: sdk.NewInt64Coin(denom, 3500), Redundancy: 3, Mode: types.CONSENSUS_MODE_EXACT,
	}
}

func (f *fixture) request(msg *types.MsgRequestInference) *types.MsgRequestInferenceResponse {
	f.t.Helper()
	res, err := f.msg.RequestInference(f.ctx, msg)
	require.NoError(f.t, err)
	f.checkEscrow()
	return res
}

func (f *fixture) job(id uint64) types.Job {
	f.t.Helper()
	j, err := f.k.GetJob(f.ctx, id)
	require.NoError(f.t, err)
	return j
}

// salt is a fixed 32-byte salt per worker.
func salt(w sdk.AccAddress) []byte {
	s := sha256.Sum256(append([]byte("salt"), w...))
	return s[:]
}

func commitMsg(f *fixture, w sdk.AccAddress, jobID uint64, output string) *types.MsgCommitResult {
	return &types.MsgCommitResult{
		Worker: f.bech(w), JobId: jobID,
		Commitment: types.Commitment(jobID, w, types.Digest([]byte(output)), salt(w)),
	}
}

func revealMsg(f *fixture, w sdk.AccAddress, jobID uint64, output string) *types.MsgRevealResult {
	return &types.MsgRevealResult{Worker: f.bech(w), JobId: jobID, Output: []byte(output), Salt: salt(w)}
}

func (f *fixture) commitResult(w sdk.AccAddress, jobID uint64, output string) {
	f.t.Helper()
	_, err := f.msg.CommitResult(f.ctx, commitMsg(f, w, jobID, output))
	require.NoError(f.t, err)
	f.checkEscrow()
}

func (f *fixture) revealResult(w sdk.AccAddress, jobID uint64, output string) {
	f.t.Helper()
	_, err := f.msg.RevealResult(f.ctx, revealMsg(f, w, jobID, output))
	require.NoError(f.t, err)
	f.checkEscrow()
}

// inBlock runs step (f.commitResult or f.revealResult) for every worker of
// ws in one block, with outputs[i], or outputs[0] for all when only one is given.
func (f *fixture) inBlock(step func(sdk.AccAddress, uint64, string), jobID uint64, ws []sdk.AccAddress, outputs ...string) {
	f.block(func() {
		for i, w := range ws {
			step(w, jobID, outputs[min(i, len(outputs)-1)])
		}
	})
}

// assigned returns the job's workers in assignment order.
func (f *fixture) assigned(jobID uint64) []sdk.AccAddress {
	var out []sdk.AccAddress
	for _, a := range f.job(jobID).Assignments {
		bz, err := f.ac.StringToBytes(a.Worker)
		require.NoError(f.t, err)
		out = append(out, bz)
	}
	return out
}

// checkEscrow asserts the module invariant: the inference module account
// holds exactly the sum of max_fee over the open jobs.
func (f *fixture) checkEscrow() {
	f.t.Helper()
	want := sdk.NewCoins()
	require.NoError(f.t, f.k.Jobs.Walk(f.ctx, nil, func(_ uint64, j types.Job) (bool, error) {
		if types.IsOpen(j.Status) {
			want = want.Add(j.MaxFee)
		}
		return false, nil
	}))
	held := f.bk.GetAllBalances(f.ctx, f.ak.GetModuleAddress(types.ModuleName))
	require.Equal(f.t, want.String(), held.String(), "module balance != open escrows (every denom)")
}

// snapshot hashes every store (auth, bank, pool, compute, inference).
func (f *fixture) snapshot() string {
	h := sha256.New()
	for _, name := range []string{authtypes.StoreKey, banktypes.StoreKey, pooltypes.StoreKey, computetypes.StoreKey, types.StoreKey} {
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
// change to any store (state, balances, supply) or event.
func (f *fixture) requireRejected(want error, fn func() error, what ...string) {
	f.t.Helper()
	before, events := f.snapshot(), len(f.ctx.EventManager().Events())
	err := fn()
	require.ErrorIs(f.t, err, want, what)
	require.Equal(f.t, before, f.snapshot(), "state changed by a rejected message %v", what)
	require.Len(f.t, f.ctx.EventManager().Events(), events, "events emitted by a rejected message %v", what)
}

// requestOne funds a requester with amount and requests one job of the
// default request in a block, then runs the next block, whose BeginBlocker
// assigns it; it returns the requester, the job and its workers.
func (f *fixture) requestOne(amount int64) (sdk.AccAddress, uint64, []sdk.AccAddress) {
	requester := addr("requester", 1)
	f.fund(requester, amount)
	var jobID uint64
	f.block(func() { jobID = f.request(f.requestMsg(requester)).JobId })
	f.block(nil)
	require.Equal(f.t, types.JOB_STATUS_COMMITTING, f.job(jobID).Status, "assigned in the block after the request")
	return requester, jobID, f.assigned(jobID)
}

// deliver runs msg as a transaction does: ValidateBasic (CheckTx), then the handler.
func deliver[M sdk.HasValidateBasic, R any](ctx context.Context, handle func(context.Context, M) (R, error), msg M) error {
	if err := msg.ValidateBasic(); err != nil {
		return err
	}
	_, err := handle(ctx, msg)
	return err
}

// events returns the typed events of one proto type emitted in this block.
func (f *fixture) events(typ string) []sdk.Event {
	var out []sdk.Event
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// attr returns an event attribute's value, JSON-decoded when it is a string.
func attr(e sdk.Event, key string) string {
	for _, a := range e.Attributes {
		if a.Key == key {
			var s string
			if json.Unmarshal([]byte(a.Value), &s) == nil {
				return s
			}
			return a.Value
		}
	}
	return ""
}

// reputation returns a worker's reputation in x/compute.
func (f *fixture) reputation(w sdk.AccAddress) uint32 {
	cw, err := f.compute.GetWorker(f.ctx, w)
	require.NoError(f.t, err)
	return cw.ReputationBps
}

// poolCommission is the provider's accumulated commission in umesh (decimal).
func (f *fixture) poolCommission(p sdk.AccAddress) math.LegacyDec {
	pool, err := f.pool.GetPool(f.ctx, p)
	require.NoError(f.t, err)
	return pool.Commission.AmountOf(denom)
}

func (f *fixture) poolTokens(p sdk.AccAddress) math.Int {
	pool, err := f.pool.GetPool(f.ctx, p)
	require.NoError(f.t, err)
	return pool.Tokens
}
