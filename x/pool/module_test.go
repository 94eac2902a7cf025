package pool_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/pool"
	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

func TestModuleGenesisJSON(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	am := pool.NewAppModule(enc.Codec, keeper.Keeper{})
	require.Equal(t, types.ModuleName, am.Name())
	require.Equal(t, uint64(2), am.ConsensusVersion(), "v2 added the 1→2 migration")

	def := am.DefaultGenesis(enc.Codec)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, def))
	require.Contains(t, string(def), `"bond_denom":"umesh"`)
	require.Contains(t, string(def), `"unbonding_period":"1814400s"`)
	require.Contains(t, string(def), `"slash_destination":"SLASH_DESTINATION_BURN"`)

	bad := strings.Replace(string(def), `"max_unbonding_entries":7`, `"max_unbonding_entries":0`, 1)
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(bad)))
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"params":`)))
}

// TestAutoCLI builds the real autocli commands and checks their shapes.
func TestAutoCLI(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	am := pool.NewAppModule(enc.Codec, keeper.Keeper{})
	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	opts := autocli.AppOptions{
		Modules:               map[string]appmodule.AppModule{types.ModuleName: am},
		ModuleOptions:         map[string]*autocliv1.ModuleOptions{types.ModuleName: am.AutoCLIOptions()},
		AddressCodec:          addresscodec.NewBech32Codec(prefix),
		ValidatorAddressCodec: addresscodec.NewBech32Codec(prefix + "valoper"),
		ConsensusAddressCodec: addresscodec.NewBech32Codec(prefix + "valcons"),
	}
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
	argsOK := map[string][]string{
		"tx pool create-pool":    {"100000000umesh"},
		"tx pool delegate":       {addr, "5umesh"},
		"tx pool undelegate":     {addr, "5umesh"},
		"tx pool unjail":         {},
		"tx pool claim":          {addr},
		"query pool pool":        {addr},
		"query pool pools":       {},
		"query pool delegation":  {addr, addr},
		"query pool delegations": {addr},
		"query pool unbondings":  {addr},
		"query pool params":      {},
		"query pool ejection":    {addr},
		"query pool ejections":   {},
	}
	for path, args := range argsOK {
		cmd := find(strings.Fields(path)...)
		require.NoError(t, cmd.Args(cmd, args), path)
		require.Error(t, cmd.Args(cmd, append(args, "extra")), path)
	}
	create := find("tx", "pool", "create-pool")
	require.NotNil(t, create.Flags().Lookup("commission"), "--commission flag")
	require.Equal(t, "0.05", create.Flags().Lookup("commission").DefValue)
	require.Nil(t, create.Flags().Lookup("commission-rate"))
	require.NotNil(t, create.Flags().Lookup("from"))
	for _, c := range find("tx", "pool").Commands() {
		require.NotEqual(t, "update-params", c.Name(), "UpdateParams is authority-only")
		require.NotEqual(t, "eject-provider", c.Name(), "EjectProvider is authority-only (a DAO proposal)")
	}
}
