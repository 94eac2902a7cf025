// Package app wires meshd: it builds the keepers, the module manager and
// baseapp. It holds no business logic; see x/ for that.
package app

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"sort"

	"github.com/spf13/cast"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/gogoproto/proto"
	ibctm "github.com/cosmos/ibc-go/v11/modules/light-clients/07-tendermint"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	reflectionv1 "cosmossdk.io/api/cosmos/reflection/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/std"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/version"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	"github.com/cosmos/cosmos-sdk/x/auth/posthandler"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/cosmos/cosmos-sdk/x/tx/signing"

	meshabci "github.com/llmesh/mesh/app/abci"
	daotypes "github.com/llmesh/mesh/x/dao/types"

	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"
)

var (
	_ runtime.AppI            = (*MeshApp)(nil)
	_ servertypes.Application = (*MeshApp)(nil)
)

// MeshApp is the meshd ABCI application.
type MeshApp struct {
	*baseapp.BaseApp
	AppKeepers

	legacyAmino       *codec.LegacyAmino
	appCodec          codec.Codec
	txConfig          client.TxConfig
	interfaceRegistry types.InterfaceRegistry

	// keys to access the substores, by store name.
	keys map[string]*storetypes.KVStoreKey

	// tmLightClient is the 07-tendermint light client, shared by IBC core and its app module.
	tmLightClient ibctm.LightClientModule

	ModuleManager      *module.Manager
	BasicModuleManager module.BasicManager
	sm                 *module.SimulationManager
	configurator       module.Configurator

	// voteExtensions makes, checks and applies vote extensions (app/abci).
	voteExtensions *meshabci.VoteExtensions
}

// NewMeshApp returns a fully wired meshd application. loadLatest loads the
// last committed state (false is used by the CLI's throw-away instance).
func NewMeshApp(
	logger log.Logger,
	db dbm.DB,
	loadLatest bool,
	appOpts servertypes.AppOptions,
	wasmOpts []wasmkeeper.Option,
	baseAppOptions ...func(*baseapp.BaseApp),
) *MeshApp {
	SetAddressConfig()

	interfaceRegistry, err := types.NewInterfaceRegistryWithOptions(types.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          address.Bech32Codec{Bech32Prefix: Bech32PrefixAccAddr},
			ValidatorAddressCodec: address.Bech32Codec{Bech32Prefix: Bech32PrefixValAddr},
		},
	})
	if err != nil {
		panic(err)
	}
	appCodec := codec.NewProtoCodec(interfaceRegistry)
	legacyAmino := codec.NewLegacyAmino()
	txConfig := authtx.NewTxConfig(appCodec, authtx.DefaultSignModes)

	std.RegisterLegacyAminoCodec(legacyAmino)
	std.RegisterInterfaces(interfaceRegistry)

	bApp := baseapp.NewBaseApp(AppName, logger, db, txConfig.TxDecoder(), baseAppOptions...)
	bApp.SetVersion(version.Version)
	bApp.SetInterfaceRegistry(interfaceRegistry)
	bApp.SetTxEncoder(txConfig.TxEncoder())

	keys := storetypes.NewKVStoreKeys(StoreKeys()...)
	if err := bApp.RegisterStreamingServices(appOpts, keys); err != nil {
		panic(err)
	}

	app := &MeshApp{
		BaseApp:           bApp,
		legacyAmino:       legacyAmino,
		appCodec:          appCodec,
		txConfig:          txConfig,
		interfaceRegistry: interfaceRegistry,
		keys:              keys,
	}

	nodeConfig, err := app.newKeepers(appOpts, logger, wasmOpts)
	if err != nil {
		panic(err)
	}

	app.ModuleManager = module.NewManager(app.appModules(txConfig)...)
	app.BasicModuleManager = newBasicManager(app.ModuleManager)
	app.BasicModuleManager.RegisterLegacyAminoCodec(legacyAmino)
	app.BasicModuleManager.RegisterInterfaces(interfaceRegistry)
	setModuleOrder(app.ModuleManager)

	app.configurator = module.NewConfigurator(app.appCodec, app.MsgServiceRouter(), app.GRPCQueryRouter())
	if err := app.ModuleManager.RegisterServices(app.configurator); err != nil {
		panic(err)
	}
	app.registerUpgradeHandlers()

	autocliv1.RegisterQueryServer(app.GRPCQueryRouter(), runtimeservices.NewAutoCLIQueryService(app.ModuleManager.Modules))
	reflectionSvc, err := runtimeservices.NewReflectionService()
	if err != nil {
		panic(err)
	}
	reflectionv1.RegisterReflectionServiceServer(app.GRPCQueryRouter(), reflectionSvc)

	app.sm = module.NewSimulationManagerFromAppModules(app.ModuleManager.Modules, app.simulationOverrides())
	app.sm.RegisterStoreDecoders()

	app.MountKVStores(keys)

	if err := app.setABCIHandlers(appOpts, logger); err != nil {
		panic(fmt.Errorf("vote extensions: %w", err))
	}
	app.SetInitChainer(app.InitChainer)
	app.SetPreBlocker(app.PreBlocker)
	app.SetBeginBlocker(app.BeginBlocker)
	app.SetEndBlocker(app.EndBlocker)

	anteHandler, err := NewAnteHandler(app.anteOptions(nodeConfig))
	if err != nil {
		panic(fmt.Errorf("ante handler: %w", err))
	}
	app.SetAnteHandler(anteHandler)
	postHandler, err := posthandler.NewPostHandler(posthandler.HandlerOptions{})
	if err != nil {
		panic(err)
	}
	app.SetPostHandler(postHandler)

	// The wasm snapshotter must be registered before the state is loaded so
	// that state-sync snapshots carry contract code.
	if manager := app.SnapshotManager(); manager != nil {
		if err := manager.RegisterExtensions(wasmkeeper.NewWasmSnapshotter(app.CommitMultiStore(), &app.WasmKeeper)); err != nil {
			panic(fmt.Errorf("register wasm snapshot extension: %w", err))
		}
	}

	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Errorf("load latest version: %w", err))
		}
		// Pinned contracts live in wasmvm's in-memory cache, which is not persisted.
		ctx := app.NewContextLegacy(true, cmtproto.Header{})
		if err := app.WasmKeeper.InitializePinnedCodes(ctx); err != nil {
			panic(fmt.Errorf("initialize pinned wasm codes: %w", err))
		}
	}
	return app
}

