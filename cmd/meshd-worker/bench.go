package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/x/compute/poc"
)

const (
	flagBenchNode      = "node"
	flagBenchDim       = "poc-dim"
	flagBenchCols      = "poc-cols"
	flagBenchSeconds   = "seconds"
	flagBenchJSON      = "json"
	flagBenchFraction  = "poc-target-fraction-bps"
	flagBenchCommitSec = "poc-commit-seconds"

	// benchHeadroom is the share of the measured rate bench advises to
	// claim: the rest is for load on the machine and for the commit tx to
	// be included before the window closes.
	benchHeadroom = 0.8
	// benchMinRows is the first challenge bench proves (the cpu backend).
	benchMinRows = 1024
	// benchMaxRowBytes bounds the rows of one bench challenge in memory.
	benchMaxRowBytes = 1 << 30
	// benchMaxRows is poc.Dims' bound on m.
	benchMaxRows = 1 << 24
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure this machine's PoC proving rate and advise the GOPS to claim",
		Long: `Prove PoC challenges (the int8 GEMM rows and their Merkle tree, as start does)
for about --seconds at the chain's shape n = --poc-dim, p = --poc-cols (with
--node: the chain's poc_dim and poc_cols, and its poc_target_fraction_bps and
poc_commit_seconds once x/compute has them), and print the rate: rows/s, MAC/s
and GOPS (10^9 int8 ops/s, 1 MAC = 2 ops).

The challenge grows (doubling its rows) until one takes a quarter of --seconds
and the rate stops rising, then is proved again until --seconds have passed; the
rate is over the challenges of the final size.

Advice: claim at most --gops X, X = floor(0.8 × measured GOPS) (the 0.8 leaves
room for load and for the commit tx to be included). x/compute sizes the
challenge of a claim G as G·10^9/2 × poc_commit_seconds × fraction MACs
(fraction = poc_target_fraction_bps / 10^4): an honest claim takes about
fraction × commit_seconds × G / measured seconds of the commit window.

The backend is the one start would use for a large challenge: the embedded CPU
GEMM (--threads), or with --backend exec --exec-cmd the exec program (give it
more --seconds: each run pays the program's start-up).`,
		Example: `  meshd-worker bench
  meshd-worker bench --threads 8 --seconds 10 --json
  meshd-worker bench --node 127.0.0.1:9090
  meshd-worker bench --backend exec --exec-cmd "python3 /opt/mesh/poc_gemm.py" --seconds 30`,
		Args: cobra.NoArgs,
		RunE: runBench,
	}
	f := cmd.Flags()
	f.String(flagBenchNode, "", "node gRPC address (start's --grpc) to read poc_dim, poc_cols, poc_target_fraction_bps and poc_commit_seconds from (empty: the flags)")
	f.String(flagGRPC, "", "same as --node")
	f.Int(flagBenchDim, 256, "n, the chain's poc_dim (without --node)")
	f.Int(flagBenchCols, 64, "p, the chain's poc_cols (without --node)")
	f.Uint64(flagBenchFraction, chain.DefaultPoCTargetFractionBps, "the chain's poc_target_fraction_bps (without --node, or before the chain has it)")
	f.Uint64(flagBenchCommitSec, chain.DefaultPoCCommitSeconds, "the chain's poc_commit_seconds (without --node, or before the chain has it)")
	f.Float64(flagBenchSeconds, 3, "how long to measure")
	f.Bool(flagBenchJSON, false, "print one JSON object")
	f.String(flagBackend, "cpu", "PoC backend: cpu or exec")
	f.String(flagExecCmd, "", "exec backend: program and arguments")
	f.Duration(flagExecTimeout, 10*time.Minute, "exec backend: time limit of one run")
	f.Int(flagThreads, 0, "cpu backend: goroutines (0 = GOMAXPROCS)")
	addExecMinMACsFlag(cmd)
	addOutputFlag(cmd)
	return cmd
}

