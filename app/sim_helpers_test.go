package app_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/store/v2"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	simcli "github.com/cosmos/cosmos-sdk/x/simulation/client/cli"

	"github.com/llmesh/mesh/app"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// The SDK's simulator flags (-Enabled, -NumBlocks, -BlockSize, -Seed,
// -Verbose, …). `make test` passes none: the simulation then runs a short
// version (shortNumBlocks × shortBlockSize on shortSeeds) so that it stays a
// part of every test run. -Enabled gives the SDK's sizes (500 blocks of 200
// operations); -NumBlocks, -BlockSize and -Seed given explicitly always win.
func init() {
	simcli.GetSimulatorFlags()
}

const (
	shortNumBlocks = 25
	shortBlockSize = 40
)

var (
	// shortSeeds are the seeds of the short run (two of the SDK's default seeds).
	shortSeeds = []int64{1, 7}
	// determinismExtraSeed is the short determinism test's third seed.
	determinismExtraSeed int64 = 4
	// enabledSeeds are the seeds of a run with -Enabled (`make test-sim`):
	// the first four of the SDK's default seed list.
	enabledSeeds = []int64{1, 2, 4, 7}
)

// flagSet reports whether a flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// simConfig returns the simulation config from the flags, shortened unless
// -Enabled or the sizes were given, the seeds to run, and whether this is
// the short run of a plain `go test`.
func simConfig() (cfg simtypes.Config, seeds []int64, short bool) {
	cfg = simcli.NewConfigFromFlags()
	cfg.ChainID = simsx.SimAppChainID
	seeds, short = shortSeeds, !simcli.FlagEnabledValue && !flagSet("Seed")
	if simcli.FlagEnabledValue {
		seeds = enabledSeeds
	} else {
		if !flagSet("NumBlocks") {
			cfg.NumBlocks = shortNumBlocks
		}
		if !flagSet("BlockSize") {
			cfg.BlockSize = shortBlockSize
		}
	}
	if flagSet("Seed") {
		seeds = []int64{cfg.Seed}
	}
	return cfg, seeds, short
}

// newSimApp is the app factory of every simulation test: meshd's app whose
// EndBlocker also checks the invariants of the six custom modules after
// every block, so that a broken promise stops the simulation at the block
// that broke it (x/crisis is gone in v0.54; this is its replacement here).
func newSimApp(logger log.Logger, db dbm.DB, _ bool, appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp)) *app.MeshApp {
	a := app.NewMeshApp(logger, db, false, appOpts, nil, baseAppOptions...)
	a.SetEndBlocker(func(ctx sdk.Context) (sdk.EndBlock, error) {
		res, err := a.ModuleManager.EndBlock(ctx)
		if err != nil {
			return res, err
		}
		if err := checkInvariants(ctx, a); err != nil {
			return res, fmt.Errorf("height %d: invariant broken: %w", ctx.BlockHeight(), err)
		}
		return res, nil
	})
	if err := a.LoadLatestVersion(); err != nil {
		panic(err)
	}
	return a
}

// newSimAppWithCache is newSimApp with the inter-block cache, as the SDK's
// determinism test runs it.
func newSimAppWithCache(logger log.Logger, db dbm.DB, loadLatest bool, appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp)) *app.MeshApp {
	return newSimApp(logger, db, loadLatest, appOpts, append(baseAppOptions, baseapp.SetInterBlockCache(store.NewCommitKVStoreCacheManager()))...)
}

// runSeeds runs the simulation once per seed, one subtest each, with cfg
// (simsx.RunWithSeeds would read the sizes from the flags again).
func runSeeds(t *testing.T, cfg simtypes.Config, seeds []int64,
	factory func(log.Logger, dbm.DB, bool, servertypes.AppOptions, ...func(*baseapp.BaseApp)) *app.MeshApp,
	post ...func(testing.TB, simsx.TestInstance[*app.MeshApp], []simtypes.Account),
) {
	t.Helper()
	for i, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d/run=%d", seed, i), func(t *testing.T) {
			simsx.RunWithSeed(t, cfg, factory, simStateFactory, seed, nil, post...)
		})
	}
}

