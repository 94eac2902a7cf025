package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/lm"
	"github.com/llmesh/mesh/worker/backends/exec"
	"github.com/llmesh/mesh/worker/backends/openai"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/jobs"
	"github.com/llmesh/mesh/worker/scheduler"
	"github.com/llmesh/mesh/worker/sidecar"
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
	flagExecMinMACs   = "poc-exec-min-macs"
	flagPoCMaxMemory  = "poc-max-memory-mb"
	flagListen        = "listen"
	flagPoll          = "poll-interval"
	flagInference     = "inference"
	flagModels        = "models"
	flagOpenAIURL     = "openai-url"
	flagInferTimeout  = "infer-timeout"
	flagInferConc     = "infer-concurrency"
	flagSidecarListen = "sidecar-listen"
	flagSidecarGrace  = "sidecar-grace-blocks"

	// envOpenAIKey, when set, is sent to --openai-url as a bearer token.
	envOpenAIKey = "OPENAI_API_KEY"
)

func startCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the proof-of-compute, inference and training loops until SIGINT or SIGTERM",
		Long: `Run the proof-of-compute loop (x/compute challenges), the inference loop
(x/inference jobs assigned to the worker) and, with --train, the training loop
(x/training rounds; blobs served at /blobs/<sha256> on --listen) side by side.

Inference jobs are answered by the model's runtime: int8-embedded with the
built-in model, openai:<served-name> through --openai-url, exec:<name> through
--exec-cmd (the same program as the exec PoC backend, op "infer").

With --sidecar-listen, the worker also serves mesh.abci.v1.Sidecar: its
validator's meshd (app.toml [mesh] worker_sidecar) carries the worker's
pending commitments in its vote extension, free and a block ahead of any tx.
The commit txs are then the fallback: each waits --sidecar-grace-blocks for
its commitment to land from the extension (less near the end of its commit
window) and goes out only if it has not.`,
		Example: `  meshd-worker start --grpc 127.0.0.1:9090 --chain-id mesh-local-1 --fee-granter mesh1...
  meshd-worker start --backend exec --exec-cmd "python3 /opt/mesh/gemm_cuda.py" --exec-timeout 5m
  meshd-worker start --models mesh-embedded-v1,llama-3.1-8b --openai-url http://127.0.0.1:8000
  meshd-worker start --train auto --listen 0.0.0.0:26680 --blob-url http://worker1.example:26680
  meshd-worker start --train auto --train-exec "python3 /opt/mesh/train.py" --train-timeout 30m
  meshd-worker start --sidecar-listen 127.0.0.1:9095   # a validator's worker: [mesh] worker_sidecar = "127.0.0.1:9095"`,
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
	f.String(flagExecCmd, "", "exec program and arguments (split on spaces, no shell): PoC with --backend exec, and exec:<name> models")
	f.Duration(flagExecTimeout, exec.DefaultTimeout, "exec backend: time limit of one run (inference also stops at --infer-timeout)")
	f.Int(flagThreads, 0, "cpu backend: goroutines (0 = GOMAXPROCS)")
	addExecMinMACsFlag(cmd)
	f.String(flagListen, health.DefaultListen, "address of /healthz and /metrics (empty: off)")
	f.String(flagSidecarListen, "", "gRPC address of the Sidecar service for this validator's meshd, e.g. 127.0.0.1:9095 (empty: off)")
	f.Int64(flagSidecarGrace, 2, "with --sidecar-listen: blocks a commit tx waits for the vote extension to land the commitment (0: broadcast at once)")
	f.Duration(flagPoll, time.Second, "chain poll interval (about one block)")
	f.Bool(flagInference, true, "answer x/inference jobs (false: proof-of-compute only)")
	f.Int(flagEmbeddedLogitNoise, 0, "mesh-lm-v1: integer noise added to every logit, in 1/16 nat (0: exact; tests stand in other hardware with it)")
	f.StringSlice(flagModels, []string{embedded.ModelID}, "model ids the worker serves (informational: logged, shown in /healthz, warned about when a job asks for another)")
	f.String(flagOpenAIURL, "", "OpenAI-compatible server for openai:<name> models, e.g. http://127.0.0.1:8089 (token from $"+envOpenAIKey+")")
	f.Duration(flagInferTimeout, 2*time.Minute, "time limit of one inference")
	f.Uint64(flagPoCMaxMemory, 8192, "largest proof attempted, in MiB of rows and Merkle tree (m·(4p+64) bytes); a larger challenge is skipped and reported as an over-claim (0: no limit)")
	f.Int(flagInferConc, 4, "inferences run at once")
	addTrainFlags(cmd)
	addKeyringFlag(cmd)
	return cmd
}

