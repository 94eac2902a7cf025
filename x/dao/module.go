package dao

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

	"github.com/llmesh/mesh/x/dao/client/cli"
	"github.com/llmesh/mesh/x/dao/keeper"
	"github.com/llmesh/mesh/x/dao/simulation"
	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// ConsensusVersion is the x/dao state version; bump it with a migration.
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

// AppModule is the x/dao module: quadratic, conviction-weighted governance
// of the meshd modules, with a timelock and the DAO treasury.
type AppModule struct {
	kit.Simulation
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the x/dao module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{Simulation: kit.NewSimulation(types.StoreKey, k.Schema, simulation.RandomizedGenState), cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns "dao".
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

// GetTxCmd returns the hand-written submit-proposal command; autocli adds
// the other tx commands to it.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// EndBlock ends voting periods and expires passed proposals, in batches of
// max_proposals_per_block.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// Simulation (SDK v0.54 simsx; genesis and store decoder come with the
// embedded kit.Simulation): randomized genesis, store decoder and a
// factory for every DAO message. x/dao's proposals are its own (not
// x/gov's): MsgSubmitProposalFactory fills them with the messages x/dao
// governs, so no module registers x/gov proposal messages for it.

// WeightedOperationsX registers a factory for every DAO message.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("dao_msg_lock", 60), simulation.MsgLockFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_extend_lock", 15), simulation.MsgExtendLockFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_unlock", 20), simulation.MsgUnlockFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_delegate_votes", 20), simulation.MsgDelegateVotesFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_undelegate_votes", 10), simulation.MsgUndelegateVotesFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_submit_proposal", 15), simulation.MsgSubmitProposalFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_vote", 80), simulation.MsgVoteFactory(am.keeper))
	reg.Add(weights.Get("dao_msg_execute_proposal", 40), simulation.MsgExecuteProposalFactory(am.keeper))
}
