package rewards_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/rewards"
	"github.com/llmesh/mesh/x/rewards/keeper"
	"github.com/llmesh/mesh/x/rewards/types"
)

func TestModuleGenesisJSON(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	am := rewards.NewAppModule(enc.Codec, keeper.Keeper{})
	require.Equal(t, types.ModuleName, am.Name())
	require.Equal(t, uint64(2), am.ConsensusVersion(), "v2 added the 1→2 migration")

	def := am.DefaultGenesis(enc.Codec)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, def))
	require.Contains(t, string(def), `"compute_share_bps":6000,"treasury_share_bps":2000`)
	require.Contains(t, string(def), `"current_epoch":"1"`)
	require.Contains(t, string(def), `"epoch_identifier":"compute"`)

	bad := strings.Replace(string(def), `{"name":"poc","weight_bps":3000}`, `{"name":"poc","weight_bps":2000}`, 1)
	require.NotEqual(t, string(def), bad)
	err := am.ValidateGenesis(enc.Codec, nil, []byte(bad))
	require.ErrorIs(t, err, types.ErrInvalidParams)
	require.ErrorContains(t, err, "category weights sum to 9000, want 10000")

	bad = strings.Replace(string(def), `"current_epoch":"1"`, `"current_epoch":"0"`, 1)
	require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, []byte(bad)), types.ErrInvalidGenesis)

	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"params":`)))
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"current_epoch":"one"}`)))
}

// TestModuleGenesisRoundTrip sends a genesis with a closed epoch, open
// points and contributors through JSON and back.
func TestModuleGenesisRoundTrip(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	am := rewards.NewAppModule(enc.Codec, keeper.Keeper{})
	alice := sdk.AccAddress("alice_______________").String()
	bob := sdk.AccAddress("bob_________________").String()
	umesh := func(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin("umesh", n)) }

	gs := types.DefaultGenesis()
	gs.CurrentEpoch = 2
	gs.Epochs = []types.EpochSummary{
		{
			Epoch: 1, StartHeight: 1, EndHeight: 100, Pot: umesh(1000), Carried: umesh(400),
			Categories: []types.CategoryEpoch{{
				Category: types.CategoryPoC, Points: math.NewInt(3000), Participants: 2,
				Allocated: umesh(600), Rate: sdk.NewDecCoins(sdk.NewDecCoinFromDec("umesh", math.LegacyMustNewDecFromStr("0.2"))),
				Reserved: umesh(600), Claimed: umesh(200),
			}},
		},
		{
			Epoch: 2, StartHeight: 100, Pot: sdk.NewCoins(), Carried: sdk.NewCoins(),
			Categories: []types.CategoryEpoch{{
				Category: types.CategoryInference, Points: math.NewInt(1500), Participants: 1,
				Allocated: sdk.NewCoins(), Rate: sdk.NewDecCoins(), Reserved: sdk.NewCoins(), Claimed: sdk.NewCoins(),
			}},
		},
	}
	gs.Points = []types.PointsRecord{
		{Account: bob, Epoch: 1, Category: types.CategoryPoC, Points: 2000},
		{Account: alice, Epoch: 2, Category: types.CategoryInference, Points: 1500},
	}
	gs.Contributors = []types.Contributor{
		{Category: types.CategoryPoC, Account: alice, Index: 0},
		{Category: types.CategoryPoC, Account: bob, Index: 1},
		{Category: types.CategoryInference, Account: alice, Index: 0},
	}
	require.NoError(t, gs.Validate())

	bz := enc.Codec.MustMarshalJSON(gs)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, bz))
	var back types.GenesisState
	require.NoError(t, enc.Codec.UnmarshalJSON(bz, &back))
	require.Equal(t, string(bz), string(enc.Codec.MustMarshalJSON(&back)))
	require.Equal(t, uint64(2), back.CurrentEpoch)
	require.Equal(t, umesh(400), back.Epochs[0].Owed())
	require.Equal(t, "0.200000000000000000umesh", back.Epochs[0].Categories[0].Rate.String())
	require.Equal(t, gs.Points, back.Points)
	require.Equal(t, gs.Contributors, back.Contributors)

	// The open epoch's points must equal its records.
	gs.Points[1].Points = 1499
	require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, enc.Codec.MustMarshalJSON(gs)), types.ErrInvalidGenesis)
}

