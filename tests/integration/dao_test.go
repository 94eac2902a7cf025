package integration

import (
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/testutil"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// daoGenesis: 10 s voting, 5 s timelock, 20 s execution window, locks of
// 10 s (1×) to 1000 s (4×), 1000umesh deposit, no analysis (no workers here).
func daoGenesis(cdc codec.Codec, gen map[string]json.RawMessage) {
	var dg daotypes.GenesisState
	cdc.MustUnmarshalJSON(gen[daotypes.ModuleName], &dg)
	p := &dg.Params
	p.VotingPeriod, p.Timelock, p.ExecutionWindow = 10*time.Second, 5*time.Second, 20*time.Second
	p.MinLockDuration, p.MaxLockDuration = 10*time.Second, 1000*time.Second
	p.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000))
	gen[daotypes.ModuleName] = cdc.MustMarshalJSON(&dg)

	// A treasury of 1 MESH to spend (the in-process chain's inflation is tiny).
	var bg banktypes.GenesisState
	cdc.MustUnmarshalJSON(gen[banktypes.ModuleName], &bg)
	funds := sdk.NewCoins(sdk.NewInt64Coin("umesh", 1_000_000))
	bg.Balances = append(bg.Balances, banktypes.Balance{Address: authtypes.NewModuleAddress(daotypes.ModuleName).String(), Coins: funds})
	if !bg.Supply.IsZero() {
		bg.Supply = bg.Supply.Add(funds...)
	}
	gen[banktypes.ModuleName] = cdc.MustMarshalJSON(&bg)
}

type daoChain struct {
	t    *testing.T
	f    *testutil.Fixture
	seqs map[string]uint64
}

// send signs one tx per (account, msg) pair into one block and returns the results.
func (c *daoChain) block(txs ...signed) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	var bz [][]byte
	for _, s := range txs {
		addr := s.acc.Address.String()
		bz = append(bz, c.f.SignTx(c.t, s.acc, c.seqs[addr], s.msg))
		c.seqs[addr]++
	}
	return c.f.NextBlock(c.t, bz...)
}

type signed struct {
	acc testutil.Account
	msg sdk.Msg
}

func (c *daoChain) advance(d time.Duration) {
	for i := 0; i < int(d/time.Second); i++ {
		c.f.NextBlock(c.t)
	}
}

func (c *daoChain) proposal(id uint64) daotypes.Proposal {
	c.t.Helper()
	p, err := c.f.App.DaoKeeper.Proposals.Get(c.f.Ctx(), id)
	require.NoError(c.t, err)
	return p
}

func requireCode(t *testing.T, r *abci.ExecTxResult, codespace string, code uint32) {
	t.Helper()
	require.Equal(t, codespace, r.Codespace, r.Log)
	require.Equal(t, code, r.Code, r.Log)
}