// benchResult is bench's output (--json).
type benchResult struct {
	Backend string `json:"backend"`
	Threads int    `json:"threads"`
	N       int    `json:"n"`
	P       int    `json:"p"`
	// Rows is the size of the challenges measured, Challenges how many
	// were, Seconds their total time.
	Rows       int     `json:"rows"`
	Challenges int     `json:"challenges"`
	Seconds    float64 `json:"seconds"`
	// RowsPerSecond, MACsPerSecond and GOPS (2·MAC/s/10⁹) are the rate.
	RowsPerSecond float64 `json:"rows_per_second"`
	MACsPerSecond float64 `json:"macs_per_second"`
	GOPS          float64 `json:"gops"`
	// AdvisedGOPS is floor(0.8 × GOPS): the largest claim to make.
	AdvisedGOPS uint64 `json:"advised_gops"`
	// SecondsAtAdvisedClaim is how long the challenge of AdvisedGOPS takes
	// here: fraction × commit_seconds × AdvisedGOPS / GOPS.
	SecondsAtAdvisedClaim float64 `json:"seconds_at_advised_claim"`
	// AdvisedRows and AdvisedMACs are that challenge's m and m·n·p.
	AdvisedRows       uint64  `json:"advised_rows"`
	AdvisedMACs       float64 `json:"advised_macs"`
	CommitSeconds     uint64  `json:"commit_seconds"`
	TargetFractionBps uint64  `json:"target_fraction_bps"`
	// ParamsFrom is "flags" or the node's address.
	ParamsFrom string `json:"params_from"`
	// AdvisedBackend proves the advised challenge in start (with --backend
	// exec: cpu below --poc-exec-min-macs).
	AdvisedBackend string `json:"advised_backend"`
	// Command is the update-worker command line that claims AdvisedGOPS.
	Command string `json:"command"`
}

// benchShape is what bench measures for: the challenge's n, p and the
// capacity params.
type benchShape struct {
	n, p                    int
	fractionBps, commitSecs uint64
	from                    string
}

func benchShapeOf(cmd *cobra.Command) (benchShape, error) {
	f := cmd.Flags()
	var sh benchShape
	sh.n, _ = f.GetInt(flagBenchDim)
	sh.p, _ = f.GetInt(flagBenchCols)
	sh.fractionBps, _ = f.GetUint64(flagBenchFraction)
	sh.commitSecs, _ = f.GetUint64(flagBenchCommitSec)
	sh.from = "flags"
	node, _ := f.GetString(flagBenchNode)
	if node == "" {
		node, _ = f.GetString(flagGRPC)
	}
	if node != "" {
		ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
		defer cancel()
		params, err := chain.ComputeParams(ctx, node)
		if err != nil {
			return sh, err
		}
		sh.n, sh.p, sh.from = int(params.PocDim), int(params.PocCols), node
		if frac, secs, ok := chain.PoCCapacityParams(params); ok {
			sh.fractionBps, sh.commitSecs = frac, secs
		}
	}
	if sh.fractionBps == 0 || sh.fractionBps > 10000 || sh.commitSecs == 0 {
		return sh, fmt.Errorf("target fraction %d bps and commit seconds %d: want 1..10000 and > 0", sh.fractionBps, sh.commitSecs)
	}
	return sh, poc.Dims{M: 1, N: sh.n, P: sh.p}.Validate()
}

func runBench(cmd *cobra.Command, _ []string) error {
	f := cmd.Flags()
	seconds, _ := f.GetFloat64(flagBenchSeconds)
	threads, _ := f.GetInt(flagThreads)
	minMACs, _ := f.GetFloat64(flagExecMinMACs)
	asJSON, _ := f.GetBool(flagBenchJSON)
	if out, _ := f.GetString(flagOutput); out == "json" {
		asJSON = true
	}
	if seconds <= 0 {
		return fmt.Errorf("--%s %v: want > 0", flagBenchSeconds, seconds)
	}
	sh, err := benchShapeOf(cmd)
	if err != nil {
		return err
	}
	// The backend a claimed challenge gets: the exec program itself with
	// --backend exec (a challenge below --poc-exec-min-macs goes to the CPU).
	backend, err := newPoCBackend(cmd)
	if err != nil {
		return err
	}
	startRows := benchMinRows
	if backend.Name() != "cpu" {
		startRows = max(startRows, int(math.Ceil(minMACs/float64(sh.n*sh.p))))
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	m := measure(cmd.Context(), backend, sh, startRows, time.Duration(seconds*float64(time.Second)))
	if m.err != nil {
		return m.err
	}
	res := benchResult{Backend: backend.Name(), Threads: threads, N: sh.n, P: sh.p, Rows: m.rows, Challenges: m.challenges,
		Seconds: m.took.Seconds(), CommitSeconds: sh.commitSecs, TargetFractionBps: sh.fractionBps, ParamsFrom: sh.from}
	res.RowsPerSecond = float64(m.rows*m.challenges) / m.took.Seconds()
	res.MACsPerSecond = res.RowsPerSecond * float64(sh.n) * float64(sh.p)
	res.GOPS = 2 * res.MACsPerSecond / 1e9
	res.AdvisedGOPS = uint64(math.Floor(res.GOPS * benchHeadroom))
	frac := float64(sh.fractionBps) / 10000
	res.SecondsAtAdvisedClaim = frac * float64(sh.commitSecs) * float64(res.AdvisedGOPS) / res.GOPS
	res.AdvisedMACs = float64(res.AdvisedGOPS) * 1e9 / 2 * float64(sh.commitSecs) * frac
	res.AdvisedRows = uint64(math.Ceil(res.AdvisedMACs / float64(sh.n*sh.p)))
	res.AdvisedBackend = backend.Name()
	if backend.Name() != "cpu" && res.AdvisedMACs < minMACs {
		res.AdvisedBackend = "cpu"
	}
	res.Command = fmt.Sprintf("meshd tx compute update-worker --gops %d --from %s --keyring-dir %s --keyring-backend test --fee-granter <provider address>",
		res.AdvisedGOPS, chain.KeyName, homeFlag(cmd))
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), benchText(res))
	return err
}

