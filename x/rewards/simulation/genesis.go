// Package simulation is x/rewards' part of the app simulation: randomized
// params (shares, category weights, bonuses, fee burn) and the one user
// message, MsgClaimRewards. Points come from the other modules' simulated
// work (inference settlements, training, data annotations).
package simulation

import (
	"math/rand"

	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/llmesh/mesh/x/rewards/types"
)

// RandomParams returns valid params: shares and weights in basis points
// that add up, bonuses within their caps.
func RandomParams(r *rand.Rand) types.Params {
	p := types.DefaultParams()
	p.ComputeShareBps = uint32(r.Intn(types.BpsScale + 1))
	p.TreasuryShareBps = uint32(r.Intn(int(types.BpsScale-p.ComputeShareBps) + 1))
	// Random weights over a random non-empty subset of the four categories.
	names := []string{types.CategoryPoC, types.CategoryInference, types.CategoryTraining, types.CategoryData}
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	names = names[:1+r.Intn(len(names))]
	left := uint32(types.BpsScale - len(names)) // every weight is at least 1
	p.Categories = nil
	for i, n := range names {
		extra := left
		if i < len(names)-1 {
			extra = uint32(r.Intn(int(left) + 1))
		}
		left -= extra
		p.Categories = append(p.Categories, types.CategoryWeight{Name: n, WeightBps: 1 + extra})
	}
	p.MaxEpochsPerClaim = uint32(1 + r.Intn(10))
	p.QualityThresholdBps = uint32(r.Intn(types.BpsScale + 1))
	p.QualityBonusBps = uint32(r.Intn(5001))
	p.SpeedMaxLatencyBlocks = uint64(r.Intn(10))
	p.SpeedBonusBps = uint32(r.Intn(5001))
	p.EarlyContributors = uint64(r.Intn(20))
	p.EarlyBonusBps = uint32(r.Intn(10_001))
	p.FeeBurnBps = uint32(r.Intn(types.BpsScale + 1))
	p.StabilityBonusBpsPerEpoch = uint32(r.Intn(500))
	p.StabilityBonusMaxBps = uint32(r.Intn(5001))
	return p
}

// RandomizedGenState writes x/rewards' genesis: random params, epoch 1 open.
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand)
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
