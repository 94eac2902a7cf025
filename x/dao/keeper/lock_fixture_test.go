package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

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

	"github.com/llmesh/mesh/x/dao/keeper"
	"github.com/llmesh/mesh/x/dao/types"
)

// Lock test params: min_lock 1000 umesh, locks of 1h (1×) to 100h (4×), so
// that 34h is 2× and 67h is 3× exactly.
const (
	lfDenom   = "umesh"
	lfMinLock = 1000
	lfMinDur  = time.Hour
	lfMaxDur  = 100 * time.Hour
	lfDur2x   = 34 * time.Hour
	lfDur3x   = 67 * time.Hour
	// lfFunds each test account starts with.
	lfFunds = 100_000_000
)

// lfStart is the block time of the first block.
var lfStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// lockFixture is x/dao on a real multistore with the real x/auth and x/bank
// keepers: locks and deposits move real balances into the escrow account.
type lockFixture struct {
	t      testing.TB
	ctx    sdk.Context
	cms    storetypes.CommitMultiStore
	keys   map[string]*storetypes.KVStoreKey
	ac     addresscodec.Bech32Codec
	ak     authkeeper.AccountKeeper
	bk     bankkeeper.BaseKeeper
	k      keeper.Keeper
	q      keeper.Querier
	params types.Params
}

func newLockFixture(t testing.TB) *lockFixture {
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
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(types.ModuleName))
	require.NoError(t, err)

	maccPerms := map[string][]string{
		minttypes.ModuleName: {authtypes.Minter},
		types.ModuleName:     nil,
		types.EscrowAccount:  {authtypes.Burner},
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, ac, prefix, authority)
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		ak, map[string]bool{}, authority, log.NewNopLogger())
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, nil, nil, authority)

	f := &lockFixture{t: t, cms: cms, keys: keys, ac: ac, ak: ak, bk: bk, k: k, q: keeper.Querier{Keeper: k}}
	f.ctx = sdk.NewContext(cms, cmtproto.Header{ChainID: "mesh-test-1"}, false, log.NewNopLogger()).
		WithBlockHeight(1).WithBlockTime(lfStart).WithEventManager(sdk.NewEventManager())

	require.NoError(t, bk.SetParams(f.ctx, banktypes.DefaultParams()))
	p := types.DefaultParams()
	p.MinLock = math.NewInt(lfMinLock)
	p.MinLockDuration, p.MaxLockDuration = lfMinDur, lfMaxDur
	p.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(lfDenom, 1000))
	p.VotingPeriod, p.Timelock, p.ExecutionWindow = 10*time.Hour, 5*time.Hour, 5*time.Hour
	require.NoError(t, k.SetParams(f.ctx, p))
	require.NoError(t, k.NextProposalID.Set(f.ctx, 1))
	f.params = p
	for name := range maccPerms {
		ak.GetModuleAccount(f.ctx, name)
	}
	f.cms.Commit()
	return f
}

// next commits and moves to the next block, dt later, with a fresh event manager.
func (f *lockFixture) next(dt time.Duration) {
	f.cms.Commit()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(f.ctx.BlockTime().Add(dt)).
		WithEventManager(sdk.NewEventManager())
}

// height is the current block height.
func (f *lockFixture) height() int64 { return f.ctx.BlockHeight() }

// lfAddr is a 20-byte test address: a prefix, then be64(i).
func lfAddr(prefix string, i int) sdk.AccAddress {
	b := make([]byte, 20)
	copy(b[:12], prefix)
	binary.BigEndian.PutUint64(b[12:], uint64(i))
	return b
}

// account returns a fresh address funded with lfFunds umesh.
func (f *lockFixture) account(name string) sdk.AccAddress {
	f.t.Helper()
	a := lfAddr(name, 1)
	c := sdk.NewCoins(sdk.NewInt64Coin(lfDenom, lfFunds))
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, c))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, a, c))
	return a
}

func (f *lockFixture) bech(a sdk.AccAddress) string {
	s, err := f.ac.BytesToString(a)
	require.NoError(f.t, err)
	return s
}

// balance is a's umesh balance.
func (f *lockFixture) balance(a sdk.AccAddress) int64 {
	return f.bk.GetBalance(f.ctx, a, lfDenom).Amount.Int64()
}

// escrow is the escrow account's umesh balance.
func (f *lockFixture) escrow() int64 { return f.balance(f.ak.GetModuleAddress(types.EscrowAccount)) }

// supply is the umesh supply.
func (f *lockFixture) supply() int64 { return f.bk.GetSupply(f.ctx, lfDenom).Amount.Int64() }

func (f *lockFixture) lock(owner sdk.AccAddress, amount int64, d time.Duration) (types.Lock, math.Int) {
	f.t.Helper()
	l, p, err := f.k.Lock(f.ctx, owner, sdk.NewInt64Coin(lfDenom, amount), d)
	require.NoError(f.t, err)
	return l, p
}

func (f *lockFixture) delegate(from, to sdk.AccAddress) {
	f.t.Helper()
	require.NoError(f.t, f.k.DelegateVotes(f.ctx, from, to))
}

func (f *lockFixture) vote(voter sdk.AccAddress, id uint64, option types.VoteOption) types.Vote {
	f.t.Helper()
	v, err := f.k.CastVote(f.ctx, voter, id, option)
	require.NoError(f.t, err)
	return v
}