// homeFlag is --home as given (the update-worker command line names it).
func homeFlag(cmd *cobra.Command) string {
	home, _ := cmd.Flags().GetString(flagHome)
	return home
}

func benchText(r benchResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "backend:   %s (%d threads)\n", r.Backend, r.Threads)
	fmt.Fprintf(&b, "shape:     n=%d p=%d (params from %s: poc_target_fraction_bps %d, poc_commit_seconds %d)\n",
		r.N, r.P, r.ParamsFrom, r.TargetFractionBps, r.CommitSeconds)
	plural := "s"
	if r.Challenges == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "measured:  %d challenge%s of %d rows in %.2f s\n", r.Challenges, plural, r.Rows, r.Seconds)
	fmt.Fprintf(&b, "rows/s:    %.0f\n", r.RowsPerSecond)
	fmt.Fprintf(&b, "MAC/s:     %.4g\n", r.MACsPerSecond)
	fmt.Fprintf(&b, "GOPS:      %.2f (2 × MAC/s / 1e9)\n", r.GOPS)
	if r.AdvisedGOPS == 0 {
		fmt.Fprintf(&b, "advice:    this machine proves less than 1.25 GOPS: too little to claim even --gops 1 with 20%% headroom")
		return b.String()
	}
	fmt.Fprintf(&b, "advice:    claim at most --gops %d (%.0f%% of the measured %.2f GOPS: headroom for load and tx inclusion)\n",
		r.AdvisedGOPS, benchHeadroom*100, r.GOPS)
	fmt.Fprintf(&b, "           its challenge is %.4g MACs (%d rows), proven here in about %.1f s of the %d s commit window\n",
		r.AdvisedMACs, r.AdvisedRows, r.SecondsAtAdvisedClaim, r.CommitSeconds)
	if r.AdvisedBackend != r.Backend {
		fmt.Fprintf(&b, "           (start proves a challenge that small with the %s backend, below --%s)\n", r.AdvisedBackend, flagExecMinMACs)
	}
	fmt.Fprintf(&b, "command:   %s", r.Command)
	return b.String()
}

// measurement is the rate measured at one challenge size.
type measurement struct {
	rows, challenges int
	took             time.Duration
	err              error
}

// measure proves challenges of shape sh with backend for about budget:
// it doubles the rows from startRows until a challenge takes a quarter of
// the budget and the rate gained less than 10% (or the rows reach their
// bound, or the time would run out), then proves that size until the
// budget is spent; the rate is over the challenges of the final size.
func measure(ctx context.Context, backend backends.PoC, sh benchShape, startRows int, budget time.Duration) measurement {
	maxRows := min(benchMaxRows, benchMaxRowBytes/(4*sh.p))
	rows := min(startRows, maxRows)
	begin := time.Now()
	var prevRate float64
	var cur measurement
	for round := 0; ; round++ {
		took, err := proveOnce(ctx, backend, sh, rows, round)
		if err != nil {
			return measurement{err: err}
		}
		if cur.rows != rows {
			cur = measurement{rows: rows}
		}
		cur.challenges++
		cur.took += took
		rate := float64(rows) / took.Seconds()
		elapsed := time.Since(begin)
		growing := cur.challenges == 1 && rows < maxRows && elapsed+2*took <= budget &&
			(took < budget/4 || rate > 1.1*prevRate)
		if growing {
			prevRate = rate
			rows = min(2*rows, maxRows)
			continue
		}
		if elapsed >= budget || elapsed+took > budget+budget/4 {
			return cur
		}
	}
}

// proveOnce proves one challenge as start does: the rows, then the tree.
func proveOnce(ctx context.Context, backend backends.PoC, sh benchShape, rows, round int) (time.Duration, error) {
	d := poc.Dims{M: rows, N: sh.n, P: sh.p}
	seed := poc.ChallengeSeed(fmt.Appendf(nil, "bench-%d", round), []byte("meshd-worker"))
	start := time.Now()
	out, err := backend.ProvePoC(ctx, seed, d)
	if err != nil {
		return 0, err
	}
	if _, err := backends.Tree(out); err != nil {
		return 0, err
	}
	return max(time.Since(start), time.Nanosecond), nil
}
