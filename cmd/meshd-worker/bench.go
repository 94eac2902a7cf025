package main

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/x/compute/poc"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure local PoC throughput to size the compute units to claim",
		Long: `Prove a challenge of --units compute units (m = units × rows-per-unit rows of
n = --dim, p = --cols, as the chain's poc_rows_per_unit, poc_dim and poc_cols
params set them) --rounds times with the chosen backend and print GMAC/s and
seconds per challenge, and how many units fit in --budget (keep it well inside
the commit window: commit_window blocks × block time).`,
		Example: `  meshd-worker bench
  meshd-worker bench --units 64 --budget 20s -o json
  meshd-worker bench --backend exec --exec-cmd "python3 gemm_cuda.py"`,
		Args: cobra.NoArgs,
		RunE: runBench,
	}
	f := cmd.Flags()
	f.Int("units", 64, "compute units to prove")
	f.Int("dim", 256, "n (poc_dim)")
	f.Int("cols", 64, "p (poc_cols)")
	f.Int("rows-per-unit", 256, "rows per compute unit (poc_rows_per_unit)")
	f.Int("rounds", 3, "challenges to prove (the fastest counts)")
	f.Duration("budget", 10*time.Second, "time a challenge may take")
	f.String(flagBackend, "cpu", "PoC backend: cpu or exec")
	f.String(flagExecCmd, "", "exec backend: program and arguments")
	f.Duration(flagExecTimeout, 10*time.Minute, "exec backend: time limit of one run")
	f.Int(flagThreads, 0, "cpu backend: goroutines (0 = GOMAXPROCS)")
	addOutputFlag(cmd)
	return cmd
}

// benchResult is bench's output.
type benchResult struct {
	Backend           string  `json:"backend"`
	Threads           int     `json:"threads"`
	Units             int     `json:"units"`
	M                 int     `json:"m"`
	N                 int     `json:"n"`
	P                 int     `json:"p"`
	SecondsPerProof   float64 `json:"seconds_per_challenge"`
	GMACPerSecond     float64 `json:"gmac_per_second"`
	SecondsPerUnit    float64 `json:"seconds_per_unit"`
	BudgetSeconds     float64 `json:"budget_seconds"`
	UnitsWithinBudget int     `json:"units_within_budget"`
}

func runBench(cmd *cobra.Command, _ []string) error {
	f := cmd.Flags()
	units, _ := f.GetInt("units")
	dim, _ := f.GetInt("dim")
	cols, _ := f.GetInt("cols")
	rpu, _ := f.GetInt("rows-per-unit")
	rounds, _ := f.GetInt("rounds")
	budget, _ := f.GetDuration("budget")
	threads, _ := f.GetInt(flagThreads)
	if units <= 0 || rpu <= 0 || rounds <= 0 {
		return fmt.Errorf("--units, --rows-per-unit and --rounds must be positive")
	}
	d := poc.Dims{M: units * rpu, N: dim, P: cols}
	if err := d.Validate(); err != nil {
		return err
	}
	backend, err := newBackend(cmd)
	if err != nil {
		return err
	}
	best := time.Duration(math.MaxInt64)
	for r := 0; r < rounds; r++ {
		seed := poc.ChallengeSeed([]byte(fmt.Sprintf("bench-%d", r)), []byte("meshd-worker"))
		start := time.Now()
		rows, err := backend.ProvePoC(cmd.Context(), seed, d)
		if err != nil {
			return err
		}
		if _, err := backends.Tree(rows); err != nil {
			return err
		}
		best = min(best, time.Since(start))
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	secs := best.Seconds()
	res := benchResult{
		Backend: backend.Name(), Threads: threads, Units: units, M: d.M, N: d.N, P: d.P,
		SecondsPerProof: secs, GMACPerSecond: float64(d.M) * float64(d.N) * float64(d.P) / secs / 1e9,
		SecondsPerUnit: secs / float64(units), BudgetSeconds: budget.Seconds(),
	}
	res.UnitsWithinBudget = int(budget.Seconds() / res.SecondsPerUnit)
	return printOut(cmd, res, fmt.Sprintf(
		"backend %s (%d threads): %d units = %d×%d×%d int8 GEMM\n  %.3f s per challenge, %.2f GMAC/s, %.4f s per unit\n  units within %s: %d",
		res.Backend, res.Threads, units, d.M, d.N, d.P, secs, res.GMACPerSecond, res.SecondsPerUnit, budget, res.UnitsWithinBudget))
}
