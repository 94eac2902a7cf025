package training

import (
	"context"
	"encoding/json"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/spf13/cobra"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/training/client/cli"
	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/simulation"
	"github.com/llmesh/mesh/x/training/types"
)

// ConsensusVersion is the x/training state version; bump it with a migration.
const ConsensusVersion = 1

var (
	_ module.HasName             = AppModule{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ module.AppModule           = AppModule{} //nolint:staticcheck // the module manager still takes it
	_ module.AppModuleSimulation = AppModule{}

	_ appmodule.AppModule     = AppModule{}
	_ appmodule.HasEndBlocker = AppModule{}
)

// AppModule is the x/training module: datasets labelled by staked
// annotators, and federated training tasks run by x/compute workers in
// commit–reveal rounds, whose result becomes a candidate x/inference model.
type AppModule struct {
	kit.Simulation
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the x/training module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{Simulation: kit.NewSimulation(types.StoreKey, k.Schema, simulation.RandomizedGenState), cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns "training".
func (AppModule) Name() string { return types.ModuleName }

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// RegisterLegacyAminoCodec registers the Msgs for amino JSON signing.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the Msgs and the Msg service.
func (AppModule) RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(ir)
}

// RegisterGRPCGatewayRoutes registers the REST routes of the Query service.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQuerier(am.keeper))
}

// DefaultGenesis returns the default genesis state as JSON.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks a genesis state given as JSON.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	return kit.ValidateGenesis[types.GenesisState](cdc, types.ModuleName, bz)
}

// InitGenesis writes the genesis state; it panics on an invalid one, as the
// chain cannot start from it.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	kit.InitGenesis(ctx, cdc, types.ModuleName, bz, am.keeper.InitGenesis)
}

// ExportGenesis returns the state as JSON.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	return kit.ExportGenesis(ctx, cdc, types.ModuleName, am.keeper.ExportGenesis)
}

// GetTxCmd returns the hand-written contribute and create-task commands
// (they read files); autocli adds the other tx commands to it.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// EndBlock moves the running tasks' rounds whose phase has ended on, in
// batches of max_rounds_per_block.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// Simulation (SDK v0.54 simsx; genesis and store decoder come with the
// embedded kit.Simulation): randomized genesis, store decoder and
// factories for datasets, items, annotations, tasks, joins and the rounds'
// commits, reveals and aggregates (a simulated update). The authority is x/dao, so x/training has no x/gov proposal messages.

// WeightedOperationsX registers a factory for every data, task and round message.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("training_msg_register_dataset", 10), simulation.MsgRegisterDatasetFactory())
	reg.Add(weights.Get("training_msg_contribute_item", 60), simulation.MsgContributeItemFactory(am.keeper))
	reg.Add(weights.Get("training_msg_annotate", 80), simulation.MsgAnnotateFactory(am.keeper))
	reg.Add(weights.Get("training_msg_create_task", 10), simulation.MsgCreateTaskFactory(am.keeper))
	reg.Add(weights.Get("training_msg_join_task", 30), simulation.MsgJoinTaskFactory(am.keeper))
	reg.Add(weights.Get("training_msg_commit_update", 60), simulation.MsgCommitUpdateFactory(am.keeper))
	reg.Add(weights.Get("training_msg_reveal_update", 60), simulation.MsgRevealUpdateFactory(am.keeper))
	reg.Add(weights.Get("training_msg_submit_aggregate", 60), simulation.MsgSubmitAggregateFactory(am.keeper))
}
