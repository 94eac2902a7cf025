package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"

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

	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/types"
)

const (
	dfDenom = "umesh"
	// dfFunds each funded test account starts with.
	dfFunds = 100_000_000
	// dfStake is the default annotation_stake.
	dfStake = 1_000_000
)

// dfPoints is one AddPoints call seen by dfRewards.
type dfPoints struct {
	category string
	account  sdk.AccAddress
	points   uint64
}

// dfRewards stands for x/rewards: it records every AddPoints call; with err
// set it writes to the training store (to show the writes are dropped) and
// fails.
type dfRewards struct {
	key   *storetypes.KVStoreKey
	err   error
	calls []dfPoints
}

func (r *dfRewards) AddPoints(ctx context.Context, category string, account sdk.AccAddress, points uint64, _ ...rewardstypes.PointsOption) (uint64, error) {
	if r.err != nil {
		sdk.UnwrapSDKContext(ctx).KVStore(r.key).Set([]byte{0xff, 0xee}, []byte("dropped"))
		return 0, r.err
	}
	r.calls = append(r.calls, dfPoints{category: category, account: account, points: points})
	return points, nil
}

// dataFixture is x/training's datasets and annotations on a real multistore
// with the real x/auth and x/bank keepers: every balance and the supply are
// real. Compute, pool and inference are nil (not used by data messages).
type dataFixture struct {
	t         *testing.T
	ctx       sdk.Context
	cms       storetypes.CommitMultiStore
	keys      map[string]*storetypes.KVStoreKey
	ac        addresscodec.Bech32Codec
	ak        authkeeper.AccountKeeper
	bk        bankkeeper.BaseKeeper
	rewards   *dfRewards
	k         keeper.Keeper
	msg       types.MsgServer
	q         keeper.Querier
	authority string
	params    types.Params
}

// newDataFixture sets the default params adjusted by opts and the id
// sequences at 1, as InitGenesis of the default genesis does.
func newDataFixture(t *testing.T, opts ...func(*types.Params)) *dataFixture {
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
	}
	// As in the app, module accounts may not receive bank sends.
	blocked := map[string]bool{}
	for name := range maccPerms {
		blocked[authtypes.NewModuleAddress(name).String()] = true
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, ac, prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, blocked, authority, log.NewNopLogger())
	rewards := &dfRewards{key: keys[types.StoreKey]}
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, nil, nil, nil, rewards, authority)

	f := &dataFixture{
		t: t, cms: cms, keys: keys, ac: ac, ak: ak, bk: bk, rewards: rewards, k: k,
		msg: keeper.NewMsgServerImpl(k), q: keeper.NewQuerier(k), authority: authority,
	}
	f.ctx = sdk.NewContext(cms, cmtproto.Header{ChainID: "mesh-test-1"}, false, log.NewNopLogger()).
		WithBlockHeight(1).WithEventManager(sdk.NewEventManager())
	require.NoError(t, bk.SetParams(f.ctx, banktypes.DefaultParams()))

	f.params = types.DefaultParams()
	for _, o := range opts {
		o(&f.params)
	}
	require.NoError(t, k.Params.Set(f.ctx, f.params))
	require.NoError(t, k.NextDatasetID.Set(f.ctx, 1))
	require.NoError(t, k.NextItemID.Set(f.ctx, 1))
	require.NoError(t, k.NextTaskID.Set(f.ctx, 1))
	for name := range maccPerms {
		ak.GetModuleAccount(f.ctx, name)
	}
	f.cms.Commit()
	return f
}

// next commits and moves to the next block with a fresh event manager.
func (f *dataFixture) next() {
	f.cms.Commit()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithEventManager(sdk.NewEventManager())
}

// dfAddr is a 20-byte test address spelling name.
func dfAddr(name string) sdk.AccAddress {
	b := make([]byte, 20)
	copy(b, name)
	return b
}

// account is a test account named name holding dfFunds.
func (f *dataFixture) account(name string) sdk.AccAddress {
	f.t.Helper()
	a := dfAddr(name)
	f.fund(a, dfFunds)
	return a
}

