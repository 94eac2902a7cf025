package keeper_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/llmesh/mesh/x/compute"
	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/poc"
	computetestutil "github.com/llmesh/mesh/x/compute/testutil"
	"github.com/llmesh/mesh/x/compute/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

const (
	testChainID = "mesh-test-1"
	epochID     = "compute"
)

// fakePool is an in-memory x/pool: configurable pools, stake and
// eligibility; it records units, slashes and jails. Maps are fine here:
// tests only look entries up.
type fakePool struct {
	pools      map[string]bool
	ineligible map[string]bool
	selfStake  map[string]math.Int
	units      map[string]uint64
	jailed     map[string]int64
	base       math.Int
	perUnit    math.Int
	failSlash  bool
	failElig   map[string]bool
	slashes    []slashCall
	jails      []jailCall
}

type slashCall struct {
	provider string
	fraction math.LegacyDec
	reason   string
	height   int64
}

type jailCall struct {
	provider string
	until    int64
}

func newFakePool() *fakePool {
	return &fakePool{
		pools: map[string]bool{}, ineligible: map[string]bool{}, selfStake: map[string]math.Int{},
		units: map[string]uint64{}, jailed: map[string]int64{}, failElig: map[string]bool{},
		base: math.NewInt(1000), perUnit: math.NewInt(100),
	}
}

func (p *fakePool) HasPool(_ context.Context, provider sdk.AccAddress) (bool, error) {
	return p.pools[string(provider)], nil
}

func (p *fakePool) IsEligible(ctx context.Context, provider sdk.AccAddress) (bool, error) {
	if p.failElig[string(provider)] {
		return false, fmt.Errorf("pool store corrupted")
	}
	if !p.pools[string(provider)] || p.ineligible[string(provider)] {
		return false, nil
	}
	return sdk.UnwrapSDKContext(ctx).BlockHeight() >= p.jailed[string(provider)], nil
}

func (p *fakePool) MinSelfStake(_ context.Context, units uint64) (math.Int, error) {
	return p.base.Add(p.perUnit.MulRaw(int64(units))), nil
}

func (p *fakePool) SelfStake(_ context.Context, provider sdk.AccAddress) (math.Int, error) {
	if s, ok := p.selfStake[string(provider)]; ok {
		return s, nil
	}
	return math.ZeroInt(), nil
}

func (p *fakePool) SetComputeUnits(_ context.Context, provider sdk.AccAddress, units uint64) error {
	p.units[string(provider)] = units
	return nil
}

func (p *fakePool) WalkComputeUnits(_ context.Context, fn func(sdk.AccAddress, uint64) (bool, error)) error {
	for _, k := range slices.Sorted(maps.Keys(p.units)) {
		if p.units[k] == 0 {
			continue
		}
		if stop, err := fn(sdk.AccAddress(k), p.units[k]); stop || err != nil {
			return err
		}
	}
	return nil
}

func (p *fakePool) Slash(_ context.Context, provider sdk.AccAddress, fraction math.LegacyDec, reason string, height int64) (math.Int, error) {
	if p.failSlash {
		return math.Int{}, fmt.Errorf("slash failed")
	}
	p.slashes = append(p.slashes, slashCall{string(provider), fraction, reason, height})
	return math.NewInt(1), nil
}

func (p *fakePool) Jail(_ context.Context, provider sdk.AccAddress, until int64) error {
	p.jails = append(p.jails, jailCall{string(provider), until})
	p.jailed[string(provider)] = until
	return nil
}

// fakeRewards is an x/rewards that records every AddPoints call and credits
// the points in its own store through ctx, so a test sees whether a cache
// context kept or dropped them. With fail set, AddPoints still writes, then
// fails; with panicWith set, it writes, then panics with that value.
type fakeRewards struct {
	key       *storetypes.KVStoreKey
	fail      bool
	panicWith any
	calls     []pointsCall
}

// pointsCall is one AddPoints call; account is the raw address bytes.
type pointsCall struct {
	category string
	account  string
	points   uint64
	measures rewardstypes.Measures
}

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
	if r.panicWith != nil {
		panic(r.panicWith)
	}
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

