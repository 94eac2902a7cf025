package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
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
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	poolkeeper "github.com/llmesh/mesh/x/pool/keeper"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	"github.com/llmesh/mesh/x/rewards/keeper"
	"github.com/llmesh/mesh/x/rewards/types"
)

const (
	denom = "umesh"
	ibc   = "ibc/XYZ"
	// selfBond of each test pool.
	selfBond = 1_000_000
)

// fixture is x/rewards on a real multistore with the real x/auth, x/bank and
// x/pool keepers: every balance below is a real bank balance.
type fixture struct {
	t         testing.TB
	ctx       sdk.Context
	cms       storetypes.CommitMultiStore
	keys      map[string]*storetypes.KVStoreKey
	ac        addresscodec.Bech32Codec
	ak        authkeeper.AccountKeeper
	bk        bankkeeper.BaseKeeper
	pool      poolkeeper.Keeper
	k         keeper.Keeper
	msg       types.MsgServer
	q         keeper.Querier
	authority string
}

// fixtureOpt adjusts the fixture before genesis.
type fixtureOpt struct {
	params     func(*types.Params)
	poolParams func(*pooltypes.Params)
	noGenesis  bool // leave x/rewards without genesis (the test imports one)
}

func withParams(fn func(*types.Params)) fixtureOpt { return fixtureOpt{params: fn} }

// withPoolParams edits x/pool's params. The fixture turns x/pool's loyalty
// bonus off, so that a pool pays the plain split; tests of the whole flow
// turn it back on here.
func withPoolParams(fn func(*pooltypes.Params)) fixtureOpt { return fixtureOpt{poolParams: fn} }

// noEarly turns the early-contributor bonus off so that points are the base points.
func noEarly(p *types.Params) { p.EarlyContributors = 0 }

func newFixture(t testing.TB, opts ...fixtureOpt) *fixture {
	t.Helper()
	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, pooltypes.StoreKey, types.StoreKey)
	cms := store.NewCommitMultiStore(dbm.NewMemDB(), log.NewNopLogger())
	for _, key := range keys {
		cms.MountStoreWithDB(key, storetypes.StoreTypeIAVL, nil)
	}
	require.NoError(t, cms.LoadLatestVersion())

	enc := moduletestutil.MakeTestEncodingConfig()
	authtypes.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	pooltypes.RegisterInterfaces(enc.InterfaceRegistry)
	types.RegisterInterfaces(enc.InterfaceRegistry)

	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	ac := addresscodec.NewBech32Codec(prefix).(addresscodec.Bech32Codec)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	maccPerms := map[string][]string{
		authtypes.FeeCollectorName: nil,
		minttypes.ModuleName:       {authtypes.Minter},
		pooltypes.ModuleName:       {authtypes.Burner},
		types.TreasuryModuleName:   nil,
		types.ProtocolFeeAccount:   nil,
		types.ModuleName:           {authtypes.Burner},
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, ac, prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, map[string]bool{}, authority, log.NewNopLogger())
	pk := poolkeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[pooltypes.StoreKey]), ak, bk, authority)
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, pk, authtypes.FeeCollectorName, authority)
	pk.SetHooks(k.PoolHooks()) // as app/keepers.go

	f := &fixture{
		t: t, cms: cms, keys: keys, ac: ac, ak: ak, bk: bk, pool: pk, k: k,
		msg: keeper.NewMsgServerImpl(k), q: keeper.NewQuerier(k), authority: authority,
	}
	f.ctx = sdk.NewContext(cms, cmtproto.Header{ChainID: "mesh-test-1"}, false, log.NewNopLogger()).
		WithBlockHeight(1).WithEventManager(sdk.NewEventManager())

	require.NoError(t, bk.SetParams(f.ctx, banktypes.DefaultParams()))
	poolGen := pooltypes.DefaultGenesis()
	poolGen.Params.BaseMinStake, poolGen.Params.PerUnitStake = math.NewInt(1000), math.NewInt(10)
	poolGen.Params.LoyaltyMaxBps = 0
	for _, o := range opts {
		if o.poolParams != nil {
			o.poolParams(&poolGen.Params)
		}
	}
	require.NoError(t, pk.InitGenesis(f.ctx, poolGen))

	gs := types.DefaultGenesis()
	noGenesis := false
	for _, o := range opts {
		if o.params != nil {
			o.params(&gs.Params)
		}
		noGenesis = noGenesis || o.noGenesis
	}
	if !noGenesis {
		require.NoError(t, k.InitGenesis(f.ctx, gs))
	}
	for name := range maccPerms {
		ak.GetModuleAccount(f.ctx, name)
	}
	f.commit()
	return f
}

// commit persists the writes so far (IAVL iterators over unsaved writes are slow).
func (f *fixture) commit() { f.cms.Commit() }

// next commits and moves to the next block with a fresh event manager.
func (f *fixture) next() {
	f.commit()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithEventManager(sdk.NewEventManager())
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

// mintTo mints coins and moves them to a module account.
func (f *fixture) mintTo(module string, coins sdk.Coins) {
	f.t.Helper()
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, coins))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToModule(f.ctx, minttypes.ModuleName, module, coins))
}