// End to end on the full app: lockers pass a proposal that changes x/inference
// params and pays from the treasury; it waits out the timelock (an early
// execute fails), executes once, and a proposal whose message fails is
// marked FAILED while the chain goes on. A lock made after submission has
// no power on it.
func TestDaoProposalEndToEnd(t *testing.T) {
	f := testutil.SetupWithGenesis(t, 5, sdkmath.NewInt(1_000_000_000), daoGenesis)
	c := &daoChain{t: t, f: f, seqs: map[string]uint64{}}
	alice, bob, carol, dave, erin := f.Accounts[0], f.Accounts[1], f.Accounts[2], f.Accounts[3], f.Accounts[4]
	daoAddr := authtypes.NewModuleAddress(daotypes.ModuleName)
	lock := func(a testutil.Account, amount int64, d time.Duration) signed {
		return signed{a, &daotypes.MsgLock{Owner: a.Address.String(), Amount: sdk.NewInt64Coin("umesh", amount), Duration: d}}
	}
	testutil.RequireTxsOK(t, c.block(lock(alice, 4_000_000, 1000*time.Second), lock(bob, 1_000_000, 10*time.Second), lock(carol, 9_000_000, 10*time.Second)))
	// isqrt(4e6)=2000 × 4× = 8000; isqrt(1e6)=1000 × 1×; isqrt(9e6)=3000 × 1×.
	ctx := f.Ctx()
	treasury := f.App.BankKeeper.GetBalance(ctx, daoAddr, "umesh").Amount
	require.True(t, treasury.GT(sdkmath.NewInt(1_000_000)), "genesis funds plus x/rewards' share: %s", treasury)

	params, err := f.App.InferenceKeeper.Params.Get(ctx)
	require.NoError(t, err)
	params.MaxInputBytes = 2048
	anyParams, err := codectypes.NewAnyWithValue(&inferencetypes.MsgUpdateParams{Authority: daoAddr.String(), Params: params})
	require.NoError(t, err)
	anySend, err := codectypes.NewAnyWithValue(&banktypes.MsgSend{FromAddress: daoAddr.String(), ToAddress: dave.Address.String(), Amount: sdk.NewCoins(sdk.NewInt64Coin("umesh", 5000))})
	require.NoError(t, err)
	aliceBefore := f.App.BankKeeper.GetBalance(ctx, alice.Address, "umesh").Amount
	res := c.block(signed{alice, &daotypes.MsgSubmitProposal{Proposer: alice.Address.String(), Title: "Smaller inference inputs, pay dave",
		Summary: "Halve max_input_bytes and send 5000umesh to dave.", Messages: []*codectypes.Any{anyParams, anySend},
		Deposit: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000))}},
		lock(dave, 100_000_000, 1000*time.Second)) // same block: after the snapshot
	testutil.RequireTxsOK(t, res)
	p := c.proposal(1)
	require.Equal(t, daotypes.PROPOSAL_STATUS_VOTING, p.Status)
	require.Equal(t, sdkmath.NewInt(8000+1000+3000), p.TotalPower, "dave's lock is not in the snapshot")

	vote := func(a testutil.Account, o daotypes.VoteOption) signed {
		return signed{a, &daotypes.MsgVote{Voter: a.Address.String(), ProposalId: 1, Option: o}}
	}
	res = c.block(vote(alice, daotypes.VOTE_OPTION_YES), vote(bob, daotypes.VOTE_OPTION_YES), vote(carol, daotypes.VOTE_OPTION_NO), vote(dave, daotypes.VOTE_OPTION_NO))
	for _, r := range res.TxResults[:3] {
		require.Zero(t, r.Code, r.Log)
	}
	requireCode(t, res.TxResults[3], daotypes.ModuleName, daotypes.ErrNoVotingPower.ABCICode())
	p = c.proposal(1)
	require.Equal(t, sdkmath.NewInt(9000), p.Tally.Yes)
	require.Equal(t, sdkmath.NewInt(3000), p.Tally.No)

	c.advance(10 * time.Second)
	p = c.proposal(1)
	require.Equal(t, daotypes.PROPOSAL_STATUS_PASSED, p.Status, p.Result)
	exec := signed{erin, &daotypes.MsgExecuteProposal{Executor: erin.Address.String(), ProposalId: 1}}
	res = c.block(exec)
	requireCode(t, res.TxResults[0], daotypes.ModuleName, daotypes.ErrTimelock.ABCICode())

	c.advance(5 * time.Second)
	ctx = f.Ctx()
	treasuryBefore := f.App.BankKeeper.GetBalance(ctx, daoAddr, "umesh").Amount
	daveBefore := f.App.BankKeeper.GetBalance(ctx, dave.Address, "umesh").Amount
	res = c.block(exec)
	testutil.RequireTxsOK(t, res)
	ctx = f.Ctx()
	p = c.proposal(1)
	require.Equal(t, daotypes.PROPOSAL_STATUS_EXECUTED, p.Status, p.Result)
	got, err := f.App.InferenceKeeper.Params.Get(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2048, got.MaxInputBytes)
	require.Equal(t, daveBefore.AddRaw(5000), f.App.BankKeeper.GetBalance(ctx, dave.Address, "umesh").Amount)
	// The treasury paid 5000 and received this block's treasury share.
	require.True(t, f.App.BankKeeper.GetBalance(ctx, daoAddr, "umesh").Amount.LT(treasuryBefore.AddRaw(5000)))
	require.Equal(t, aliceBefore, f.App.BankKeeper.GetBalance(ctx, alice.Address, "umesh").Amount, "deposit refunded")

	res = c.block(exec)
	requireCode(t, res.TxResults[0], daotypes.ModuleName, daotypes.ErrAlreadyExecuted.ABCICode())

	// A proposal whose second message fails: FAILED, the first undone.
	huge, err := codectypes.NewAnyWithValue(&banktypes.MsgSend{FromAddress: daoAddr.String(), ToAddress: dave.Address.String(), Amount: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1_000_000_000_000))})
	require.NoError(t, err)
	params.MaxInputBytes = 1024
	anyParams, err = codectypes.NewAnyWithValue(&inferencetypes.MsgUpdateParams{Authority: daoAddr.String(), Params: params})
	require.NoError(t, err)
	testutil.RequireTxsOK(t, c.block(signed{bob, &daotypes.MsgSubmitProposal{Proposer: bob.Address.String(), Title: "Too generous",
		Summary: "Spend more than the treasury has.", Messages: []*codectypes.Any{anyParams, huge}, Deposit: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000))}}))
	// dave's lock predates this proposal: it counts now.
	testutil.RequireTxsOK(t, c.block(signed{alice, &daotypes.MsgVote{Voter: alice.Address.String(), ProposalId: 2, Option: daotypes.VOTE_OPTION_YES}},
		signed{dave, &daotypes.MsgVote{Voter: dave.Address.String(), ProposalId: 2, Option: daotypes.VOTE_OPTION_YES}}))
	c.advance(15 * time.Second)
	res = c.block(signed{erin, &daotypes.MsgExecuteProposal{Executor: erin.Address.String(), ProposalId: 2}})
	testutil.RequireTxsOK(t, res) // a failing message does not fail the tx
	p = c.proposal(2)
	require.Equal(t, daotypes.PROPOSAL_STATUS_FAILED, p.Status)
	require.Contains(t, p.Result, "message 1")
	got, err = f.App.InferenceKeeper.Params.Get(f.Ctx())
	require.NoError(t, err)
	require.EqualValues(t, 2048, got.MaxInputBytes, "the first message's change was not kept")
	c.advance(3 * time.Second) // and the chain goes on
}
