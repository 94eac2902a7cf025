package kit

import (
	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
)

// Simulation is the part of a module's simulation methods that the six
// modules share; each AppModule embeds one and adds its own
// WeightedOperationsX (the simsx message factories).
type Simulation struct {
	storeKey string
	schema   collections.Schema
	genesis  func(*module.SimulationState)
}

// NewSimulation returns the shared simulation methods of the module whose
// store is storeKey with the collections schema, and whose randomized
// genesis genesis writes.
func NewSimulation(storeKey string, schema collections.Schema, genesis func(*module.SimulationState)) Simulation {
	return Simulation{storeKey: storeKey, schema: schema, genesis: genesis}
}

// GenerateGenesisState writes the module's randomized genesis.
func (s Simulation) GenerateGenesisState(simState *module.SimulationState) {
	s.genesis(simState)
}

// RegisterStoreDecoder decodes the module's store from its collections schema.
func (s Simulation) RegisterStoreDecoder(sdr simtypes.StoreDecoderRegistry) {
	sdr[s.storeKey] = simtypes.NewStoreDecoderFuncFromCollectionsSchema(s.schema)
}

// WeightedOperations is empty: the operations are WeightedOperationsX's.
func (Simulation) WeightedOperations(module.SimulationState) []simtypes.WeightedOperation {
	return nil
}
