package compute_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/compute"
	"github.com/llmesh/mesh/x/compute/client/cli"
	"github.com/llmesh/mesh/x/compute/types"
)

func testClientCtx() (client.Context, moduletestutil.TestEncodingConfig) {
	enc := moduletestutil.MakeTestEncodingConfig(compute.AppModule{})
	return client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithLegacyAmino(enc.Amino).
		WithChainID("mesh-test-1"), enc
}

// The autocli config must build (a wrong field name panics meshd at start)
// and give the documented commands, with the hand-written ones merged in.
func TestAutoCLICommands(t *testing.T) {
	clientCtx, _ := testClientCtx()
	opts := autocli.AppOptions{
		Modules:               map[string]appmodule.AppModule{types.ModuleName: compute.AppModule{}},
		AddressCodec:          addresscodec.NewBech32Codec("cosmos"),
		ValidatorAddressCodec: addresscodec.NewBech32Codec("cosmosvaloper"),
		ConsensusAddressCodec: addresscodec.NewBech32Codec("cosmosvalcons"),
		ClientCtx:             clientCtx,
	}
	root := &cobra.Command{Use: "meshd"}
	require.NoError(t, opts.EnhanceRootCommand(root))

	names := func(path ...string) []string {
		cmd, _, err := root.Find(path)
		require.NoError(t, err)
		var out []string
		for _, c := range cmd.Commands() {
			out = append(out, c.Name())
		}
		return out
	}
	require.ElementsMatch(t, []string{
		"authorize-worker", "register-worker", "update-worker", "deregister-worker", "unjail-worker",
		"commit-poc", "update-params-proposal",
	}, names("tx", "compute"))
	require.ElementsMatch(t, []string{"params", "worker", "workers", "challenge", "epoch", "beacon", "beacon-validators"}, names("query", "compute"))

	workers, _, err := root.Find([]string{"query", "compute", "workers"})
	require.NoError(t, err)
	require.NotNil(t, workers.Flags().Lookup("provider"))
	require.NotNil(t, workers.Flags().Lookup("status"))
	challenge, _, err := root.Find([]string{"query", "compute", "challenge"})
	require.NoError(t, err)
	require.NotNil(t, challenge.Flags().Lookup("epoch"))
}

// register-worker maps real flags onto the nested HardwareSpec.
func TestRegisterWorkerCmdGeneratesMsg(t *testing.T) {
	clientCtx, enc := testClientCtx()
	worker := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String()
	provider := sdk.AccAddress(bytes.Repeat([]byte{2}, 20)).String()
	out, err := clitestutil.ExecTestCLICmd(clientCtx, cli.NewRegisterWorkerCmd(), []string{
		"--provider", provider, "--gpu", "H100", "--vram-gb", "80", "--tops", "1979", "--units", "10",
		"--models", "m1,m2", "--endpoint", "https://w.example",
		"--from", worker, "--generate-only",
	})
	require.NoError(t, err)

	tx, err := enc.TxConfig.TxJSONDecoder()(out.Bytes())
	require.NoError(t, err, out.String())
	msgs := tx.GetMsgs()
	require.Len(t, msgs, 1)
	msg, ok := msgs[0].(*types.MsgRegisterWorker)
	require.True(t, ok)
	require.Equal(t, &types.MsgRegisterWorker{
		Worker: worker, Provider: provider,
		Spec:   types.HardwareSpec{GpuModel: "H100", VramGb: 80, Int8Tops: 1979, ComputeUnits: 10},
		Models: []string{"m1", "m2"}, Endpoint: "https://w.example",
	}, msg)
	var js map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &js))
	require.True(t, strings.Contains(out.String(), "/mesh.compute.v1.MsgRegisterWorker"))
}
