// Package simulation is x/training's part of the app simulation: randomized
// params and a few datasets at genesis, and factories for datasets, items,
// annotations, tasks, joining them, and the rounds' commits, reveals and
// aggregates with a cheap simulated model update (round_factory.go).
package simulation

import (
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/llmesh/mesh/x/training/types"
)

// Labels are the labels simulated datasets and annotators use.
var Labels = []string{"cat", "dog", "bird", "other"}

// RandomParams returns valid params in bondDenom with phases of a few blocks.
func RandomParams(r *rand.Rand, bondDenom string) types.Params {
	p := types.DefaultParams()
	p.MaxInlineItemBytes = uint32(16 + r.Intn(1024))
	p.AnnotationStake = sdk.NewInt64Coin(bondDenom, r.Int63n(10_000))
	p.AnnotatorsPerItem = uint32(1 + r.Intn(5))
	p.MaxDisagreements = uint32(1 + r.Intn(4))
	p.AnnotationSlashBps = uint32(r.Intn(types.BpsScale + 1))
	p.DataPointsPerLabel = uint64(r.Intn(2000))
	p.MinTaskBudget = sdk.NewInt64Coin(bondDenom, 1+r.Int63n(1_000_000))
	p.MaxRounds = uint32(1 + r.Intn(10))
	p.MaxParticipants = uint32(1 + r.Intn(8))
	p.MaxAggregators = uint32(1 + r.Intn(3))
	p.MaxTaskWorkers = uint32(1 + r.Intn(16))
	p.CommitBlocks = int64(1 + r.Intn(3))
	p.RevealBlocks = int64(1 + r.Intn(3))
	p.AggregateBlocks = int64(1 + r.Intn(3))
	p.AggregatorShareBps = uint32(r.Intn(types.BpsScale + 1))
	p.AggregatorSlashFraction = math.LegacyNewDecWithPrec(int64(r.Intn(20)), 2)
	p.TrainingPointsPerSample = uint64(r.Intn(100))
	p.MaxRoundsPerBlock = uint32(1 + r.Intn(20))
	return p
}

// RandomizedGenState writes x/training's genesis: random params and up to
// three datasets owned by simulated accounts (datasets hold no escrow).
func RandomizedGenState(simState *module.SimulationState) {
	r := simState.Rand
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(r, simState.BondDenom)
	n := r.Intn(4)
	for i := 0; i < n && len(simState.Accounts) > 0; i++ {
		owner := simState.Accounts[r.Intn(len(simState.Accounts))]
		id := gs.NextDatasetId
		gs.Datasets = append(gs.Datasets, types.Dataset{
			Id:      id,
			Owner:   owner.Address.String(),
			Name:    fmt.Sprintf("genesis dataset %d", id),
			License: "CC-BY-4.0",
			Labels:  randomLabels(r),
		})
		gs.NextDatasetId++
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}

// randomLabels is no label (free-form) or a non-empty subset of Labels.
func randomLabels(r *rand.Rand) []string {
	if r.Intn(3) == 0 {
		return nil
	}
	var out []string
	for _, l := range Labels {
		if r.Intn(2) == 0 {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		out = Labels[:1]
	}
	return out
}