// Name returns the name of the App.
func (app *MeshApp) Name() string { return app.BaseApp.Name() }

// PreBlocker runs the modules' pre-blockers (upgrade, auth), then applies
// the extended commit the block carries (beacon shares, validators'
// worker commitments; see app/abci).
func (app *MeshApp) PreBlocker(ctx sdk.Context, req *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	resp, err := app.ModuleManager.PreBlock(ctx)
	if err != nil {
		return resp, err
	}
	app.voteExtensions.Apply(ctx, req, app.InferenceKeeper, meshabci.Jailer{Staking: app.StakingKeeper, Slashing: app.SlashingKeeper})
	return resp, nil
}

// setABCIHandlers installs the vote-extension and proposal handlers of
// app/abci, configured from app.toml's [mesh] section.
func (app *MeshApp) setABCIHandlers(appOpts servertypes.AppOptions, logger log.Logger) error {
	cfg, err := meshabci.ReadConfig(appOpts)
	if err != nil {
		return err
	}
	self, err := meshabci.ReadConsAddress(privValidatorKeyFile(appOpts))
	if err != nil {
		return err
	}
	var sidecar meshabci.Sidecar
	if cfg.WorkerSidecar != "" {
		sidecar = meshabci.NewGRPCSidecar(cfg.WorkerSidecar, cfg.SidecarTimeout)
	}
	ve := meshabci.NewVoteExtensions(logger, app.ComputeKeeper, app.StakingKeeper, nil, self, sidecar, cfg.SidecarTimeout)
	if cast.ToString(appOpts.Get(flags.FlagHome)) != "" {
		ve.WithBeaconKeyFile(cfg.BeaconKeyFile)
	}
	app.voteExtensions = ve
	app.SetExtendVoteHandler(ve.ExtendVote)
	app.SetVerifyVoteExtensionHandler(ve.VerifyVoteExtension)
	inner := baseapp.NewDefaultProposalHandler(app.Mempool(), app)
	proposals := meshabci.NewProposals(ve, inner.PrepareProposalHandler(), inner.ProcessProposalHandler())
	app.SetPrepareProposal(proposals.PrepareProposal)
	app.SetProcessProposal(proposals.ProcessProposal)
	return nil
}

// privValidatorKeyFile is config.toml's priv_validator_key_file, resolved
// against the node home.
func privValidatorKeyFile(appOpts servertypes.AppOptions) string {
	home := cast.ToString(appOpts.Get(flags.FlagHome))
	file := cast.ToString(appOpts.Get("priv_validator_key_file"))
	if home == "" {
		return ""
	}
	if file == "" {
		file = filepath.Join("config", "priv_validator_key.json")
	}
	if filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(home, file)
}

// BeginBlocker runs the modules' begin-blockers.
func (app *MeshApp) BeginBlocker(ctx sdk.Context) (sdk.BeginBlock, error) {
	return app.ModuleManager.BeginBlock(ctx)
}

// EndBlocker runs the modules' end-blockers.
func (app *MeshApp) EndBlocker(ctx sdk.Context) (sdk.EndBlock, error) {
	return app.ModuleManager.EndBlock(ctx)
}

// Configurator returns the module configurator used for services and migrations.
func (app *MeshApp) Configurator() module.Configurator { return app.configurator }