// TestAutoCLI builds the real autocli commands (with the hand-written
// pending) and checks their shapes.
func TestAutoCLI(t *testing.T) {
	_, opts := autocliOptions()
	root := &cobra.Command{Use: "meshd"}
	require.NoError(t, opts.EnhanceRootCommand(root))

	find := func(path ...string) *cobra.Command {
		cmd, rest, err := root.Find(path)
		require.NoError(t, err, path)
		require.Empty(t, rest)
		require.Equal(t, path[len(path)-1], cmd.Name(), path)
		return cmd
	}
	addr := sdk.AccAddress("provider____________").String()
	// Each command takes these args and rejects one more.
	argsOK := map[string][][]string{
		"tx rewards claim":      {{}, {addr}},
		"query rewards pending": {{}, {addr}},
		"query rewards epoch":   {{}, {"12"}},
		"query rewards epochs":  {{}},
		"query rewards pot":     {{}},
		"query rewards params":  {{}},
	}
	for path, cases := range argsOK {
		cmd := find(strings.Fields(path)...)
		require.NotEmpty(t, cmd.Short, path)
		require.True(t, strings.HasPrefix(cmd.Example, "meshd "), "%s: example %q", path, cmd.Example)
		for _, args := range cases {
			require.NoError(t, cmd.Args(cmd, args), path)
		}
		longest := cases[len(cases)-1]
		require.Error(t, cmd.Args(cmd, append(longest, "extra")), path)
	}
	require.NotNil(t, find("tx", "rewards", "claim").Flags().Lookup("from"), "claimant from --from")
	require.NotNil(t, find("query", "rewards", "pending").Flags().Lookup("from"), "pending falls back to --from")
	require.NotNil(t, find("query", "rewards", "epochs").Flags().Lookup("page-limit"), "pagination flags")

	names := func(cmd *cobra.Command) []string {
		var out []string
		for _, c := range cmd.Commands() {
			out = append(out, c.Name())
		}
		return out
	}
	require.ElementsMatch(t, []string{"claim"}, names(find("tx", "rewards")), "UpdateParams is authority-only")
	require.ElementsMatch(t, []string{"params", "pending", "epoch", "epochs", "pot"}, names(find("query", "rewards")))
}

// TestAutoCLIClaimMessage generates (without signing or a node) the claim
// transactions: the claimant is --from and [account] is optional.
func TestAutoCLIClaimMessage(t *testing.T) {
	enc, opts := autocliOptions()
	claimant := sdk.AccAddress("alice_______________").String()
	provider := sdk.AccAddress("provider____________").String()

	run := func(args ...string) string {
		root := &cobra.Command{Use: "meshd"}
		require.NoError(t, opts.EnhanceRootCommand(root))
		out := &bytes.Buffer{}
		clientCtx := client.Context{}.WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
			WithTxConfig(enc.TxConfig).WithKeyring(keyring.NewInMemory(enc.Codec)).WithOutput(out).WithChainID("mesh-test")
		root.SetArgs(append([]string{"tx", "rewards", "claim"}, append(args, "--from", claimant, "--generate-only")...))
		root.SetOut(out)
		require.NoError(t, root.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx)))
		return out.String()
	}

	self := run()
	require.Contains(t, self, `"@type":"/mesh.rewards.v1.MsgClaimRewards","claimant":"`+claimant+`","account":""`, self)
	push := run(provider)
	require.Contains(t, push, `"@type":"/mesh.rewards.v1.MsgClaimRewards","claimant":"`+claimant+`","account":"`+provider+`"`, push)
}

// autocliOptions are the module's autocli options as meshd builds them.
func autocliOptions() (moduletestutil.TestEncodingConfig, autocli.AppOptions) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	am := rewards.NewAppModule(enc.Codec, keeper.Keeper{})
	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	return enc, autocli.AppOptions{
		Modules:               map[string]appmodule.AppModule{types.ModuleName: am},
		ModuleOptions:         map[string]*autocliv1.ModuleOptions{types.ModuleName: am.AutoCLIOptions()},
		AddressCodec:          addresscodec.NewBech32Codec(prefix),
		ValidatorAddressCodec: addresscodec.NewBech32Codec(prefix + "valoper"),
		ConsensusAddressCodec: addresscodec.NewBech32Codec(prefix + "valcons"),
	}
}
