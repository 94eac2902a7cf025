package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/backends/exec"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/scheduler"
	"github.com/llmesh/mesh/worker/state"
)

const (
	flagGRPC          = "grpc"
	flagChainID       = "chain-id"
	flagFeeGranter    = "fee-granter"
	flagGasPrices     = "gas-prices"
	flagGasAdjustment = "gas-adjustment"
	flagBackend       = "backend"
	flagExecCmd       = "exec-cmd"
	flagExecTimeout   = "exec-timeout"
	flagThreads       = "threads"
	flagListen        = "listen"
	flagPoll          = "poll-interval"
)

func startCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the proof-of-compute loop until SIGINT or SIGTERM",
		Example: `  meshd-worker start --grpc 127.0.0.1:9090 --chain-id mesh-local-1 --fee-granter mesh1...
  meshd-worker start --backend exec --exec-cmd "python3 /opt/mesh/gemm_cuda.py" --exec-timeout 5m`,
		Args: cobra.NoArgs,
		RunE: runStart,
	}
	f := cmd.Flags()
	f.String(flagGRPC, "127.0.0.1:9090", "node gRPC address")
	f.String(flagChainID, "mesh-local-1", "chain id")
	f.String(flagFeeGranter, "", "account paying the worker's fees via x/feegrant (the provider)")
	f.String(flagGasPrices, chain.DefaultGasPrices, "gas price: fee = ⌈gas × price⌉")
	f.Float64(flagGasAdjustment, chain.DefaultGasAdjustment, "multiplier on simulated gas")
	f.String(flagBackend, "cpu", "PoC backend: cpu or exec")
	f.String(flagExecCmd, "", "exec backend: program and arguments (split on spaces, no shell)")
	f.Duration(flagExecTimeout, exec.DefaultTimeout, "exec backend: time limit of one run")
	f.Int(flagThreads, 0, "cpu backend: goroutines (0 = GOMAXPROCS)")
	f.String(flagListen, health.DefaultListen, "address of /healthz and /metrics (empty: off)")
	f.Duration(flagPoll, time.Second, "challenge poll interval (about one block)")
	addKeyringFlag(cmd)
	return cmd
}

func newBackend(cmd *cobra.Command) (backends.PoC, error) {
	name, _ := cmd.Flags().GetString(flagBackend)
	switch name {
	case "cpu":
		threads, _ := cmd.Flags().GetInt(flagThreads)
		return cpu.Backend{Threads: threads}, nil
	case "exec":
		line, _ := cmd.Flags().GetString(flagExecCmd)
		timeout, _ := cmd.Flags().GetDuration(flagExecTimeout)
		if line == "" {
			return nil, fmt.Errorf("--%s exec needs --%s", flagBackend, flagExecCmd)
		}
		return exec.New(line, timeout)
	}
	return nil, fmt.Errorf("--%s %q: want cpu or exec", flagBackend, name)
}

func runStart(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	log, err := newLogger(cmd)
	if err != nil {
		return err
	}
	kr, home, err := openKeyring(cmd)
	if err != nil {
		return err
	}
	backend, err := newBackend(cmd)
	if err != nil {
		return err
	}
	f := cmd.Flags()
	grpcAddr, _ := f.GetString(flagGRPC)
	chainID, _ := f.GetString(flagChainID)
	granter, _ := f.GetString(flagFeeGranter)
	gasPrices, _ := f.GetString(flagGasPrices)
	gasAdj, _ := f.GetFloat64(flagGasAdjustment)
	listen, _ := f.GetString(flagListen)
	poll, _ := f.GetDuration(flagPoll)

	client, err := chain.Dial(chain.Config{GRPCAddr: grpcAddr, ChainID: chainID, Keyring: kr, KeyName: chain.KeyName,
		FeeGranter: granter, GasPrices: gasPrices, GasAdjustment: gasAdj, Logger: log})
	if err != nil {
		return err
	}
	defer client.Close()
	store, err := state.Open(dataDir(home))
	if err != nil {
		return err
	}
	metrics := health.NewMetrics()
	status := health.NewStatus(client.Address(), backend.Name())
	var serverDone <-chan error
	if listen != "" {
		if _, serverDone, err = health.Serve(ctx, listen, health.Handler(status, metrics), log); err != nil {
			return fmt.Errorf("--%s: %w", flagListen, err)
		}
	}
	log.Info("meshd-worker starting", "address", client.Address(), "grpc", grpcAddr, "chain_id", chainID,
		"backend", backend.Name(), "fee_granter", granter, "home", home)
	logRegistration(ctx, client, log)

	sched, err := scheduler.New(scheduler.Config{Chain: client, Backend: backend, Store: store,
		Metrics: metrics, Status: status, Logger: log, PollInterval: poll})
	if err != nil {
		return err
	}
	err = sched.Run(ctx)
	if serverDone != nil {
		if serr := <-serverDone; serr != nil {
			log.Warn("health server", "err", serr)
		}
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// logRegistration says at start whether the chain knows the worker, which
// is the first thing an operator gets wrong.
func logRegistration(ctx context.Context, c *chain.Client, log interface {
	Info(string, ...any)
	Warn(string, ...any)
}) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	w, err := c.Worker(qctx)
	if err != nil {
		log.Warn("worker not found on chain yet (register it with the worker key)", "err", err)
		return
	}
	log.Info("worker registered", "provider", w.Provider, "status", w.Status.String(),
		"units", w.Spec.ComputeUnits, "reputation_bps", w.ReputationBps)
}