// own is a's own power now.
func (f *lockFixture) own(a sdk.AccAddress) int64 {
	f.t.Helper()
	p, err := f.k.OwnPowerNow(f.ctx, a)
	require.NoError(f.t, err)
	return p.Int64()
}

// delegated is a's delegated power now.
func (f *lockFixture) delegated(a sdk.AccAddress) int64 {
	f.t.Helper()
	p, err := f.k.DelegatedPowerNow(f.ctx, a)
	require.NoError(f.t, err)
	return p.Int64()
}

// total is the total power now.
func (f *lockFixture) total() int64 {
	f.t.Helper()
	p, err := f.k.TotalPowerAt(f.ctx, f.height()+1)
	require.NoError(f.t, err)
	return p.Int64()
}

// proposal opens a VOTING proposal in the current block as SubmitProposal
// would (written directly: proposal.go is not under test here), with the
// proposer's deposit moved into escrow.
func (f *lockFixture) proposal(deposit int64) types.Proposal {
	f.t.Helper()
	proposer := lfAddr("proposer", int(f.height()))
	id, err := f.k.NextProposalID.Next(f.ctx)
	require.NoError(f.t, err)
	var dep sdk.Coins
	if deposit > 0 {
		dep = sdk.NewCoins(sdk.NewInt64Coin(lfDenom, deposit))
		require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, dep))
		require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, proposer, dep))
		require.NoError(f.t, f.bk.SendCoinsFromAccountToModule(f.ctx, proposer, types.EscrowAccount, dep))
	}
	total, err := f.k.TotalPowerAt(f.ctx, f.height())
	require.NoError(f.t, err)
	now := f.ctx.BlockTime()
	p := types.Proposal{
		Id: id, Proposer: f.bech(proposer), Title: "test", Summary: "test", Deposit: dep,
		Status: types.PROPOSAL_STATUS_VOTING, SubmitHeight: f.height(), SubmitTime: now,
		VotingEnd: now.Add(f.params.VotingPeriod), TotalPower: total, Tally: types.NewTally(),
		QuorumBps: f.params.QuorumBps, ThresholdBps: f.params.ThresholdBps, VetoThresholdBps: f.params.VetoThresholdBps,
	}
	p.Eta = p.VotingEnd.Add(f.params.Timelock)
	p.Expiry = p.Eta.Add(f.params.ExecutionWindow)
	require.NoError(f.t, f.k.Proposals.Set(f.ctx, id, p))
	require.NoError(f.t, f.k.VotingQueue.Set(f.ctx, collections.Join(p.VotingEnd, id)))
	return p
}

// pass moves a VOTING proposal to PASSED as the end of voting would.
func (f *lockFixture) pass(id uint64) {
	f.t.Helper()
	p := f.getProposal(id)
	require.NoError(f.t, f.k.VotingQueue.Remove(f.ctx, collections.Join(p.VotingEnd, id)))
	require.NoError(f.t, f.k.ExecutionQueue.Set(f.ctx, collections.Join(p.Expiry, id)))
	p.Status = types.PROPOSAL_STATUS_PASSED
	require.NoError(f.t, f.k.Proposals.Set(f.ctx, id, p))
}

func (f *lockFixture) getProposal(id uint64) types.Proposal {
	f.t.Helper()
	p, err := f.k.Proposals.Get(f.ctx, id)
	require.NoError(f.t, err)
	return p
}

func (f *lockFixture) getVote(id uint64, voter sdk.AccAddress) types.Vote {
	f.t.Helper()
	v, err := f.k.Votes.Get(f.ctx, collections.Join(id, voter))
	require.NoError(f.t, err)
	return v
}

// tally is a proposal's tally as yes, no, abstain, veto.
func (f *lockFixture) tally(id uint64) [4]int64 {
	t := f.getProposal(id).Tally
	return [4]int64{t.Yes.Int64(), t.No.Int64(), t.Abstain.Int64(), t.Veto.Int64()}
}

// snapshot hashes the auth, bank and dao stores.
func (f *lockFixture) snapshot() string {
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
func (f *lockFixture) requireRejected(want error, fn func() error, what ...any) {
	f.t.Helper()
	before, events := f.snapshot(), len(f.ctx.EventManager().Events())
	err := fn()
	require.ErrorIs(f.t, err, want, what...)
	require.Equal(f.t, before, f.snapshot(), "state changed by a rejected call %v", what)
	require.Len(f.t, f.ctx.EventManager().Events(), events, "events emitted by a rejected call %v", what)
}

// requireNoChange runs fn, requires it to succeed, and no change to any
// store or event.
func (f *lockFixture) requireNoChange(fn func() error, what ...any) {
	f.t.Helper()
	before, events := f.snapshot(), len(f.ctx.EventManager().Events())
	require.NoError(f.t, fn(), what...)
	require.Equal(f.t, before, f.snapshot(), "state changed %v", what)
	require.Len(f.t, f.ctx.EventManager().Events(), events, "events emitted %v", what)
}

// lfEvents decodes the events of type T emitted so far in this block.
func lfEvents[T any, PT interface {
	*T
	proto.Message
}](f *lockFixture) []T {
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