func (f *fixture) modAddr(name string) sdk.AccAddress { return f.ak.GetModuleAddress(name) }

func (f *fixture) modBal(name string) sdk.Coins { return f.bk.GetAllBalances(f.ctx, f.modAddr(name)) }

func (f *fixture) bal(a sdk.AccAddress) sdk.Coins { return f.bk.GetAllBalances(f.ctx, a) }

// add credits points and returns the points credited.
func (f *fixture) add(category string, account sdk.AccAddress, points uint64, opts ...types.PointsOption) uint64 {
	f.t.Helper()
	got, err := f.k.AddPoints(f.ctx, category, account, points, opts...)
	require.NoError(f.t, err)
	return got
}

func (f *fixture) closeEpoch() types.EpochSummary {
	f.t.Helper()
	s, err := f.k.CloseEpoch(f.ctx)
	require.NoError(f.t, err)
	return s
}

func (f *fixture) claim(claimant, account sdk.AccAddress) *types.MsgClaimRewardsResponse {
	f.t.Helper()
	res, err := f.k.Claim(f.ctx, claimant, account)
	require.NoError(f.t, err)
	return res
}

func (f *fixture) epoch(n uint64) types.EpochSummary {
	f.t.Helper()
	e, err := f.k.Epochs.Get(f.ctx, n)
	require.NoError(f.t, err)
	return e
}

func (f *fixture) current() uint64 {
	f.t.Helper()
	n, err := f.k.CurrentEpoch.Get(f.ctx)
	require.NoError(f.t, err)
	return n
}

func (f *fixture) outstanding() sdk.Coins {
	f.t.Helper()
	b, err := f.k.Outstanding.Get(f.ctx)
	require.NoError(f.t, err)
	return b.Coins
}

func (f *fixture) params() types.Params {
	f.t.Helper()
	p, err := f.k.Params.Get(f.ctx)
	require.NoError(f.t, err)
	return p
}

func (f *fixture) pot() sdk.Coins {
	f.t.Helper()
	pot, _, err := f.k.Pot(f.ctx)
	require.NoError(f.t, err)
	return pot
}

// createPool opens a pool for provider (self-bond selfBond umesh, minted) at
// the given commission rate.
func (f *fixture) createPool(provider sdk.AccAddress, commission string) {
	f.t.Helper()
	f.fundAccount(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, selfBond)))
	_, err := f.pool.CreatePool(f.ctx, provider, sdk.NewInt64Coin(denom, selfBond), math.LegacyMustNewDecFromStr(commission))
	require.NoError(f.t, err)
}

func (f *fixture) fundAccount(a sdk.AccAddress, coins sdk.Coins) {
	f.t.Helper()
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, coins))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, a, coins))
}

func (f *fixture) getPool(provider sdk.AccAddress) pooltypes.Pool {
	f.t.Helper()
	p, err := f.pool.GetPool(f.ctx, provider)
	require.NoError(f.t, err)
	return p
}

// snapshot hashes the auth, bank, pool and rewards stores.
func (f *fixture) snapshot() string {
	h := sha256.New()
	for _, name := range []string{authtypes.StoreKey, banktypes.StoreKey, pooltypes.StoreKey, types.StoreKey} {
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
func (f *fixture) requireRejected(want error, fn func() error, what ...any) {
	f.t.Helper()
	before, events := f.snapshot(), len(f.ctx.EventManager().Events())
	err := fn()
	require.ErrorIs(f.t, err, want, what...)
	require.Equal(f.t, before, f.snapshot(), "state changed by a rejected call %v", what)
	require.Len(f.t, f.ctx.EventManager().Events(), events, "events emitted by a rejected call %v", what)
}

// typedEvents decodes the events of type T emitted so far in this block.
func typedEvents[T any, PT interface {
	*T
	proto.Message
}](f *fixture) []T {
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

// coins parses a coins string ("5ibc/XYZ,7umesh"); it fails the test on error.
func coins(t testing.TB, s string) sdk.Coins {
	t.Helper()
	c, err := sdk.ParseCoinsNormalized(s)
	require.NoError(t, err)
	return c
}

// pay is ⌊points × rate⌋ per denom, in big.Int: what a claim must pay.
func pay(points uint64, rate sdk.DecCoins) sdk.Coins {
	out := sdk.NewCoins()
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	for _, r := range rate {
		x := new(big.Int).Mul(new(big.Int).SetUint64(points), r.Amount.BigInt())
		x.Quo(x, scale)
		if x.Sign() > 0 {
			out = out.Add(sdk.NewCoin(r.Denom, math.NewIntFromBigInt(x)))
		}
	}
	return out
}

// requireCoins compares coins by value (nil and empty are equal).
func requireCoins(t testing.TB, want, got sdk.Coins, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, want.String(), got.String(), msgAndArgs...)
}

// cat returns a category of a summary; it fails the test when absent.
func cat(t testing.TB, e types.EpochSummary, name string) types.CategoryEpoch {
	t.Helper()
	c := e.Category(name)
	require.NotNil(t, c, "epoch %d has no %s", e.Epoch, name)
	return *c
}
