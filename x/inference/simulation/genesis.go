// Package simulation is x/inference's part of the app simulation: randomized
// params and models, and factories for requests and for the assigned
// workers' commits and reveals. The workers' answers are simulated cheaply:
// an output derived from the job's input, with one worker in ten lying, so
// that agreement, outliers and slashing all happen.
package simulation

import (
	"encoding/hex"
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	computesim "github.com/llmesh/mesh/x/compute/simulation"
	"github.com/llmesh/mesh/x/inference/types"
)

// RandomParams returns valid params with phases of a few blocks.
func RandomParams(r *rand.Rand) types.Params {
	p := types.DefaultParams()
	p.MaxInputBytes = uint32(64 + r.Intn(4096))
	p.MaxOutputBytes = uint32(64 + r.Intn(1024))
	p.MinRedundancy = 1
	p.MaxRedundancy = uint32(1 + r.Intn(4))
	p.DefaultRedundancy = uint32(1 + r.Intn(int(p.MaxRedundancy)))
	p.CommitBlocks = int64(1 + r.Intn(4))
	p.RevealBlocks = int64(1 + r.Intn(4))
	p.MaxOpenJobsPerWorker = uint32(1 + r.Intn(16))
	p.MaxQueuedPerModel = uint32(r.Intn(32))
	p.FeeBurnBps = uint32(r.Intn(3000))
	p.ProtocolFeeBps = uint32(r.Intn(3000))
	p.SpeedBonusBps = uint32(r.Intn(types.BpsScale + 1))
	p.LiarSlashFraction = math.LegacyNewDecWithPrec(int64(r.Intn(10)), 2)
	p.MaxExpirationsPerBlock = uint32(1 + r.Intn(50))
	p.JobRetentionBlocks = int64(r.Intn(20))
	return p
}

// RandomModels returns an ACTIVE model for each of compute's simulated
// model ids, priced in bondDenom.
func RandomModels(r *rand.Rand, bondDenom string) []types.Model {
	out := make([]types.Model, 0, len(computesim.ModelIDs))
	for i, id := range computesim.ModelIDs {
		out = append(out, types.Model{
			Id:            id,
			Name:          fmt.Sprintf("Simulated model %d", i),
			Version:       "v1",
			WeightsDigest: hex.EncodeToString(types.Digest([]byte(id))), // x/training needs one
			Runtime:       types.RuntimeInt8Embedded,
			Deterministic: r.Intn(2) == 0,
			Prices:        sdk.NewCoins(sdk.NewInt64Coin(bondDenom, 1+r.Int63n(10_000))),
			MinVramGb:     uint32(r.Intn(3) * 8),
			Status:        types.MODEL_STATUS_ACTIVE,
		})
	}
	return out
}

// RandomizedGenState writes x/inference's genesis: random params, the
// simulated models, no jobs.
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand)
	gs.Models = RandomModels(simState.Rand, simState.BondDenom)
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