// simStateFactory wires the simulation to the app: randomized genesis from
// every module's GenerateGenesisState, accounts and balances from the real
// keepers.
func simStateFactory(a *app.MeshApp) simsx.SimStateFactory {
	return simsx.SimStateFactory{
		Codec:         a.AppCodec(),
		AppStateFn:    simtestutil.AppStateFn(a.AppCodec(), a.SimulationManager(), a.DefaultGenesis()),
		BlockedAddr:   app.BlockedAddresses(),
		AccountSource: a.AccountKeeper,
		BalanceSource: a.BankKeeper,
	}
}

// checkInvariants runs the invariants the custom modules promise.
func checkInvariants(ctx context.Context, a *app.MeshApp) error {
	checks := []struct {
		module string
		check  func(context.Context) error
	}{
		{"pool", a.PoolKeeper.CheckInvariants},
		{"compute", a.ComputeKeeper.CheckInvariants},
		{"compute/pool", func(ctx context.Context) error { return computeUnitsMirrored(ctx, a) }},
		{"inference", func(ctx context.Context) error {
			held := a.BankKeeper.GetAllBalances(ctx, a.AccountKeeper.GetModuleAddress(inferencetypes.ModuleName))
			return a.InferenceKeeper.CheckInvariants(ctx, held)
		}},
		{"rewards", a.RewardsKeeper.CheckInvariants},
		{"dao", a.DaoKeeper.CheckInvariants},
		{"training", a.TrainingKeeper.CheckInvariants},
	}
	for _, c := range checks {
		if err := c.check(ctx); err != nil {
			return fmt.Errorf("x/%s: %w", c.module, err)
		}
	}
	return nil
}

// computeUnitsMirrored: x/pool's record of each pool's compute units is
// x/compute's (x/compute mirrors every change into x/pool).
func computeUnitsMirrored(ctx context.Context, a *app.MeshApp) error {
	return a.PoolKeeper.Pools.Walk(ctx, nil, func(provider sdk.AccAddress, p pooltypes.Pool) (bool, error) {
		units, err := a.ComputeKeeper.ProviderUnits.Get(ctx, provider)
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return true, err
		}
		if units != p.ComputeUnits {
			return true, fmt.Errorf("pool %s: x/pool records %d compute units, x/compute %d", p.Provider, p.ComputeUnits, units)
		}
		return false, nil
	})
}

// requireInvariants checks the invariants on the app's last committed state.
func requireInvariants(tb testing.TB, a *app.MeshApp) {
	tb.Helper()
	require.NoError(tb, checkInvariants(a.NewContext(true), a))
}

// logCoverage logs how far the simulation took the custom modules' state
// machines (how many jobs, proposals, tasks… ended in each status), so a
// run that never reached a path is visible in `go test -v`.
func logCoverage(tb testing.TB, a *app.MeshApp) {
	tb.Helper()
	ctx := a.NewContext(true)
	count := func(walk func(func())) int {
		n := 0
		walk(func() { n++ })
		return n
	}
	jobs := make(map[string]int)
	_ = a.InferenceKeeper.Jobs.Walk(ctx, nil, func(_ uint64, j inferencetypes.Job) (bool, error) {
		jobs[j.Status.String()]++
		return false, nil
	})
	proposals := make(map[string]int)
	_ = a.DaoKeeper.Proposals.Walk(ctx, nil, func(_ uint64, p daotypes.Proposal) (bool, error) {
		proposals[p.Status.String()]++
		return false, nil
	})
	tasks := make(map[string]int)
	_ = a.TrainingKeeper.Tasks.Walk(ctx, nil, func(_ uint64, t trainingtypes.Task) (bool, error) {
		tasks[t.Status.String()]++
		return false, nil
	})
	pools := count(func(inc func()) {
		_ = a.PoolKeeper.Pools.Walk(ctx, nil, func(sdk.AccAddress, pooltypes.Pool) (bool, error) { inc(); return false, nil })
	})
	workers := count(func(inc func()) {
		_ = a.ComputeKeeper.Workers.Walk(ctx, nil, func(sdk.AccAddress, computetypes.Worker) (bool, error) { inc(); return false, nil })
	})
	unbondings := count(func(inc func()) {
		_ = a.PoolKeeper.Unbondings.Walk(ctx, nil, func(uint64, pooltypes.UnbondingEntry) (bool, error) { inc(); return false, nil })
	})
	// fmt sorts map keys, so the line is the same on every replay.
	tb.Logf("coverage at height %d: pools %d, workers %d, unbondings %d, jobs %v, proposals %v, tasks %v",
		a.LastBlockHeight(), pools, workers, unbondings, jobs, proposals, tasks)
}
