package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/version"
)

const (
	flagHome           = "home"
	flagKeyringBackend = "keyring-backend"
	flagOutput         = "output"
	flagLogLevel       = "log-level"
	flagLogFormat      = "log-format"
)

// errSilent is returned by commands that already reported their failure.
var errSilent = errors.New("silent")

// DefaultHome is ~/.meshd-worker.
func DefaultHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".meshd-worker"
	}
	return filepath.Join(home, ".meshd-worker")
}

// NewRootCmd builds the command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "meshd-worker",
		Short:         "Off-chain worker of a meshd network: proof-of-compute and inference over gRPC",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String(flagHome, DefaultHome(), "worker home: keyring and state")
	root.PersistentFlags().String(flagLogLevel, "info", "log level: debug, info, warn or error")
	root.PersistentFlags().String(flagLogFormat, "text", "log format: text or json")
	root.AddCommand(
		initCmd(),
		startCmd(),
		benchCmd(),
		keysCmd(),
		addressCmd(),
		versionCmd(),
		execCPUCmd(),
		execTrainCmd(),
		serveCmd(),
	)
	return root
}

func homeDir(cmd *cobra.Command) (string, error) {
	home, err := cmd.Flags().GetString(flagHome)
	if err != nil {
		return "", err
	}
	return filepath.Abs(home)
}

// newLogger builds the slog logger the flags ask for, writing to stderr.
func newLogger(cmd *cobra.Command) (*slog.Logger, error) {
	levelStr, _ := cmd.Flags().GetString(flagLogLevel)
	format, _ := cmd.Flags().GetString(flagLogFormat)
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelStr)); err != nil {
		return nil, fmt.Errorf("--%s: %w", flagLogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var w io.Writer = cmd.ErrOrStderr()
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--%s %q: want text or json", flagLogFormat, format)
}

func addOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringP(flagOutput, "o", "text", "output format: text or json")
}

// printOut writes v as indented JSON with -o json, else text.
func printOut(cmd *cobra.Command, v any, text string) error {
	out, _ := cmd.Flags().GetString(flagOutput)
	switch out {
	case "json":
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "text", "":
		_, err := fmt.Fprintln(cmd.OutOrStdout(), text)
		return err
	}
	return fmt.Errorf("-o %q: want text or json", out)
}

func versionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.NewInfo()
			v := info.Version
			if v == "" {
				v = "dev"
			}
			return printOut(cmd, map[string]string{"version": v, "commit": info.GitCommit, "go": info.GoVersion,
				"cosmos_sdk": info.CosmosSdkVersion}, v)
		},
	}
	addOutputFlag(cmd)
	return cmd
}