// fakeEpochs is x/epochs as x/compute reads it: the epoch that just started
// began lag before the block time (lag ≥ the 30 s duration: catching up).
type fakeEpochs struct{ lag time.Duration }

const fakeEpochDuration = 30 * time.Second

func (e *fakeEpochs) GetEpochInfo(ctx sdk.Context, identifier string) (epochstypes.EpochInfo, error) {
	return epochstypes.EpochInfo{
		Identifier: identifier, Duration: fakeEpochDuration,
		CurrentEpochStartTime: ctx.BlockTime().Add(-e.lag),
	}, nil
}

// fixture is a keeper on a real store with block and epoch driving.
type fixture struct {
	t         testing.TB
	ctx       sdk.Context
	key       *storetypes.KVStoreKey
	k         keeper.Keeper
	msg       types.MsgServer
	q         types.QueryServer
	pool      *fakePool
	rewards   *fakeRewards
	epochs    *fakeEpochs
	ac        address.Codec
	authority string
	epoch     int64
	ak        types.AccountKeeper
}

func newFixture(t testing.TB, mutate func(*types.Params)) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	rkey := storetypes.NewKVStoreKey("rewards_test")
	tkey := storetypes.NewTransientStoreKey("transient_test")
	ctx := testutil.DefaultContextWithKeys(map[string]*storetypes.KVStoreKey{types.StoreKey: key, "rewards_test": rkey},
		map[string]*storetypes.TransientStoreKey{"transient_test": tkey}, nil)
	enc := moduletestutil.MakeTestEncodingConfig(compute.AppModule{})
	ac := addresscodec.NewBech32Codec("mesh")
	authority, err := ac.BytesToString(sdk.AccAddress(bytes.Repeat([]byte{0xaa}, 20)))
	require.NoError(t, err)
	pool, rewards, epochs := newFakePool(), &fakeRewards{key: rkey}, &fakeEpochs{}
	ak := computetestutil.NewMockAccountKeeper(gomock.NewController(t))
	ak.EXPECT().AddressCodec().Return(ac).AnyTimes()
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), ak, pool, rewards, epochs, authority)
	f := &fixture{t: t, key: key, k: k, msg: keeper.NewMsgServerImpl(k), q: keeper.NewQuerier(k),
		ak: ak, pool: pool, rewards: rewards, epochs: epochs, ac: ac, authority: authority}
	f.ctx = ctx.WithChainID(testChainID).WithBlockHeight(1).WithHeaderHash(headerHash(1))
	params := types.DefaultParams()
	// Small capacity-bound challenges: a worker claiming u GOPS (registerMsg
	// claims one per unit) gets m = ⌈u·5·10^4 / (n·p)⌉ rows, and each
	// verified GOPS is a verified unit.
	params.PocTargetFractionBps, params.PocCommitSeconds, params.PocMopsPerUnit = 1, 1, testGOPSPerUnit*1000
	if mutate != nil {
		mutate(&params)
	}
	require.NoError(t, params.Validate())
	require.NoError(t, k.Params.Set(f.ctx, params))
	return f
}

func headerHash(h int64) []byte {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("block"), uint64(h)))
	return sum[:]
}

func (f *fixture) params() types.Params {
	p, err := f.k.Params.Get(f.ctx)
	require.NoError(f.t, err)
	return p
}

func (f *fixture) height() int64 { return f.ctx.BlockHeight() }

// block runs the next block: epoch hook (when startEpoch), BeginBlock, txs, EndBlock.
func (f *fixture) block(startEpoch bool, txs func()) {
	h := f.ctx.BlockHeight() + 1
	f.ctx = f.ctx.WithBlockHeight(h).WithHeaderHash(headerHash(h)).WithEventManager(sdk.NewEventManager()).
		WithGasMeter(storetypes.NewInfiniteGasMeter())
	if startEpoch {
		f.epoch++
		require.NoError(f.t, f.k.EpochHooks().BeforeEpochStart(f.ctx, epochID, f.epoch))
	}
	require.NoError(f.t, f.k.BeginBlocker(f.ctx))
	if txs != nil {
		txs()
	}
	require.NoError(f.t, f.k.EndBlocker(f.ctx))
}