func (f *dataFixture) fund(a sdk.AccAddress, amount int64) {
	f.t.Helper()
	c := sdk.NewCoins(sdk.NewInt64Coin(dfDenom, amount))
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, c))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, a, c))
}

func (f *dataFixture) bech(a sdk.AccAddress) string {
	f.t.Helper()
	s, err := f.ac.BytesToString(a)
	require.NoError(f.t, err)
	return s
}

func (f *dataFixture) balance(a sdk.AccAddress) int64 {
	return f.bk.GetBalance(f.ctx, a, dfDenom).Amount.Int64()
}

// escrow is the module account's balance: the stakes at risk.
func (f *dataFixture) escrow() int64 { return f.balance(f.ak.GetModuleAddress(types.ModuleName)) }

func (f *dataFixture) supply() int64 { return f.bk.GetSupply(f.ctx, dfDenom).Amount.Int64() }

// register registers a dataset of owner with the given label set.
func (f *dataFixture) register(owner sdk.AccAddress, labels ...string) uint64 {
	f.t.Helper()
	res, err := f.msg.RegisterDataset(f.ctx, &types.MsgRegisterDataset{
		Owner: f.bech(owner), Name: "cats and dogs", Schema: `{"label":"string"}`, License: "CC-BY-4.0", Labels: labels,
	})
	require.NoError(f.t, err)
	return res.DatasetId
}

// contribute adds an inline item to a dataset.
func (f *dataFixture) contribute(contributor sdk.AccAddress, dataset uint64, data string) uint64 {
	f.t.Helper()
	res, err := f.msg.ContributeItem(f.ctx, &types.MsgContributeItem{Contributor: f.bech(contributor), DatasetId: dataset, Data: []byte(data)})
	require.NoError(f.t, err)
	return res.ItemId
}

// annotate labels an item and returns the response.
func (f *dataFixture) annotate(annotator sdk.AccAddress, item uint64, label string) *types.MsgAnnotateResponse {
	f.t.Helper()
	res, err := f.msg.Annotate(f.ctx, &types.MsgAnnotate{Annotator: f.bech(annotator), ItemId: item, Label: label})
	require.NoError(f.t, err)
	return res
}

func (f *dataFixture) item(id uint64) types.Item {
	f.t.Helper()
	it, err := f.k.Items.Get(f.ctx, id)
	require.NoError(f.t, err)
	return it
}

func (f *dataFixture) dataset(id uint64) types.Dataset {
	f.t.Helper()
	ds, err := f.k.Datasets.Get(f.ctx, id)
	require.NoError(f.t, err)
	return ds
}

// stats returns an annotator's stats, zero ones if it has none.
func (f *dataFixture) stats(a sdk.AccAddress) types.AnnotatorStats {
	f.t.Helper()
	res, err := f.q.Annotator(f.ctx, &types.QueryAnnotatorRequest{Annotator: f.bech(a)})
	require.NoError(f.t, err)
	return res.Stats
}

// snapshot hashes the auth, bank and training stores.
func (f *dataFixture) snapshot() string {
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
// change to any store (state, balances, supply) or event.
func (f *dataFixture) requireRejected(want error, fn func() error, what ...any) {
	f.t.Helper()
	before, events := f.snapshot(), len(f.ctx.EventManager().Events())
	err := fn()
	require.ErrorIs(f.t, err, want, what...)
	require.Equal(f.t, before, f.snapshot(), "state changed by a rejected call %v", what)
	require.Len(f.t, f.ctx.EventManager().Events(), events, "events emitted by a rejected call %v", what)
}

// validated runs call as a transaction runs its message: ValidateBasic
// first (baseapp, in CheckTx), then the handler.
func validated(msg sdk.HasValidateBasic, call func() error) func() error {
	return func() error {
		if err := msg.ValidateBasic(); err != nil {
			return err
		}
		return call()
	}
}

// dfEvents decodes the events of type T emitted so far in this block.
func dfEvents[T any, PT interface {
	*T
	proto.Message
}](f *dataFixture) []T {
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
