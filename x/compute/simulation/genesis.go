// Package simulation is x/compute's part of the app simulation: randomized
// params (small proof-of-compute sizes, short windows) and factories for the
// worker messages a provider and its workers send. PoC commits and reveals
// are left out: they need the worker's GEMM over the epoch's seed (worker/),
// so in the simulation every eligible worker misses its epochs, which
// exercises the miss → jail → unjail path.
package simulation

import (
	"math/rand"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/llmesh/mesh/x/compute/types"
)

// ModelIDs are the model ids simulated workers claim; x/inference's
// simulation registers the same ids as models, so requests find workers.
var ModelIDs = []string{"sim-llm-a", "sim-llm-b", "sim-llm-c", "sim-embed-d"}

// RandomParams returns valid params: small PoC sizes, windows of a few
// blocks, low jail times, so that a short simulation crosses epochs, jails
// and unjails. The epoch identifier stays "compute" (the app's x/epochs
// genesis defines that epoch).
func RandomParams(r *rand.Rand) types.Params {
	p := types.DefaultParams()
	p.MaxWorkersPerProvider = uint32(1 + r.Intn(8))
	p.MaxUnitsPerWorker = uint32(1 + r.Intn(16))
	p.MaxModelsPerWorker = uint32(1 + r.Intn(len(ModelIDs)))
	p.PocDim = uint32(8 << r.Intn(3))
	p.PocCols = uint32(4 << r.Intn(3))
	p.PocRowsPerUnit = uint32(16 << r.Intn(3))
	p.SampleRows = uint32(1 + r.Intn(8))
	p.CommitWindow = int64(1 + r.Intn(5))
	p.RevealWindow = int64(1 + r.Intn(5))
	p.FraudSlashFraction = math.LegacyNewDecWithPrec(int64(r.Intn(20)), 2)
	p.WithholdSlashFraction = math.LegacyNewDecWithPrec(int64(r.Intn(10)), 2)
	p.MissedWindow = uint32(1 + r.Intn(10))
	p.MaxMissed = uint32(1 + r.Intn(int(p.MissedWindow)))
	p.JailBlocks = int64(1 + r.Intn(10))
	p.ReputationAlphaBps = uint32(1 + r.Intn(types.MaxReputationBps))
	p.MaxSettlementsPerBlock = uint32(1 + r.Intn(50))
	// Capacity-bound challenges: simulated workers never commit, so these
	// only exercise validation and the epoch snapshot.
	p.PocTargetFractionBps = uint32(1 + r.Intn(types.MaxTargetFractionBps))
	p.PocCommitSeconds = uint32(1 + r.Intn(120))
	p.PocMopsPerUnit = uint64(1+r.Intn(10_000)) * 1000
	p.VramGbPerVerifiedTops = uint32(r.Intn(5))
	return p
}

// RandomizedGenState writes x/compute's genesis: random params, no workers
// (workers need pools, which x/pool's genesis creates after this one).
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand)
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
