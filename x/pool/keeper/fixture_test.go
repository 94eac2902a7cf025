package keeper_test

import (
	"encoding/json"
	"testing"
	"time"

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

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

const (
	denom = "umesh"
	// rewardSource is a test module account that pays rewards, as x/rewards will.
	rewardSource = "rewardsrc"
)

var (
	provider  = sdk.AccAddress("provider____________")
	provider2 = sdk.AccAddress("provider2___________")
	alice     = sdk.AccAddress("alice_______________")
	bob       = sdk.AccAddress("bob_________________")
	stranger  = sdk.AccAddress("stranger____________")

	t0 = time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
)

// fixture is x/pool on a real store with real x/auth and x/bank keepers.
type fixture struct {
	t         testing.TB
	ctx       sdk.Context
	cdc       moduletestutil.TestEncodingConfig
	ak        authkeeper.AccountKeeper
	bk        bankkeeper.BaseKeeper
	k         keeper.Keeper
	ms        types.MsgServer
	qs        keeper.Querier
	authority string
	storeKey  *storetypes.KVStoreKey
}

// Most tests check the plain reward index, so the loyalty bonus is off;
// newLoyaltyFixture turns it on.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, func(p *types.Params) { p.LoyaltyMaxBps = 0 })
}

// newFixtureWith starts from the default genesis with its params edited.
func newFixtureWith(t testing.TB, edit func(*types.Params)) *fixture {
	t.Helper()
	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, types.StoreKey)
	// One IAVL store per key, each under its own prefix of one in-memory DB,
	// so that nextBlock can commit.
	cms := store.NewCommitMultiStore(dbm.NewMemDB(), log.NewNopLogger())
	for _, key := range keys {
		cms.MountStoreWithDB(key, storetypes.StoreTypeIAVL, nil)
	}
	require.NoError(t, cms.LoadLatestVersion())
	ctx := sdk.NewContext(cms, cmtproto.Header{}, false, log.NewNopLogger()).
		WithBlockHeight(1).WithBlockTime(t0).WithEventManager(sdk.NewEventManager())

	enc := moduletestutil.MakeTestEncodingConfig()
	authtypes.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	types.RegisterInterfaces(enc.InterfaceRegistry)

	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	ac := addresscodec.NewBech32Codec(prefix)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)

	maccPerms := map[string][]string{
		minttypes.ModuleName:     {authtypes.Minter},
		types.ModuleName:         {authtypes.Burner},
		types.TreasuryModuleName: nil,
		rewardSource:             nil,
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, ac, prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, map[string]bool{}, authority, log.NewNopLogger())
	require.NoError(t, bk.SetParams(ctx, banktypes.DefaultParams()))

	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, authority)
	gs := types.DefaultGenesis()
	edit(&gs.Params)
	require.NoError(t, k.InitGenesis(ctx, gs))

	return &fixture{
		t: t, ctx: ctx, cdc: enc, ak: ak, bk: bk, k: k,
		ms: keeper.NewMsgServerImpl(k), qs: keeper.NewQuerier(k), authority: authority,
		storeKey: keys[types.StoreKey],
	}
}

// fund mints coins to an account.
func (f *fixture) fund(addr sdk.AccAddress, amt int64) {
	f.t.Helper()
	require.NoError(f.t, banktestutil.FundAccount(f.ctx, f.bk, addr, sdk.NewCoins(sdk.NewInt64Coin(denom, amt))))
}

func (f *fixture) balance(addr sdk.AccAddress) math.Int {
	return f.bk.GetBalance(f.ctx, addr, denom).Amount
}

func (f *fixture) moduleBalance() math.Int {
	return f.balance(f.ak.GetModuleAddress(types.ModuleName))
}

func (f *fixture) supply() math.Int {
	return f.bk.GetSupply(f.ctx, denom).Amount
}

// nextBlock commits the block's writes, as a node does, and moves to the next
// height, dt later, with a fresh event manager. (Without commits every IAVL
// iterator rescans all unsaved writes, which makes long tests quadratic.)
func (f *fixture) nextBlock(dt time.Duration) {
	f.ctx.MultiStore().(storetypes.CommitMultiStore).Commit()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).
		WithBlockTime(f.ctx.BlockTime().Add(dt)).
		WithEventManager(sdk.NewEventManager())
}

func (f *fixture) str(addr sdk.AccAddress) string {
	s, err := f.ak.AddressCodec().BytesToString(addr)
	require.NoError(f.t, err)
	return s
}

func (f *fixture) createPool(p sdk.AccAddress, selfBond int64, rate string) {
	f.t.Helper()
	f.fund(p, selfBond)
	_, err := f.ms.CreatePool(f.ctx, &types.MsgCreatePool{
		Provider: f.str(p), SelfBond: sdk.NewInt64Coin(denom, selfBond), CommissionRate: math.LegacyMustNewDecFromStr(rate),
	})
	require.NoError(f.t, err)
}

func (f *fixture) delegate(d, p sdk.AccAddress, amt int64) math.LegacyDec {
	f.t.Helper()
	f.fund(d, amt)
	res, err := f.ms.Delegate(f.ctx, &types.MsgDelegate{Delegator: f.str(d), Provider: f.str(p), Amount: sdk.NewInt64Coin(denom, amt)})
	require.NoError(f.t, err)
	return res.Shares
}

func (f *fixture) undelegate(d, p sdk.AccAddress, amt int64) *types.MsgUndelegateResponse {
	f.t.Helper()
	res, err := f.ms.Undelegate(f.ctx, &types.MsgUndelegate{Delegator: f.str(d), Provider: f.str(p), Amount: sdk.NewInt64Coin(denom, amt)})
	require.NoError(f.t, err)
	return res
}

func (f *fixture) pool(p sdk.AccAddress) types.Pool {
	f.t.Helper()
	pool, err := f.k.GetPool(f.ctx, p)
	require.NoError(f.t, err)
	return pool
}

// snapshot captures all x/pool state plus the balances and supply a failed
// message must not change.
func (f *fixture) snapshot() string {
	f.t.Helper()
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(f.t, err)
	state := map[string]any{"genesis": json.RawMessage(f.cdc.Codec.MustMarshalJSON(gs))}
	for _, a := range []sdk.AccAddress{provider, provider2, alice, bob, stranger,
		f.ak.GetModuleAddress(types.ModuleName), f.ak.GetModuleAddress(types.TreasuryModuleName)} {
		state[a.String()] = f.bk.GetAllBalances(f.ctx, a).String()
	}
	state["supply"] = f.supply().String()
	bz, err := json.Marshal(state)
	require.NoError(f.t, err)
	return string(bz)
}

// requireFailsCleanly runs fn and checks that it fails with want and changes
// neither state nor balances.
func (f *fixture) requireFailsCleanly(want error, fn func() error) {
	f.t.Helper()
	before := f.snapshot()
	err := fn()
	require.ErrorIs(f.t, err, want)
	require.Equal(f.t, before, f.snapshot(), "state or balances changed by a failed call")
}

// countEvents counts typed events of one proto type emitted in this block.
func (f *fixture) countEvents(typ string) int {
	n := 0
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type == typ {
			n++
		}
	}
	return n
}
