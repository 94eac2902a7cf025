package cmd

import (
	"errors"
	"path/filepath"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"cosmossdk.io/log/v2"
	confixcmd "cosmossdk.io/tools/confix/cmd"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	"github.com/CosmWasm/wasmd/x/wasm"
	wasmcli "github.com/CosmWasm/wasmd/x/wasm/client/cli"
	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"
	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/app"
	meshabci "github.com/llmesh/mesh/app/abci"
)

// initCometBFTConfig returns CometBFT's defaults with 1-second blocks, the
// block time meshd targets (compute epochs are measured in blocks).
func initCometBFTConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.Consensus.TimeoutCommit = time.Second
	return cfg
}

// meshAppConfig is app.toml: the SDK server config plus the wasm and mesh
// (vote extensions) sections.
type meshAppConfig struct {
	serverconfig.Config `mapstructure:",squash"`

	Wasm wasmtypes.NodeConfig `mapstructure:"wasm"`
	Mesh meshabci.Config      `mapstructure:"mesh"`
}

// initAppConfig returns the app.toml template and defaults. A new node
// accepts fees from DefaultMinGasPrices up, so it does not halt on an empty
// minimum-gas-prices and is not an open mempool either.
func initAppConfig() (string, any) {
	srvCfg := serverconfig.DefaultConfig()
	srvCfg.MinGasPrices = app.DefaultMinGasPrices
	return serverconfig.DefaultConfigTemplate + wasmtypes.DefaultConfigTemplate() + meshabci.ConfigTemplate,
		meshAppConfig{Config: *srvCfg, Wasm: wasmtypes.DefaultNodeConfig(), Mesh: meshabci.DefaultConfig()}
}

// initCmd is the SDK's `init` that keeps meshd's block time: the SDK replaces
// a timeout_commit equal to CometBFT's default (1s) with 5s when it first
// writes config.toml, so the value is written again after init.
func initCmd(basics module.BasicManager) *cobra.Command {
	cmd := genutilcli.InitCmd(basics, app.DefaultNodeHome)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := run(cmd, args); err != nil {
			return err
		}
		cfg := server.GetServerContextFromCmd(cmd).Config
		cfg.Consensus.TimeoutCommit = initCometBFTConfig().Consensus.TimeoutCommit
		cmtcfg.WriteConfigFile(filepath.Join(cfg.RootDir, "config", "config.toml"), cfg)
		return nil
	}
	return cmd
}

func initRootCmd(rootCmd *cobra.Command, enc app.EncodingConfig, basics module.BasicManager) {
	rootCmd.AddCommand(
		initCmd(basics),
		NewTestnetCmd(basics),
		debug.Cmd(),
		confixcmd.ConfigCommand(),
		pruning.Cmd(newApp, app.DefaultNodeHome),
		snapshot.Cmd(newApp),
	)

	// start, export, rollback, comet, version …
	server.AddCommands(rootCmd, app.DefaultNodeHome, newApp, appExport, wasm.AddModuleInitFlags)
	// unsafe-reset-all also wipes the wasm cache.
	wasmcli.ExtendUnsafeResetAllCmd(rootCmd)

	rootCmd.AddCommand(
		server.StatusCommand(),
		genutilcli.Commands(enc.TxConfig, basics, app.DefaultNodeHome),
		queryCommand(),
		txCommand(),
		keys.Commands(),
	)
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Querying subcommands",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		server.QueryBlockCmd(),
		authcmd.QueryTxsByEventsCmd(),
		server.QueryBlocksCmd(),
		authcmd.QueryTxCmd(),
		server.QueryBlockResultsCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Transactions subcommands",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

// newApp builds the app for `meshd start` and friends.
func newApp(logger log.Logger, db dbm.DB, appOpts servertypes.AppOptions) servertypes.Application {
	var wasmOpts []wasmkeeper.Option
	if cast.ToBool(appOpts.Get("telemetry.enabled")) {
		wasmOpts = append(wasmOpts, wasmkeeper.WithVMCacheMetrics(prometheus.DefaultRegisterer))
	}
	return app.NewMeshApp(logger, db, true, appOpts, wasmOpts, server.DefaultBaseappOptions(appOpts)...)
}

// appExport builds the app at a height and exports its state (`meshd export`).
func appExport(
	logger log.Logger,
	db dbm.DB,
	height int64,
	forZeroHeight bool,
	jailAllowedAddrs []string,
	appOpts servertypes.AppOptions,
	modulesToExport []string,
) (servertypes.ExportedApp, error) {
	homePath, ok := appOpts.Get(flags.FlagHome).(string)
	if !ok || homePath == "" {
		return servertypes.ExportedApp{}, errors.New("application home is not set")
	}
	v, ok := appOpts.(*viper.Viper)
	if !ok {
		return servertypes.ExportedApp{}, errors.New("app options are not a viper instance")
	}
	v.Set(server.FlagInvCheckPeriod, 1)

	meshApp := app.NewMeshApp(logger, db, height == -1, v, nil)
	if height != -1 {
		if err := meshApp.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, err
		}
	}
	return meshApp.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}
