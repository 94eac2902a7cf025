package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
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
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

const (
	denom = "umesh"
	// deposit is the min_deposit of the test params.
	deposit = 100_000_000
	// funds each test account starts with.
	funds = 1_000_000_000
	// inferenceAccount stands for x/inference's escrow in the fake.
	inferenceAccount = "inference"
	// model analysing proposals when the analysis is on.
	model = "mesh-embedded-v1"
)

// Test periods: 7 days of voting, a 2-day timelock, a 3-day execution window.
const (
	votingPeriod    = 7 * 24 * time.Hour
	timelock        = 2 * 24 * time.Hour
	executionWindow = 3 * 24 * time.Hour
)

// start is the block time of the first block.
var start = time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeInference stands for x/inference: it escrows max_fee from the
// requester like the real keeper, records each request and returns job ids
// from 1; err makes every request fail.
type fakeInference struct {
	bk       bankkeeper.BaseKeeper
	err      error
	lastID   uint64
	requests []inferenceRequest
}

type inferenceRequest struct {
	requester sdk.AccAddress
	msg       inferencetypes.MsgRequestInference
}

func (fi *fakeInference) RequestInference(ctx context.Context, requester sdk.AccAddress, msg *inferencetypes.MsgRequestInference) (inferencetypes.Job, error) {
	if fi.err != nil {
		return inferencetypes.Job{}, fi.err
	}
	if err := fi.bk.SendCoinsFromAccountToModule(ctx, requester, inferenceAccount, sdk.NewCoins(msg.MaxFee)); err != nil {
		return inferencetypes.Job{}, err
	}
	fi.lastID++
	fi.requests = append(fi.requests, inferenceRequest{requester: requester, msg: *msg})
	// As x/inference: a request is queued, its workers drawn in a later block.
	return inferencetypes.Job{
		Id: fi.lastID, Requester: msg.Requester, ModelId: msg.ModelId, Input: msg.Input, MaxFee: msg.MaxFee,
		Redundancy: msg.Redundancy, Mode: msg.Mode, Callback: msg.Callback, Status: inferencetypes.JOB_STATUS_QUEUED,
	}, nil
}

// fixture is x/dao on a real multistore with the real x/auth and x/bank
// keepers and a real Msg service router serving x/bank and x/dao: proposals
// execute real bank sends from the treasury and real x/dao param updates.
type fixture struct {
	t         testing.TB
	ctx       sdk.Context
	cdc       codec.Codec
	cms       storetypes.CommitMultiStore
	keys      map[string]*storetypes.KVStoreKey
	ac        addresscodec.Bech32Codec
	ak        authkeeper.AccountKeeper
	bk        bankkeeper.BaseKeeper
	inference *fakeInference
	k         keeper.Keeper
	msg       types.MsgServer
	q         keeper.Querier
	authority string
	params    types.Params
}

// options adjust the fixture before genesis.
type options struct {
	params    func(*types.Params)
	noGenesis bool // leave x/dao without genesis (the test imports one)
}

func withParams(fn func(*types.Params)) options { return options{params: fn} }

// withAnalysis turns the analysis on.
func withAnalysis(p *types.Params) {
	p.AnalysisModel = model
	p.AnalysisMaxFee = sdk.NewInt64Coin(denom, 10_000)
	p.AnalysisRedundancy = 3
}

// testParams: the defaults with the test periods.
func testParams() types.Params {
	p := types.DefaultParams()
	p.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(denom, deposit))
	p.VotingPeriod, p.Timelock, p.ExecutionWindow = votingPeriod, timelock, executionWindow
	return p
}

