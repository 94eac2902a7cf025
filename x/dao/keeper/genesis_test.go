package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// richState builds a state with every collection in use: locks, a
// delegation and its history, votes with an override, proposals VOTING,
// PASSED, REJECTED and VETOED, and a pending analysis.
func richState(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, withParams(withAnalysis))
	f.fundTreasury(1_000_000)
	alice, bob, carol := f.voters()
	require.NoError(t, f.k.DelegateVotes(f.ctx, carol, alice))
	f.next(time.Minute)
	proposer, grants := f.account("proposer"), f.account("grants")

	passed := f.submit(proposer, f.send(grants, 10))
	f.vote(alice, passed, types.VOTE_OPTION_YES)
	rejected := f.submit(proposer, f.send(grants, 20))
	f.vote(bob, rejected, types.VOTE_OPTION_NO)
	vetoed := f.submit(proposer, f.send(grants, 30))
	f.vote(alice, vetoed, types.VOTE_OPTION_VETO)
	f.at(f.proposal(passed).VotingEnd)
	f.endBlock()
	require.Equal(t, types.PROPOSAL_STATUS_PASSED, f.status(passed))
	require.Equal(t, types.PROPOSAL_STATUS_REJECTED, f.status(rejected))
	require.Equal(t, types.PROPOSAL_STATUS_VETOED, f.status(vetoed))

	voting := f.submit(proposer, f.send(grants, 40))
	f.vote(alice, voting, types.VOTE_OPTION_YES)
	f.vote(carol, voting, types.VOTE_OPTION_NO) // takes its power back from alice
	_, err := f.k.Overrides.Get(f.ctx, collections.Join(voting, alice))
	require.NoError(t, err)
	f.next(time.Minute)
	return f
}

func TestGenesisRoundTrip(t *testing.T) {
	f := richState(t)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Len(t, exported.Locks, 3)
	require.Len(t, exported.Delegations, 1)
	require.Len(t, exported.Proposals, 4)
	require.NotEmpty(t, exported.Votes)
	require.NotEmpty(t, exported.OwnPower)
	require.NotEmpty(t, exported.DelegatedPower)
	require.NotEmpty(t, exported.TotalPower)
	require.NotEmpty(t, exported.DelegationHistory)
	require.Len(t, exported.Overrides, 1)
	require.Len(t, exported.AnalysisJobs, 4, "every analysis still pending")
	require.Equal(t, uint64(5), exported.NextProposalId)
	bz, err := f.cdc.MarshalJSON(exported)
	require.NoError(t, err)

	// A fresh chain imports the JSON: its x/dao store is byte for byte the
	// same (queues and the delegate index rebuilt) and exports the same JSON.
	g := newFixture(t, options{noGenesis: true})
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight()).WithBlockTime(f.ctx.BlockTime())
	escrow := sdk.NewCoins(sdk.NewInt64Coin(denom, f.escrowBalance()))
	require.NoError(t, g.bk.MintCoins(g.ctx, minttypes.ModuleName, escrow))
	require.NoError(t, g.bk.SendCoinsFromModuleToModule(g.ctx, minttypes.ModuleName, types.EscrowAccount, escrow))
	var imported types.GenesisState
	require.NoError(t, g.cdc.UnmarshalJSON(bz, &imported))
	require.NoError(t, g.k.InitGenesis(g.ctx, &imported))
	require.Equal(t, f.storeHash(types.StoreKey), g.storeHash(types.StoreKey))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	bz2, err := g.cdc.MarshalJSON(again)
	require.NoError(t, err)
	require.JSONEq(t, string(bz), string(bz2))

	// The imported chain goes on: the passed proposal executes.
	p := g.proposal(exported.Proposals[0].Id)
	require.Equal(t, types.PROPOSAL_STATUS_PASSED, p.Status)
	g.fundTreasury(100)
	g.at(p.Eta)
	res, err := g.execute(g.account("executor"), p.Id)
	require.NoError(t, err)
	require.Equal(t, types.PROPOSAL_STATUS_EXECUTED, res.Status, res.Result)
}

func TestGenesisEscrowShort(t *testing.T) {
	f := richState(t)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)

	g := newFixture(t, options{noGenesis: true})
	short := sdk.NewCoins(sdk.NewInt64Coin(denom, f.escrowBalance()-1))
	require.NoError(t, g.bk.MintCoins(g.ctx, minttypes.ModuleName, short))
	require.NoError(t, g.bk.SendCoinsFromModuleToModule(g.ctx, minttypes.ModuleName, types.EscrowAccount, short))
	require.ErrorIs(t, g.k.InitGenesis(g.ctx, exported), types.ErrInvalidGenesis)
}

func TestGenesisInvalid(t *testing.T) {
	f := newFixture(t, options{noGenesis: true})
	gs := types.DefaultGenesis()
	gs.NextProposalId = 0
	require.ErrorIs(t, f.k.InitGenesis(f.ctx, gs), types.ErrInvalidGenesis)

	gs = types.DefaultGenesis()
	gs.Delegations = []types.Delegation{{Delegator: "not-an-address", Delegate: f.authority}}
	require.ErrorIs(t, f.k.InitGenesis(f.ctx, gs), types.ErrInvalidGenesis)
}

func TestDefaultGenesisFirstID(t *testing.T) {
	f := newFixture(t)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis().NextProposalId, exported.NextProposalId)
	require.Equal(t, uint64(1), f.submit(f.account("proposer"), f.send(f.account("grants"), 1)))
}
