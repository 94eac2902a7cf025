// Package cmd builds meshd's root command: node operator commands, keys,
// genesis, and autocli-generated tx/query commands for every module.
package cmd

import (
	"os"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/auth/tx"
	txmodule "github.com/cosmos/cosmos-sdk/x/auth/tx/config"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/app"
)

// EnvHome names the environment variable that sets --home.
const EnvHome = "MESHD_HOME"

// NewRootCmd returns meshd's root command.
func NewRootCmd() *cobra.Command {
	app.SetAddressConfig()

	// A throw-away app instance gives the codecs, the basic manager and the
	// autocli options. Its wasm directory is a temp dir removed right away.
	tmp, err := os.MkdirTemp("", "meshd")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	tempApp := app.NewMeshApp(log.NewNopLogger(), dbm.NewMemDB(), false, simtestutil.NewAppOptionsWithFlagHome(tmp), nil)
	enc := tempApp.EncodingConfig()

	initClientCtx := client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithLegacyAmino(enc.Amino).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper("MESHD")

	rootCmd := &cobra.Command{
		Use:           "meshd",
		Short:         "meshd: node and CLI of the meshd decentralized AI compute network",
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			// Flags were parsed: from here on an error is not a usage error.
			cmd.SilenceUsage = true

			// MESHD_HOME stands for --home when the flag is not given, for
			// client and server config alike.
			if env := os.Getenv(EnvHome); env != "" && !cmd.Flags().Changed(flags.FlagHome) {
				if err := cmd.Flags().Set(flags.FlagHome, env); err != nil {
					return err
				}
			}

			ctx := initClientCtx.WithCmdContext(cmd.Context())
			// --home is read first, so that client.toml is taken from the
			// home the user named, not from ~/.meshd (the wasmd pitfall).
			ctx, err := client.ReadPersistentCommandFlags(ctx, cmd.Flags())
			if err != nil {
				return err
			}
			ctx, err = config.ReadFromClientConfig(ctx)
			if err != nil {
				return err
			}
			// Explicit flags win over client.toml.
			ctx, err = client.ReadPersistentCommandFlags(ctx, cmd.Flags())
			if err != nil {
				return err
			}
			// The SDK only reopens the keyring when --keyring-backend changes;
			// --keyring-dir alone must reopen it too (e.g. signing with a
			// worker's key kept in the worker's home).
			if cmd.Flags().Changed(flags.FlagKeyringDir) && !cmd.Flags().Changed(flags.FlagKeyringBackend) && ctx.Keyring != nil {
				kr, err := client.NewKeyringFromBackend(ctx, ctx.Keyring.Backend())
				if err != nil {
					return err
				}
				ctx = ctx.WithKeyring(kr)
			}

			// SIGN_MODE_TEXTUAL needs a node to resolve denom metadata.
			if !ctx.Offline {
				txConfig, err := tx.NewTxConfigWithOptions(ctx.Codec, tx.ConfigOptions{
					EnabledSignModes:           append(tx.DefaultSignModes, signing.SignMode_SIGN_MODE_TEXTUAL),
					TextualCoinMetadataQueryFn: txmodule.NewGRPCCoinMetadataQueryFn(ctx),
				})
				if err != nil {
					return err
				}
				ctx = ctx.WithTxConfig(txConfig)
			}
			if err := client.SetCmdClientContextHandler(ctx, cmd); err != nil {
				return err
			}

			appTemplate, appConfig := initAppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, initCometBFTConfig())
		},
	}

	initRootCmd(rootCmd, enc, tempApp.BasicModuleManager)

	autoCliOpts := tempApp.AutoCliOpts()
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}
