package dao_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/x/dao"
	"github.com/llmesh/mesh/x/dao/keeper"
	"github.com/llmesh/mesh/x/dao/types"
)

func TestModuleGenesisJSON(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	am := dao.NewAppModule(enc.Codec, keeper.Keeper{})
	require.Equal(t, types.ModuleName, am.Name())
	require.Equal(t, uint64(1), am.ConsensusVersion())

	def := am.DefaultGenesis(enc.Codec)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, def))
	require.Contains(t, string(def), `"lock_denom":"umesh","min_lock":"1000000"`)
	require.Contains(t, string(def), `"min_lock_duration":"604800s","max_lock_duration":"126144000s","max_multiplier_bps":40000`)
	require.Contains(t, string(def), `"quorum_bps":2000,"threshold_bps":5000,"veto_threshold_bps":3340`)
	require.Contains(t, string(def), `"analysis_model":""`)
	require.Contains(t, string(def), `"next_proposal_id":"1"`)

	for _, tc := range []struct{ from, to string }{
		{`"max_messages":16`, `"max_messages":0`},
		{`"veto_threshold_bps":3340`, `"veto_threshold_bps":0`},
		{`"quorum_bps":2000`, `"quorum_bps":10001`},
		{`"max_lock_duration":"126144000s"`, `"max_lock_duration":"604800s"`},
		{`"max_multiplier_bps":40000`, `"max_multiplier_bps":9999`},
		{`"min_lock":"1000000"`, `"min_lock":"0"`},
	} {
		bad := strings.Replace(string(def), tc.from, tc.to, 1)
		require.NotEqual(t, string(def), bad, tc.from)
		require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, []byte(bad)), types.ErrInvalidParams, tc.to)
	}
	bad := strings.Replace(string(def), `"next_proposal_id":"1"`, `"next_proposal_id":"0"`, 1)
	require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, []byte(bad)), types.ErrInvalidGenesis)

	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"params":`)))
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"next_proposal_id":"one"}`)))
}

// TestModuleGenesisRoundTrip sends a genesis with every kind of record
// (a proposal holding a bank MsgSend among them) through JSON and back.
func TestModuleGenesisRoundTrip(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	am := dao.NewAppModule(enc.Codec, keeper.Keeper{})
	alice := sdk.AccAddress("alice_______________").String()
	bob := sdk.AccAddress("bob_________________").String()
	treasury := authtypes.NewModuleAddress(types.ModuleName).String()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	week := 7 * 24 * time.Hour

	send, err := codectypes.NewAnyWithValue(&banktypes.MsgSend{
		FromAddress: treasury, ToAddress: bob, Amount: sdk.NewCoins(sdk.NewInt64Coin("umesh", 5)),
	})
	require.NoError(t, err)
	tally := types.NewTally()
	tally.Add(types.VOTE_OPTION_YES, math.NewInt(2000))
	gs := types.DefaultGenesis()
	gs.NextProposalId = 2
	gs.Locks = []types.Lock{
		{Owner: alice, Amount: math.NewInt(4_000_000), Duration: 4 * week, End: t0.Add(4 * week), CreatedHeight: 3},
		{Owner: bob, Amount: math.NewInt(1_000_000), Duration: week, End: t0.Add(week), CreatedHeight: 4},
	}
	gs.Delegations = []types.Delegation{{Delegator: bob, Delegate: alice}}
	gs.Proposals = []types.Proposal{{
		Id: 1, Proposer: alice, Title: "Pay bob", Summary: "For the docs.", Messages: []*codectypes.Any{send},
		Deposit: sdk.NewCoins(sdk.NewInt64Coin("umesh", 100_000_000)), Status: types.PROPOSAL_STATUS_VOTING,
		SubmitHeight: 10, SubmitTime: t0, VotingEnd: t0.Add(week), Eta: t0.Add(2 * week), Expiry: t0.Add(3 * week),
		TotalPower: math.NewInt(3000), Tally: tally,
		Analysis:  types.Analysis{Status: types.ANALYSIS_STATUS_PENDING, JobId: 7, Model: "llama"},
		QuorumBps: 2000, ThresholdBps: 5000, VetoThresholdBps: 3340,
	}}
	gs.Votes = []types.Vote{{ProposalId: 1, Voter: alice, Option: types.VOTE_OPTION_YES, OwnPower: math.NewInt(2000), DelegatedPower: math.ZeroInt()}}
	gs.OwnPower = []types.Checkpoint{{Account: alice, Height: 3, Power: math.NewInt(2000)}, {Account: bob, Height: 4, Power: math.NewInt(1000)}}
	gs.DelegatedPower = []types.Checkpoint{{Account: alice, Height: 5, Power: math.NewInt(1000)}}
	gs.TotalPower = []types.Checkpoint{{Height: 3, Power: math.NewInt(2000)}, {Height: 4, Power: math.NewInt(3000)}}
	gs.DelegationHistory = []types.Checkpoint{{Account: bob, Height: 5, Power: math.ZeroInt(), Delegate: alice}}
	gs.Overrides = []types.Override{{ProposalId: 1, Delegate: alice, Power: math.NewInt(1000)}}
	gs.AnalysisJobs = []types.AnalysisJob{{JobId: 7, ProposalId: 1}}
	require.NoError(t, gs.Validate())

	bz := enc.Codec.MustMarshalJSON(gs)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, bz))
	require.Contains(t, string(bz), `"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":"`+treasury+`"`)
	var back types.GenesisState
	require.NoError(t, enc.Codec.UnmarshalJSON(bz, &back))
	require.Equal(t, string(bz), string(enc.Codec.MustMarshalJSON(&back)))
	require.Equal(t, gs.Locks, back.Locks)
	require.Equal(t, gs.Votes, back.Votes)
	require.Equal(t, gs.OwnPower, back.OwnPower)
	require.Equal(t, gs.DelegationHistory, back.DelegationHistory)
	require.Equal(t, t0.Add(3*week), back.Proposals[0].Expiry)
	require.Equal(t, "2000", back.Proposals[0].Tally.Yes.String())

	// A proposal message of a type the app does not know fails at decoding.
	unknown := strings.Replace(string(bz), "/cosmos.bank.v1beta1.MsgSend", "/cosmos.bank.v1beta1.MsgSpend", 1)
	require.NotEqual(t, string(bz), unknown)
	require.ErrorContains(t, am.ValidateGenesis(enc.Codec, nil, []byte(unknown)), "MsgSpend")

	// A vote on an unknown proposal is refused.
	gs.Votes[0].ProposalId = 2
	require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, enc.Codec.MustMarshalJSON(gs)), types.ErrInvalidGenesis)
}