func addExecMinMACsFlag(cmd *cobra.Command) {
	cmd.Flags().Float64(flagExecMinMACs, backends.DefaultMinLargeMACs,
		"--backend exec: challenges of at least this many MACs (m·n·p) go to the exec program, smaller ones to the embedded CPU GEMM (0: all to exec)")
}

// newBackend is the PoC backend the flags ask for: the embedded CPU GEMM,
// or with --backend exec a backends.Sized that gives the exec program the
// challenges of at least --poc-exec-min-macs and the CPU GEMM the rest.
func newBackend(cmd *cobra.Command) (backends.PoC, error) {
	large, err := newPoCBackend(cmd)
	if err != nil || large.Name() == "cpu" {
		return large, err
	}
	threads, _ := cmd.Flags().GetInt(flagThreads)
	minMACs, _ := cmd.Flags().GetFloat64(flagExecMinMACs)
	if minMACs < 0 {
		return nil, fmt.Errorf("--%s %v: want 0 or more", flagExecMinMACs, minMACs)
	}
	return backends.Sized{Small: cpu.Backend{Threads: threads}, Large: large, MinMACs: minMACs}, nil
}

// newPoCBackend is --backend itself: cpu, or exec with --exec-cmd.
func newPoCBackend(cmd *cobra.Command) (backends.PoC, error) {
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

// newInferenceBackends builds the inference backends the flags allow: the
// embedded model always, openai with --openai-url, exec with --exec-cmd.
func newInferenceBackends(cmd *cobra.Command) (jobs.Backends, error) {
	f := cmd.Flags()
	var b jobs.Backends
	gateway, _ := f.GetString(flagIPFSGateway)
	model, err := embedded.NewWithOptions(embedded.Options{IPFSGateway: gateway})
	if err != nil {
		return b, err
	}
	b.Embedded = model
	// mesh-lm-v1 (VERIFY jobs); its noise seed differs between workers
	// (their homes), as hardware would.
	noise, _ := f.GetInt(flagEmbeddedLogitNoise)
	home, _ := f.GetString(flagHome)
	seed := sha256.Sum256([]byte(home))
	gen, err := newLM(noise, binary.LittleEndian.Uint64(seed[:8]))
	if err != nil {
		return b, fmt.Errorf("--%s: %w", flagEmbeddedLogitNoise, err)
	}
	b.LM, b.LMID = gen, lm.ModelID
	if u, _ := f.GetString(flagOpenAIURL); u != "" {
		c, err := openai.New(u)
		if err != nil {
			return b, fmt.Errorf("--%s: %w", flagOpenAIURL, err)
		}
		c.APIKey = os.Getenv(envOpenAIKey)
		c.Timeout, _ = f.GetDuration(flagInferTimeout)
		b.OpenAI = c
	}
	if line, _ := f.GetString(flagExecCmd); line != "" {
		timeout, _ := f.GetDuration(flagExecTimeout)
		e, err := exec.New(line, timeout)
		if err != nil {
			return b, fmt.Errorf("--%s: %w", flagExecCmd, err)
		}
		b.Exec = e
	}
	return b, nil
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
	inference, _ := f.GetBool(flagInference)
	var inferBackends jobs.Backends
	if inference {
		if inferBackends, err = newInferenceBackends(cmd); err != nil {
			return err
		}
	}
	grpcAddr, _ := f.GetString(flagGRPC)
	chainID, _ := f.GetString(flagChainID)
	granter, _ := f.GetString(flagFeeGranter)
	gasPrices, _ := f.GetString(flagGasPrices)
	gasAdj, _ := f.GetFloat64(flagGasAdjustment)
	listen, _ := f.GetString(flagListen)
	sidecarListen, _ := f.GetString(flagSidecarListen)
	sidecarGrace, _ := f.GetInt64(flagSidecarGrace)
	if sidecarGrace < 0 {
		return fmt.Errorf("--%s %d: want 0 or more", flagSidecarGrace, sidecarGrace)
	}
	poll, _ := f.GetDuration(flagPoll)
	trainer, err := newTrainer(cmd, home, listen)
	if err != nil {
		return err
	}

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
	jobStore, err := state.OpenJobs(jobsDir(home))
	if err != nil {
		return err
	}
	metrics := health.NewMetrics()
	status := health.NewStatus(client.Address(), backend.Name())
	var serverDone <-chan error
	var httpAddr net.Addr
	if listen != "" {
		if httpAddr, serverDone, err = health.Serve(ctx, listen, trainer.handler(health.Handler(status, metrics)), log); err != nil {
			return fmt.Errorf("--%s: %w", flagListen, err)
		}
	}
	// The sidecar answers for this process's one key; nil leaves it off.
	var pending *sidecar.Store
	var sidecarDone <-chan error
	if sidecarListen != "" {
		addr, err := chain.AddressCodec.StringToBytes(client.Address())
		if err != nil {
			return err
		}
		pending = sidecar.NewStore(addr)
		if _, sidecarDone, err = sidecar.Serve(ctx, sidecarListen, sidecar.NewServer(pending, metrics.SidecarRequests), log); err != nil {
			return fmt.Errorf("--%s: %w", flagSidecarListen, err)
		}
	}
	log.Info("meshd-worker starting", "address", client.Address(), "grpc", grpcAddr, "chain_id", chainID,
		"backend", describeBackend(backend), "fee_granter", granter, "home", home, "inference", inference, "training", trainer != nil,
		"openai", inferBackends.OpenAI != nil, "exec", inferBackends.Exec != nil, "sidecar", sidecarListen, "sidecar_grace_blocks", sidecarGrace)
	models, _ := f.GetStringSlice(flagModels)
	logRegistration(ctx, client, models, log)

	maxMiB, _ := f.GetUint64(flagPoCMaxMemory)
	sched, err := scheduler.New(scheduler.Config{Chain: client, Backend: backend, Store: store,
		Metrics: metrics, Status: status, Logger: log, Sidecar: pending, SidecarGrace: sidecarGrace, PollInterval: poll,
		MaxProofBytes: maxMiB << 20})
	if err != nil {
		return err
	}
	loops := []func(context.Context) error{sched.Run}
	if inference {
		inferTimeout, _ := f.GetDuration(flagInferTimeout)
		conc, _ := f.GetInt(flagInferConc)
		loop, err := jobs.New(jobs.Config{Chain: client, Backends: inferBackends, Store: jobStore, Metrics: metrics,
			Status: status, Logger: log, Sidecar: pending, SidecarGrace: sidecarGrace, Models: models, PollInterval: poll,
			InferTimeout: inferTimeout, Concurrency: conc})
		if err != nil {
			return err
		}
		loops = append(loops, loop.Run)
	}
	if trainer != nil {
		loop, err := trainer.loop(client, httpAddr, models, metrics, status, log, poll)
		if err != nil {
			return err
		}
		loops = append(loops, loop.Run)
	}
	// The loops run until ctx ends and only then return (its error).
	errs := make(chan error, len(loops))
	for _, run := range loops {
		go func() { errs <- run(ctx) }()
	}
	for range loops {
		if lerr := <-errs; !errors.Is(lerr, context.Canceled) && err == nil {
			err = lerr
		}
	}
	if serverDone != nil {
		if serr := <-serverDone; serr != nil {
			log.Warn("health server", "err", serr)
		}
	}
	if sidecarDone != nil {
		if serr := <-sidecarDone; serr != nil {
			log.Warn("sidecar server", "err", serr)
		}
	}
	return err
}

// describeBackend is the PoC backend for the start log: its name, or
// Sized's rule.
func describeBackend(b backends.PoC) string {
	if s, ok := b.(backends.Sized); ok {
		return s.String()
	}
	return b.Name()
}

// logRegistration says at start whether the chain knows the worker, which
// is the first thing an operator gets wrong.
func logRegistration(ctx context.Context, c *chain.Client, models []string, log interface {
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
	args := []any{"provider", w.Provider, "status", w.Status.String(), "units", w.Spec.ComputeUnits}
	if gops, ok := chain.ClaimedGOPS(w.Spec); ok {
		args = append(args, "gops", gops) // the challenge's size: meshd-worker bench says what to claim
	}
	log.Info("worker registered", append(args, "reputation_bps", w.ReputationBps, "models", w.Models)...)
	for _, m := range models {
		if !slices.Contains(w.Models, m) {
			log.Warn("--models lists a model the registration does not (jobs are assigned by the registration)", "model", m)
		}
	}
}
