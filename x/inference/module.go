// Package inference is the x/inference module: a registry of models and
// decentralized inference jobs answered by redundant x/compute workers under
// commit–reveal, settled by quorum. See README.md.
package inference

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/spf13/cobra"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/llmesh/mesh/x/inference/client/cli"
	"github.com/llmesh/mesh/x/inference/keeper"
	"github.com/llmesh/mesh/x/inference/simulation"
	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// ConsensusVersion is the x/inference consensus version.
const ConsensusVersion = 2

var (
	_ module.AppModuleBasic      = AppModule{}
	_ module.AppModule           = AppModule{} //nolint:staticcheck // the app lists modules as module.AppModule
	_ module.AppModuleSimulation = AppModule{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ module.HasServices         = AppModule{}

	_ appmodule.AppModule       = AppModule{}
	_ appmodule.HasBeginBlocker = AppModule{}
	_ appmodule.HasEndBlocker   = AppModule{}
)

// AppModule is the x/inference app module.
type AppModule struct {
	kit.Simulation
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the x/inference app module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{Simulation: kit.NewSimulation(types.StoreKey, k.Schema, simulation.RandomizedGenState), cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns the module name.
func (AppModule) Name() string { return types.ModuleName }

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// RegisterLegacyAminoCodec registers the amino names of the messages.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the messages with the interface registry.
func (AppModule) RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(ir)
}

// RegisterGRPCGatewayRoutes registers the REST routes of the query service.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// RegisterServices registers the Msg and Query services and the store
// migrations.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQuerier(am.keeper))
	if err := cfg.RegisterMigration(types.ModuleName, 1, keeper.NewMigrator(am.keeper).Migrate1to2); err != nil {
		panic(fmt.Errorf("register x/%s migration 1→2: %w", types.ModuleName, err))
	}
}

// GetTxCmd returns the hand-written tx commands (request, commit, reveal:
// input files, hashing and flags); autocli adds the rest.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// DefaultGenesis returns the default genesis state.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis validates a genesis state.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	return kit.ValidateGenesis[types.GenesisState](cdc, types.ModuleName, bz)
}

// InitGenesis loads the genesis state.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	kit.InitGenesis(ctx, cdc, types.ModuleName, bz, am.keeper.InitGenesis)
}

// ExportGenesis exports the module state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	return kit.ExportGenesis(ctx, cdc, types.ModuleName, am.keeper.ExportGenesis)
}

// BeginBlock assigns queued jobs of earlier blocks to free workers, in
// bounded batches; it never fails the block.
func (am AppModule) BeginBlock(ctx context.Context) error { return am.keeper.BeginBlocker(ctx) }

// EndBlock ends jobs past their deadline, closes commit phases and prunes
// old jobs, in bounded batches; it never fails the block.
func (am AppModule) EndBlock(ctx context.Context) error { return am.keeper.EndBlocker(ctx) }

// Simulation (SDK v0.54 simsx; genesis and store decoder come with the
// embedded kit.Simulation): randomized genesis (params and models),
// store decoder, and factories for requests and for the assigned workers'
// commits and reveals. Models are registered through x/dao (the authority),
// so x/inference has no x/gov proposal messages.

// WeightedOperationsX registers the request, commit and reveal factories.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("inference_msg_request_inference", 100), simulation.MsgRequestInferenceFactory(am.keeper))
	reg.Add(weights.Get("inference_msg_commit_result", 100), simulation.MsgCommitResultFactory(am.keeper))
	reg.Add(weights.Get("inference_msg_reveal_result", 100), simulation.MsgRevealResultFactory(am.keeper))
}