// TestAutoCLI builds the real autocli commands (with the hand-written
// submit-proposal) and checks their shapes.
func TestAutoCLI(t *testing.T) {
	_, opts := autocliOptions()
	root := &cobra.Command{Use: "meshd"}
	require.NoError(t, opts.EnhanceRootCommand(root))

	addr := sdk.AccAddress("alice_______________").String()
	// Each command takes these args and rejects one more.
	argsOK := map[string][][]string{
		"tx dao lock":            {{"100000000umesh", "720h"}},
		"tx dao extend-lock":     {{"8760h"}},
		"tx dao unlock":          {{}},
		"tx dao delegate":        {{addr}},
		"tx dao undelegate":      {{}},
		"tx dao submit-proposal": {{"proposal.json"}},
		"tx dao vote":            {{"1", "yes"}},
		"tx dao execute":         {{"1"}},
		"query dao params":       {{}},
		"query dao proposal":     {{"1"}},
		"query dao proposals":    {{}},
		"query dao vote":         {{"1", addr}},
		"query dao votes":        {{"1"}},
		"query dao lock":         {{addr}},
		"query dao locks":        {{}},
		"query dao delegation":   {{addr}},
		"query dao power":        {{addr}, {addr, "1"}},
		"query dao treasury":     {{}},
	}
	for path, cases := range argsOK {
		cmd := find(t, root, strings.Fields(path)...)
		require.NotEmpty(t, cmd.Short, path)
		require.True(t, strings.HasPrefix(cmd.Example, "meshd "), "%s: example %q", path, cmd.Example)
		for _, args := range cases {
			require.NoError(t, cmd.Args(cmd, args), path)
		}
		longest := cases[len(cases)-1]
		require.Error(t, cmd.Args(cmd, append(longest, "extra")), path)
		require.Error(t, cmd.Args(cmd, append(cases[0], "extra", "extra")), path)
	}
	require.NotNil(t, find(t, root, "query", "dao", "proposals").Flags().Lookup("status"), "proposals --status")
	require.NotNil(t, find(t, root, "query", "dao", "locks").Flags().Lookup("page-limit"), "pagination flags")
	require.NotNil(t, find(t, root, "tx", "dao", "vote").Flags().Lookup("from"), "voter from --from")

	require.ElementsMatch(t, []string{"lock", "extend-lock", "unlock", "delegate", "undelegate", "submit-proposal", "vote", "execute"},
		names(find(t, root, "tx", "dao")), "UpdateParams is DAO-only")
	require.ElementsMatch(t, []string{"params", "proposal", "proposals", "vote", "votes", "lock", "locks", "delegation", "power", "treasury"},
		names(find(t, root, "query", "dao")))
}