func newFixture(t testing.TB, opts ...options) *fixture {
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
		inferenceAccount:     nil,
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

	router := baseapp.NewMsgServiceRouter()
	router.SetInterfaceRegistry(enc.InterfaceRegistry)
	banktypes.RegisterMsgServer(router, bankkeeper.NewMsgServerImpl(bk))
	fi := &fakeInference{bk: bk}
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ak, bk, fi, router, authority)
	msgServer := keeper.NewMsgServerImpl(k)
	types.RegisterMsgServer(router, msgServer)

	f := &fixture{
		t: t, cdc: enc.Codec, cms: cms, keys: keys, ac: ac, ak: ak, bk: bk, inference: fi, k: k,
		msg: msgServer, q: keeper.NewQuerier(k), authority: authority,
	}
	f.ctx = sdk.NewContext(cms, cmtproto.Header{ChainID: "mesh-test-1"}, false, log.NewNopLogger()).
		WithBlockHeight(1).WithBlockTime(start).WithEventManager(sdk.NewEventManager())
	require.NoError(t, bk.SetParams(f.ctx, banktypes.DefaultParams()))

	gs := types.DefaultGenesis()
	gs.Params = testParams()
	noGenesis := false
	for _, o := range opts {
		if o.params != nil {
			o.params(&gs.Params)
		}
		noGenesis = noGenesis || o.noGenesis
	}
	f.params = gs.Params
	if !noGenesis {
		require.NoError(t, k.InitGenesis(f.ctx, gs))
	}
	for name := range maccPerms {
		ak.GetModuleAccount(f.ctx, name)
	}
	f.cms.Commit()
	return f
}

// next commits and moves to the next block, dt later, with a fresh event manager.
func (f *fixture) next(dt time.Duration) {
	f.cms.Commit()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(f.ctx.BlockTime().Add(dt)).
		WithEventManager(sdk.NewEventManager())
}

// at moves to the next block at time t.
func (f *fixture) at(t time.Time) { f.next(t.Sub(f.ctx.BlockTime())) }

// endBlock runs the x/dao end blocker, which never fails.
func (f *fixture) endBlock() {
	f.t.Helper()
	require.NoError(f.t, f.k.EndBlocker(f.ctx))
}

// account is a funded test account named name.
func (f *fixture) account(name string) sdk.AccAddress {
	f.t.Helper()
	b := make([]byte, 20)
	copy(b, name)
	a := sdk.AccAddress(b)
	if f.bk.GetBalance(f.ctx, a, denom).IsZero() {
		f.fund(a, funds)
	}
	return a
}

func (f *fixture) fund(a sdk.AccAddress, amount int64) {
	f.t.Helper()
	c := sdk.NewCoins(sdk.NewInt64Coin(denom, amount))
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, c))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToAccount(f.ctx, minttypes.ModuleName, a, c))
}

// fundTreasury mints amount into the DAO treasury.
func (f *fixture) fundTreasury(amount int64) {
	f.t.Helper()
	c := sdk.NewCoins(sdk.NewInt64Coin(denom, amount))
	require.NoError(f.t, f.bk.MintCoins(f.ctx, minttypes.ModuleName, c))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToModule(f.ctx, minttypes.ModuleName, types.ModuleName, c))
}

func (f *fixture) bech(a sdk.AccAddress) string {
	f.t.Helper()
	s, err := f.ac.BytesToString(a)
	require.NoError(f.t, err)
	return s
}

func (f *fixture) balance(a sdk.AccAddress) int64 {
	return f.bk.GetBalance(f.ctx, a, denom).Amount.Int64()
}

func (f *fixture) treasury() sdk.AccAddress { return f.ak.GetModuleAddress(types.ModuleName) }

func (f *fixture) treasuryBalance() int64 { return f.balance(f.treasury()) }

func (f *fixture) escrowBalance() int64 { return f.balance(f.ak.GetModuleAddress(types.EscrowAccount)) }

func (f *fixture) supply() int64 { return f.bk.GetSupply(f.ctx, denom).Amount.Int64() }

// lock locks amount of owner for the minimum duration (power √amount).
func (f *fixture) lock(owner sdk.AccAddress, amount int64) {
	f.t.Helper()
	_, err := f.msg.Lock(f.ctx, &types.MsgLock{Owner: f.bech(owner), Amount: sdk.NewInt64Coin(denom, amount), Duration: f.params.MinLockDuration})
	require.NoError(f.t, err)
}

func (f *fixture) vote(voter sdk.AccAddress, id uint64, option types.VoteOption) {
	f.t.Helper()
	_, err := f.msg.Vote(f.ctx, &types.MsgVote{Voter: f.bech(voter), ProposalId: id, Option: option})
	require.NoError(f.t, err)
}