// InitChainer initialises every module from the genesis app state.
func (app *MeshApp) InitChainer(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var genesisState GenesisState
	if err := json.Unmarshal(req.AppStateBytes, &genesisState); err != nil {
		return nil, fmt.Errorf("decode genesis app state: %w", err)
	}
	if err := app.UpgradeKeeper.SetModuleVersionMap(ctx, app.ModuleManager.GetVersionMap()); err != nil {
		return nil, err
	}
	return app.ModuleManager.InitGenesis(ctx, app.appCodec, genesisState)
}

// LoadHeight loads the state at a given height.
func (app *MeshApp) LoadHeight(height int64) error { return app.LoadVersion(height) }

// LegacyAmino returns the amino codec (for legacy JSON signing only).
func (app *MeshApp) LegacyAmino() *codec.LegacyAmino { return app.legacyAmino }

// AppCodec returns the app's protobuf codec.
func (app *MeshApp) AppCodec() codec.Codec { return app.appCodec }

// InterfaceRegistry returns the app's interface registry.
func (app *MeshApp) InterfaceRegistry() types.InterfaceRegistry { return app.interfaceRegistry }

// TxConfig returns the app's tx config.
func (app *MeshApp) TxConfig() client.TxConfig { return app.txConfig }

// DefaultGenesis returns meshd's default genesis (umesh everywhere).
func (app *MeshApp) DefaultGenesis() map[string]json.RawMessage {
	return app.BasicModuleManager.DefaultGenesis(app.appCodec)
}

// AutoCliOpts returns the autocli options: every module's Msg and Query
// services become `meshd tx <module> …` and `meshd q <module> …`.
func (app *MeshApp) AutoCliOpts() autocli.AppOptions {
	modules := make(map[string]appmodule.AppModule)
	for _, m := range app.ModuleManager.Modules {
		if named, ok := m.(module.HasName); ok {
			if am, ok := named.(appmodule.AppModule); ok {
				modules[named.Name()] = am
			}
		}
	}
	return autocli.AppOptions{
		Modules:               modules,
		ModuleOptions:         runtimeservices.ExtractAutoCLIOptions(app.ModuleManager.Modules),
		AddressCodec:          authcodec.NewBech32Codec(Bech32PrefixAccAddr),
		ValidatorAddressCodec: authcodec.NewBech32Codec(Bech32PrefixValAddr),
		ConsensusAddressCodec: authcodec.NewBech32Codec(Bech32PrefixConsAddr),
	}
}

// GetKey returns the KVStoreKey for a store name (tests and upgrades).
func (app *MeshApp) GetKey(storeKey string) *storetypes.KVStoreKey { return app.keys[storeKey] }

// GetStoreKeys returns all store keys sorted by name.
func (app *MeshApp) GetStoreKeys() []storetypes.StoreKey {
	keys := make([]storetypes.StoreKey, 0, len(app.keys))
	for _, key := range app.keys {
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name() < keys[j].Name() })
	return keys
}

// SimulationManager implements runtime.AppI.
func (app *MeshApp) SimulationManager() *module.SimulationManager { return app.sm }

// RegisterAPIRoutes registers the REST (grpc-gateway) routes of every module.
func (app *MeshApp) RegisterAPIRoutes(apiSvr *api.Server, apiConfig config.APIConfig) {
	clientCtx := apiSvr.ClientCtx
	authtx.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	cmtservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	nodeservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	app.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	registerOpenAPI(apiSvr)
	if err := server.RegisterSwaggerAPI(apiSvr.ClientCtx, apiSvr.Router, apiConfig.Swagger); err != nil {
		panic(err)
	}
}

// RegisterTxService registers the tx simulation/broadcast gRPC service.
func (app *MeshApp) RegisterTxService(clientCtx client.Context) {
	authtx.RegisterTxService(app.GRPCQueryRouter(), clientCtx, app.Simulate, app.interfaceRegistry)
}

// RegisterTendermintService registers the CometBFT gRPC query service.
func (app *MeshApp) RegisterTendermintService(clientCtx client.Context) {
	cmtApp := server.NewCometABCIWrapper(app)
	cmtservice.RegisterTendermintService(clientCtx, app.GRPCQueryRouter(), app.interfaceRegistry, cmtApp.Query)
}

// RegisterNodeService registers the node gRPC service (reports the earliest store height).
func (app *MeshApp) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg, func() int64 {
		return app.CommitMultiStore().EarliestVersion()
	})
}

// GetMaccPerms returns a copy of the module account permissions.
func GetMaccPerms() map[string][]string { return maps.Clone(maccPerms) }

// BlockedAddresses returns the module accounts that may not receive funds
// through bank sends. The gov account may (deposits are refunded from it),
// and so may the DAO treasury: x/inference refunds the unspent fee of a
// proposal's analysis job to it, and anyone may donate to it.
func BlockedAddresses() map[string]bool {
	blocked := make(map[string]bool)
	for acc := range maccPerms {
		blocked[authtypes.NewModuleAddress(acc).String()] = true
	}
	delete(blocked, authtypes.NewModuleAddress(govtypes.ModuleName).String())
	delete(blocked, authtypes.NewModuleAddress(daotypes.ModuleName).String())
	return blocked
}
