package app

import (
	"time"

	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
)

// simEpochs is x/epochs in the simulation manager: the SDK's randomized
// epochs plus meshd's compute epoch (x/compute and x/rewards run on it),
// 6 to 36 hours long: with blocks 1.4 to 2.8 hours apart a simulation
// crosses many epochs, each a few blocks, like the PoC windows. (With
// 3-hour epochs and 10-block windows, x/compute skipped epochs: more than
// 8 were still settling, its designed back-pressure.) Everything else is
// x/epochs' own.
type simEpochs struct{ epochs.AppModule }

// GenerateGenesisState writes the SDK's random epochs and the compute epoch.
func (m simEpochs) GenerateGenesisState(simState *module.SimulationState) {
	m.AppModule.GenerateGenesisState(simState)
	var gs epochstypes.GenesisState
	simState.Cdc.MustUnmarshalJSON(simState.GenState[epochstypes.ModuleName], &gs)
	d := time.Duration(6+simState.Rand.Intn(31)) * time.Hour
	gs.Epochs = append(gs.Epochs, epochstypes.NewGenesisEpochInfo(ComputeEpochIdentifier, d))
	simState.GenState[epochstypes.ModuleName] = simState.Cdc.MustMarshalJSON(&gs)
}

// simulationOverrides are the modules whose simulation meshd replaces.
func (app *MeshApp) simulationOverrides() map[string]module.AppModuleSimulation {
	return map[string]module.AppModuleSimulation{
		epochstypes.ModuleName: simEpochs{epochs.NewAppModule(app.EpochsKeeper)},
	}
}