// voters: alice, bob and carol lock 100, 25 and 4 MESH (power 10000, 5000
// and 2000; 17000 in all) in this block and the fixture moves to the next
// block, where proposals see that power.
func (f *fixture) voters() (alice, bob, carol sdk.AccAddress) {
	f.t.Helper()
	alice, bob, carol = f.account("alice"), f.account("bob"), f.account("carol")
	f.lock(alice, 100_000_000)
	f.lock(bob, 25_000_000)
	f.lock(carol, 4_000_000)
	f.next(time.Minute)
	return alice, bob, carol
}

// send is a bank send of amount umesh from the treasury to to.
func (f *fixture) send(to sdk.AccAddress, amount int64) sdk.Msg {
	return &banktypes.MsgSend{FromAddress: f.authority, ToAddress: f.bech(to), Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, amount))}
}

// anys packs messages.
func anys(t testing.TB, msgs ...sdk.Msg) []*codectypes.Any {
	t.Helper()
	out := make([]*codectypes.Any, len(msgs))
	for i, m := range msgs {
		a, err := codectypes.NewAnyWithValue(m)
		require.NoError(t, err)
		out[i] = a
	}
	return out
}

// submitMsg is a proposal of proposer with the min deposit.
func (f *fixture) submitMsg(proposer sdk.AccAddress, msgs ...sdk.Msg) *types.MsgSubmitProposal {
	return &types.MsgSubmitProposal{
		Proposer: f.bech(proposer), Title: "Fund the inference grants",
		Summary: "Send treasury funds to the grants multisig.", Metadata: "ipfs://meta",
		Messages: anys(f.t, msgs...), Deposit: sdk.NewCoins(sdk.NewInt64Coin(denom, deposit)),
	}
}

// submit submits a proposal of proposer and returns its id.
func (f *fixture) submit(proposer sdk.AccAddress, msgs ...sdk.Msg) uint64 {
	f.t.Helper()
	res, err := f.msg.SubmitProposal(f.ctx, f.submitMsg(proposer, msgs...))
	require.NoError(f.t, err)
	return res.ProposalId
}

func (f *fixture) proposal(id uint64) types.Proposal {
	f.t.Helper()
	p, err := f.k.Proposals.Get(f.ctx, id)
	require.NoError(f.t, err)
	return p
}

func (f *fixture) status(id uint64) types.ProposalStatus { return f.proposal(id).Status }

// execute sends MsgExecuteProposal from executor.
func (f *fixture) execute(executor sdk.AccAddress, id uint64) (*types.MsgExecuteProposalResponse, error) {
	return f.msg.ExecuteProposal(f.ctx, &types.MsgExecuteProposal{Executor: f.bech(executor), ProposalId: id})
}

// pass submits a proposal with msgs, has alice vote yes and ends its voting:
// it returns the PASSED proposal. The fixture is at its voting_end.
func (f *fixture) pass(proposer, alice sdk.AccAddress, msgs ...sdk.Msg) types.Proposal {
	f.t.Helper()
	id := f.submit(proposer, msgs...)
	f.vote(alice, id, types.VOTE_OPTION_YES)
	f.at(f.proposal(id).VotingEnd)
	f.endBlock()
	p := f.proposal(id)
	require.Equal(f.t, types.PROPOSAL_STATUS_PASSED, p.Status, p.Result)
	return p
}

// snapshot hashes the auth, bank and dao stores.
func (f *fixture) snapshot() string {
	return f.storeHash(authtypes.StoreKey, banktypes.StoreKey, types.StoreKey)
}

// storeHash hashes every key and value of the named stores.
func (f *fixture) storeHash(names ...string) string {
	h := sha256.New()
	for _, name := range names {
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

// hasEvent reports whether an event of type typ was emitted in this block.
func (f *fixture) hasEvent(typ string) bool {
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// errInferenceDown is what x/inference answers for an inactive model: a
// registered error wrapped with details (x/dao stores only the registered part).
var errInferenceDown = errorsmod.Wrap(inferencetypes.ErrModelNotActive, "mesh-embedded-v1 is MODEL_STATUS_RETIRED [some/file.go:12]")

// intOf is a math.Int of n.
func intOf(n int64) math.Int { return math.NewInt(n) }