// TestAutoCLIMessages generates (without signing or a node) the autocli
// transactions: durations as Go durations, vote options as words, the
// signer from --from.
func TestAutoCLIMessages(t *testing.T) {
	enc, opts := autocliOptions()
	alice := sdk.AccAddress("alice_______________").String()
	bob := sdk.AccAddress("bob_________________").String()

	run := func(args ...string) (string, error) {
		root := &cobra.Command{Use: "meshd"}
		require.NoError(t, opts.EnhanceRootCommand(root))
		out := &bytes.Buffer{}
		clientCtx := client.Context{}.WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
			WithTxConfig(enc.TxConfig).WithKeyring(keyring.NewInMemory(enc.Codec)).WithOutput(out).WithChainID("mesh-test")
		root.SetArgs(append(append([]string{"tx", "dao"}, args...), "--from", alice, "--generate-only"))
		root.SetOut(out)
		root.SetErr(&bytes.Buffer{})
		err := root.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx))
		return out.String(), err
	}
	msgOf := func(args ...string) sdk.Msg {
		out, err := run(args...)
		require.NoError(t, err, args)
		tx, err := enc.TxConfig.TxJSONDecoder()([]byte(out))
		require.NoError(t, err, out)
		require.Len(t, tx.GetMsgs(), 1, out)
		return tx.GetMsgs()[0]
	}

	require.Equal(t, &types.MsgLock{Owner: alice, Amount: sdk.NewInt64Coin("umesh", 100_000_000), Duration: 720 * time.Hour},
		msgOf("lock", "100000000umesh", "720h"))
	require.Equal(t, &types.MsgLock{Owner: alice, Amount: sdk.NewInt64Coin("umesh", 1_000_000), Duration: 168 * time.Hour},
		msgOf("lock", "1000000umesh", "168h"))
	require.Equal(t, &types.MsgExtendLock{Owner: alice, Duration: 8760 * time.Hour}, msgOf("extend-lock", "8760h"))
	require.Equal(t, &types.MsgUnlock{Owner: alice}, msgOf("unlock"))
	require.Equal(t, &types.MsgDelegateVotes{Delegator: alice, Delegate: bob}, msgOf("delegate", bob))
	require.Equal(t, &types.MsgUndelegateVotes{Delegator: alice}, msgOf("undelegate"))
	for word, option := range map[string]types.VoteOption{
		"yes": types.VOTE_OPTION_YES, "no": types.VOTE_OPTION_NO, "abstain": types.VOTE_OPTION_ABSTAIN, "veto": types.VOTE_OPTION_VETO,
	} {
		require.Equal(t, &types.MsgVote{Voter: alice, ProposalId: 3, Option: option}, msgOf("vote", "3", word), word)
	}
	require.Equal(t, &types.MsgExecuteProposal{Executor: alice, ProposalId: 3}, msgOf("execute", "3"))

	for _, bad := range [][]string{
		{"lock", "100000000umesh", "7d"}, // not a Go duration
		{"lock", "lots", "720h"},
		{"vote", "3", "maybe"},
		{"vote", "three", "yes"},
	} {
		_, err := run(bad...)
		require.Error(t, err, bad)
	}
}

func find(t *testing.T, root *cobra.Command, path ...string) *cobra.Command {
	t.Helper()
	cmd, rest, err := root.Find(path)
	require.NoError(t, err, path)
	require.Empty(t, rest)
	require.Equal(t, path[len(path)-1], cmd.Name(), path)
	return cmd
}

func names(cmd *cobra.Command) []string {
	var out []string
	for _, c := range cmd.Commands() {
		out = append(out, c.Name())
	}
	return out
}

// autocliOptions are the module's autocli options as meshd builds them.
func autocliOptions() (moduletestutil.TestEncodingConfig, autocli.AppOptions) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	am := dao.NewAppModule(enc.Codec, keeper.Keeper{})
	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	return enc, autocli.AppOptions{
		Modules:               map[string]appmodule.AppModule{types.ModuleName: am},
		ModuleOptions:         map[string]*autocliv1.ModuleOptions{types.ModuleName: am.AutoCLIOptions()},
		AddressCodec:          addresscodec.NewBech32Codec(prefix),
		ValidatorAddressCodec: addresscodec.NewBech32Codec(prefix + "valoper"),
		ConsensusAddressCodec: addresscodec.NewBech32Codec(prefix + "valcons"),
	}
}