// nextEpoch runs empty blocks past the current epoch's reveal window, then
// a block that starts the next epoch.
func (f *fixture) nextEpoch() {
	f.advanceTo(f.currentEpoch().RevealEnd + 1)
	f.block(true, nil)
}

// advanceTo runs empty blocks until the last executed block is h.
func (f *fixture) advanceTo(h int64) {
	for f.ctx.BlockHeight() < h {
		f.block(false, nil)
	}
}

// at runs empty blocks up to h−1, then block h with txs.
func (f *fixture) at(h int64, txs func()) {
	require.Less(f.t, f.height(), h)
	f.advanceTo(h - 1)
	f.block(false, txs)
}

func (f *fixture) currentEpoch() types.EpochInfo {
	e, err := f.k.Epoch.Get(f.ctx)
	require.NoError(f.t, err)
	return e
}

func (f *fixture) bech(a sdk.AccAddress) string {
	s, err := f.ac.BytesToString(a)
	require.NoError(f.t, err)
	return s
}

// addr is a 20-byte test address: up to 12 bytes of prefix, then be64(i).
func addr(prefix string, i int) sdk.AccAddress {
	b := make([]byte, 20)
	copy(b[:12], prefix)
	binary.BigEndian.PutUint64(b[12:], uint64(i))
	return b
}

// addProvider gives provider a pool with enough stake for many units.
func (f *fixture) addProvider(provider sdk.AccAddress) {
	f.pool.pools[string(provider)] = true
	f.pool.selfStake[string(provider)] = math.NewInt(1_000_000_000)
}

// register authorises and registers worker under provider with units.
func (f *fixture) register(provider, worker sdk.AccAddress, units uint32) {
	f.t.Helper()
	if !f.pool.pools[string(provider)] {
		f.addProvider(provider)
	}
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(provider), Worker: f.bech(worker)})
	require.NoError(f.t, err)
	_, err = f.msg.RegisterWorker(f.ctx, registerMsg(f, provider, worker, units))
	require.NoError(f.t, err)
}

// testGOPSPerUnit is the GOPS a test worker claims per unit (registerMsg)
// and the fixture's poc_mops_per_unit: an honest pass verifies every unit.
const testGOPSPerUnit = 1

// testRows is the m of a test worker claiming units under params.
func testRows(p types.Params, units uint32) uint32 {
	return poc.ChallengeRows(uint64(units)*testGOPSPerUnit, p.PocTargetFractionBps, p.PocCommitSeconds, p.PocDim, p.PocCols)
}

func registerMsg(f *fixture, provider, worker sdk.AccAddress, units uint32) *types.MsgRegisterWorker {
	return &types.MsgRegisterWorker{
		Worker: f.bech(worker), Provider: f.bech(provider),
		Spec: types.HardwareSpec{GpuModel: "H100", VramGb: 80, Int8Tops: 1979, ComputeUnits: units,
			Int8Gops: uint64(units) * testGOPSPerUnit},
		Models: []string{"m1", "m2"},
	}
}

func (f *fixture) worker(a sdk.AccAddress) types.Worker {
	w, err := f.k.Workers.Get(f.ctx, a)
	require.NoError(f.t, err)
	return w
}

// storeDigest hashes every key and value of the module store.
func (f *fixture) storeDigest() []byte { return digest(f.ctx, f.key) }

// digest hashes every key and value of the store under key in ctx.
func digest(ctx sdk.Context, key *storetypes.KVStoreKey) []byte {
	it := ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).KVStore(key).Iterator(nil, nil)
	defer it.Close()
	h := sha256.New()
	for ; it.Valid(); it.Next() {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(it.Key()))))
		h.Write(it.Key())
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(it.Value()))))
		h.Write(it.Value())
	}
	return h.Sum(nil)
}

