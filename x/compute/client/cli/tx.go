// Package cli holds the x/compute tx commands that autocli cannot generate:
// register-worker and update-worker take the nested HardwareSpec as flags.
package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/llmesh/mesh/x/compute/types"
)

// Flags of register-worker and update-worker.
const (
	FlagProvider = "provider"
	FlagGPU      = "gpu"
	FlagVRAMGB   = "vram-gb"
	FlagTOPS     = "tops"
	FlagGOPS     = "gops"
	FlagUnits    = "units"
	FlagModels   = "models"
	FlagEndpoint = "endpoint"
)

// GetTxCmd returns the `compute` tx command; autocli adds the generated
// subcommands to it (EnhanceCustomCommand).
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the compute module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(NewRegisterWorkerCmd(), NewUpdateWorkerCmd())
	return cmd
}

// NewRegisterWorkerCmd returns `register-worker`, signed by the worker's own key.
func NewRegisterWorkerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register-worker --provider [provider] --gpu [model] --vram-gb [n] (--gops [n] | --tops [n]) --units [n] --models [m1,m2]",
		Short: "Register the signing account as a worker of a provider that authorised it",
		Long: `Register the signing account (--from, the worker's own key: its signature
proves key possession) as a worker of --provider, which must have run
authorize-worker for it and hold the self-stake for its new total of units.

--gops (or --tops × 1000) is the claimed dense int8 throughput: it sizes
the proof-of-compute challenge, which takes poc_target_fraction_bps of the
commit window at that speed. Claim what the hardware really sustains: a
challenge that cannot be finished before the window closes is a miss, and
misses jail the worker.`,
		Example: "meshd tx compute register-worker --provider mesh1prov… --gpu H100 --vram-gb 80 --gops 1979000 --units 10 --models m1,m2 --from worker",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			provider, _ := cmd.Flags().GetString(FlagProvider)
			if provider == "" {
				return fmt.Errorf("--%s is required", FlagProvider)
			}
			spec, models, endpoint, err := readClaims(cmd.Flags(), types.HardwareSpec{}, nil, "")
			if err != nil {
				return err
			}
			msg := &types.MsgRegisterWorker{
				Worker: clientCtx.GetFromAddress().String(), Provider: provider,
				Spec: spec, Models: models, Endpoint: endpoint,
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagProvider, "", "provider that authorised this worker (required)")
	addClaimFlags(cmd.Flags())
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// NewUpdateWorkerCmd returns `update-worker`: flags given replace the
// worker's current claims, the others are kept (read from the node).
func NewUpdateWorkerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "update-worker [--gpu model] [--vram-gb n] [--gops n | --tops n] [--units n] [--models m1,m2] [--endpoint url]",
		Short:   "Change the signing worker's spec, models or endpoint; unset flags keep their current value",
		Example: "meshd tx compute update-worker --units 20 --models m1,m2,m3 --from worker",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			worker := clientCtx.GetFromAddress().String()
			res, err := types.NewQueryClient(clientCtx).Worker(cmd.Context(), &types.QueryWorkerRequest{Address: worker})
			if err != nil {
				return fmt.Errorf("read current worker %s: %w", worker, err)
			}
			w := res.Worker
			spec, models, endpoint, err := readClaims(cmd.Flags(), w.Spec, w.Models, w.Endpoint)
			if err != nil {
				return err
			}
			msg := &types.MsgUpdateWorker{Worker: worker, Spec: spec, Models: models, Endpoint: endpoint}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addClaimFlags(cmd.Flags())
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func addClaimFlags(fs *pflag.FlagSet) {
	fs.String(FlagGPU, "", `GPU model, e.g. "H100" or "cpu"`)
	fs.Uint32(FlagVRAMGB, 0, "accelerator memory in GiB")
	fs.Uint64(FlagTOPS, 0, "claimed dense int8 throughput in TOPS (used as --gops × 1000 when --gops is not given)")
	fs.Uint64(FlagGOPS, 0, "claimed dense int8 throughput in GOPS (10^9 int8 operations/s, a multiply-accumulate is 2); "+
		"sizes the proof-of-compute challenge: a claim above the real throughput cannot commit in time and misses")
	fs.Uint32(FlagUnits, 0, "compute units claimed (each needs per-unit stake in the provider's pool)")
	fs.StringSlice(FlagModels, nil, "served model ids, comma-separated")
	fs.String(FlagEndpoint, "", "optional URL the worker serves on")
}

// readClaims overrides the given claims with the flags that were set.
func readClaims(fs *pflag.FlagSet, spec types.HardwareSpec, models []string, endpoint string) (types.HardwareSpec, []string, string, error) {
	var err error
	if fs.Changed(FlagGPU) {
		spec.GpuModel, err = fs.GetString(FlagGPU)
	}
	if err == nil && fs.Changed(FlagVRAMGB) {
		spec.VramGb, err = fs.GetUint32(FlagVRAMGB)
	}
	if err == nil && fs.Changed(FlagTOPS) {
		spec.Int8Tops, err = fs.GetUint64(FlagTOPS)
		// A new TOPS claim replaces a GOPS claim unless --gops is given too
		// (int8_gops takes precedence over int8_tops).
		spec.Int8Gops = 0
	}
	if err == nil && fs.Changed(FlagGOPS) {
		spec.Int8Gops, err = fs.GetUint64(FlagGOPS)
	}
	if err == nil && fs.Changed(FlagUnits) {
		spec.ComputeUnits, err = fs.GetUint32(FlagUnits)
	}
	if err == nil && fs.Changed(FlagModels) {
		models, err = fs.GetStringSlice(FlagModels)
	}
	if err == nil && fs.Changed(FlagEndpoint) {
		endpoint, err = fs.GetString(FlagEndpoint)
	}
	return spec, models, endpoint, err
}
