package pool

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

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/client/cli"
	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/simulation"
	"github.com/llmesh/mesh/x/pool/types"
)

// ConsensusVersion is the x/pool state version; bump it with a migration.
const ConsensusVersion = 2

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

// AppModule is the x/pool module: compute-provider staking pools.
type AppModule struct {
	kit.Simulation
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the x/pool module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{Simulation: kit.NewSimulation(types.StoreKey, k.Schema, simulation.RandomizedGenState), cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns "pool".
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
	if err := cfg.RegisterMigration(types.ModuleName, 1, keeper.NewMigrator(am.keeper).Migrate1to2); err != nil {
		panic(fmt.Errorf("register x/%s migration 1→2: %w", types.ModuleName, err))
	}
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

// GetTxCmd returns the hand-written create-pool command; autocli adds the
// other tx commands to it.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// EndBlock pays matured unbondings in capped batches.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// Simulation (SDK v0.54 simsx; genesis and store decoder come with the
// embedded kit.Simulation): randomized genesis, store decoder and one
// message factory per user message. x/pool has no x/gov proposal messages:
// its authority is x/dao, whose simulation proposes its params changes.

// WeightedOperationsX registers a factory for every message a user sends.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("pool_msg_create_pool", 20), simulation.MsgCreatePoolFactory(am.keeper))
	reg.Add(weights.Get("pool_msg_delegate", 100), simulation.MsgDelegateFactory(am.keeper))
	reg.Add(weights.Get("pool_msg_undelegate", 50), simulation.MsgUndelegateFactory(am.keeper))
	reg.Add(weights.Get("pool_msg_claim", 50), simulation.MsgClaimFactory(am.keeper))
	reg.Add(weights.Get("pool_msg_unjail", 20), simulation.MsgUnjailFactory(am.keeper))
}