// requireRejected runs fn and requires the registered error want and an
// untouched store and pool.
func (f *fixture) requireRejected(want error, fn func() error) {
	f.t.Helper()
	before := f.storeDigest()
	slashes, jails := len(f.pool.slashes), len(f.pool.jails)
	err := fn()
	require.ErrorIs(f.t, err, want)
	require.Equal(f.t, before, f.storeDigest(), "state changed by a rejected message")
	require.Len(f.t, f.pool.slashes, slashes)
	require.Len(f.t, f.pool.jails, jails)
}

// send returns a call of msg server handler h with msg, for requireRejected.
func send[M, R any](f *fixture, h func(context.Context, M) (R, error), msg M) func() error {
	return func() error { _, err := h(f.ctx, msg); return err }
}

// events returns the typed events of name emitted in the current block.
func (f *fixture) events(name string) []sdk.Event {
	var out []sdk.Event
	for _, ev := range f.ctx.EventManager().Events() {
		if ev.Type == name {
			out = append(out, ev)
		}
	}
	return out
}

// prover is a worker that computes its challenge: honest, lazy (only a
// fraction of rows right), wrong (every row wrong) or silent (never commits).
type prover struct {
	addr     sdk.AccAddress
	correct  func(row int) bool // nil: all rows right
	silent   bool
	rows     [][]byte
	tree     *poc.Tree
	epoch    int64
	garbage  uint64
	outcomes []types.ProofOutcome
}

// commit computes the challenge of the current epoch and commits its root.
func (p *prover) commit(f *fixture) error {
	f.t.Helper()
	res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(p.addr)})
	require.NoError(f.t, err)
	d := poc.Dims{M: int(res.M), N: int(res.N), P: int(res.P)}
	rows, _, err := poc.Prove(res.Seed, d)
	require.NoError(f.t, err)
	leaves := make([][]byte, len(rows))
	for i := range rows {
		if p.correct != nil && !p.correct(i) {
			rows[i] = p.junk(len(rows[i]))
		}
		leaves[i] = poc.LeafHash(uint32(i), rows[i])
	}
	p.tree, err = poc.NewTree(leaves)
	require.NoError(f.t, err)
	p.rows, p.epoch = rows, res.Epoch
	_, err = f.msg.CommitPoC(f.ctx, &types.MsgCommitPoC{Worker: f.bech(p.addr), Epoch: res.Epoch, Root: p.tree.Root()})
	return err
}

// junk is a deterministic wrong row.
func (p *prover) junk(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		p.garbage = p.garbage*6364136223846793005 + 1442695040888963407
		out[i] = byte(p.garbage >> 56)
	}
	return out
}

// revealMsg builds the reveal of the sampled rows of the committed epoch.
func (p *prover) revealMsg(f *fixture) *types.MsgRevealPoC {
	f.t.Helper()
	res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(p.addr), Epoch: p.epoch})
	require.NoError(f.t, err)
	require.NotEmpty(f.t, res.SampleIndices)
	msg := &types.MsgRevealPoC{Worker: f.bech(p.addr), Epoch: p.epoch}
	for _, i := range res.SampleIndices {
		msg.Rows = append(msg.Rows, types.RevealedRow{Index: i, Values: bytes.Clone(p.rows[i]), Proof: p.tree.Proof(i)})
	}
	return msg
}

func (p *prover) reveal(f *fixture) (types.ProofOutcome, error) {
	res, err := f.msg.RevealPoC(f.ctx, p.revealMsg(f))
	if err != nil {
		return 0, err
	}
	p.outcomes = append(p.outcomes, res.Outcome)
	return res.Outcome, nil
}

// mustReveal reveals and requires the outcome want.
func (p *prover) mustReveal(f *fixture, want types.ProofOutcome) {
	f.t.Helper()
	out, err := p.reveal(f)
	require.NoError(f.t, err)
	require.Equal(f.t, want, out)
}

func collectionsJoin(a, b sdk.AccAddress) collections.Pair[sdk.AccAddress, sdk.AccAddress] {
	return collections.Join(a, b)
}

func collectionsJoinEpoch(e int64, a sdk.AccAddress) collections.Pair[int64, sdk.AccAddress] {
	return collections.Join(e, a)
}

var errNotFound = collections.ErrNotFound
