// Package simulation is x/dao's part of the app simulation: randomized
// params (voting periods and timelocks of hours, so proposals pass, fail
// and execute within a short run) and factories for every DAO message:
// locks, vote delegation, proposals, votes and execution. Proposals carry
// the messages x/dao governs: params changes of the six custom modules and
// payments from the treasury.
package simulation

import (
	"math/rand"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	computesim "github.com/llmesh/mesh/x/compute/simulation"
	"github.com/llmesh/mesh/x/dao/types"
)

// RandomParams returns valid params in bondDenom, with periods of hours
// (the simulation's blocks are 1.4 to 2.8 hours apart).
func RandomParams(r *rand.Rand, bondDenom string) types.Params {
	p := types.DefaultParams()
	p.LockDenom = bondDenom
	p.MinLock = math.NewInt(1 + r.Int63n(1_000_000))
	p.MinLockDuration = time.Duration(1+r.Intn(24)) * time.Hour
	p.MaxLockDuration = p.MinLockDuration + time.Duration(1+r.Intn(30*24))*time.Hour
	p.MaxMultiplierBps = uint32(types.BpsScale + r.Intn(types.MaxMultiplierBps-types.BpsScale+1))
	p.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(bondDenom, r.Int63n(1_000_000)))
	p.VotingPeriod = time.Duration(2+r.Intn(24)) * time.Hour
	p.Timelock = time.Duration(r.Intn(12)) * time.Hour
	p.ExecutionWindow = time.Duration(6+r.Intn(48)) * time.Hour
	p.QuorumBps = uint32(r.Intn(5001))
	p.ThresholdBps = uint32(3000 + r.Intn(4001))
	p.VetoThresholdBps = uint32(2000 + r.Intn(8001))
	// Half of the runs ask x/inference for an analysis of every proposal.
	p.AnalysisModel = ""
	if r.Intn(2) == 0 {
		p.AnalysisModel = computesim.ModelIDs[r.Intn(len(computesim.ModelIDs))]
	}
	p.AnalysisMaxFee = sdk.NewInt64Coin(bondDenom, 1+r.Int63n(100_000))
	p.AnalysisRedundancy = uint32(1 + r.Intn(3))
	p.MaxMessages = uint32(1 + r.Intn(4))
	p.MaxProposalsPerBlock = uint32(1 + r.Intn(8))
	return p
}

// RandomizedGenState writes x/dao's genesis: random params, no locks or
// proposals (those are the factories' work).
func RandomizedGenState(simState *module.SimulationState) {
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(simState.Rand, simState.BondDenom)
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
