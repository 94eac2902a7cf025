package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cast"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensusparamkeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensusparamtypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	epochskeeper "github.com/cosmos/cosmos-sdk/x/epochs/keeper"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	evidencekeeper "github.com/cosmos/cosmos-sdk/x/evidence/keeper"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	feegrantkeeper "github.com/cosmos/cosmos-sdk/x/feegrant/keeper"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1beta1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1beta1"
	mintkeeper "github.com/cosmos/cosmos-sdk/x/mint/keeper"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	protocolpoolkeeper "github.com/cosmos/cosmos-sdk/x/protocolpool/keeper"
	protocolpooltypes "github.com/cosmos/cosmos-sdk/x/protocolpool/types"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	upgradekeeper "github.com/cosmos/cosmos-sdk/x/upgrade/keeper"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	gmpkeeper "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/keeper"
	gmptypes "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/types"
	icacontrollerkeeper "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/controller/keeper"
	icacontrollertypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/controller/types"
	icahostkeeper "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/keeper"
	icahosttypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/types"
	icatypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/types"
	ibctransferkeeper "github.com/cosmos/ibc-go/v11/modules/apps/transfer/keeper"
	ibctransfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	ibcexported "github.com/cosmos/ibc-go/v11/modules/core/exported"
	ibckeeper "github.com/cosmos/ibc-go/v11/modules/core/keeper"

	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	daokeeper "github.com/llmesh/mesh/x/dao/keeper"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	ibcinferkeeper "github.com/llmesh/mesh/x/ibcinfer/keeper"
	ibcinfertypes "github.com/llmesh/mesh/x/ibcinfer/types"
	inferencekeeper "github.com/llmesh/mesh/x/inference/keeper"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	poolkeeper "github.com/llmesh/mesh/x/pool/keeper"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardskeeper "github.com/llmesh/mesh/x/rewards/keeper"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	trainingkeeper "github.com/llmesh/mesh/x/training/keeper"
	trainingtypes "github.com/llmesh/mesh/x/training/types"

	"github.com/CosmWasm/wasmd/x/wasm"
	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"
	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"
)

// AppKeepers holds every keeper of the app. Adding a module means adding
// its keeper here, its store key to StoreKeys, and its construction to
// newKeepers.
type AppKeepers struct {
	// SDK modules
	AccountKeeper         authkeeper.AccountKeeper
	BankKeeper            bankkeeper.BaseKeeper
	StakingKeeper         *stakingkeeper.Keeper
	SlashingKeeper        slashingkeeper.Keeper
	MintKeeper            mintkeeper.Keeper
	DistrKeeper           distrkeeper.Keeper
	GovKeeper             govkeeper.Keeper
	UpgradeKeeper         *upgradekeeper.Keeper
	EvidenceKeeper        evidencekeeper.Keeper
	ConsensusParamsKeeper consensusparamkeeper.Keeper
	FeeGrantKeeper        feegrantkeeper.Keeper
	AuthzKeeper           authzkeeper.Keeper
	EpochsKeeper          *epochskeeper.Keeper
	ProtocolPoolKeeper    protocolpoolkeeper.Keeper

	// IBC
	IBCKeeper           *ibckeeper.Keeper
	TransferKeeper      *ibctransferkeeper.Keeper
	ICAControllerKeeper *icacontrollerkeeper.Keeper
	ICAHostKeeper       *icahostkeeper.Keeper
	GMPKeeper           *gmpkeeper.Keeper

	// CosmWasm
	WasmKeeper wasmkeeper.Keeper

	// meshd compute modules
	PoolKeeper      poolkeeper.Keeper
	ComputeKeeper   computekeeper.Keeper
	InferenceKeeper inferencekeeper.Keeper
	RewardsKeeper   rewardskeeper.Keeper
	DaoKeeper       daokeeper.Keeper
	TrainingKeeper  trainingkeeper.Keeper
	IBCInferKeeper  *ibcinferkeeper.Keeper
}

// StoreKeys lists every KV store the app mounts. The list is pinned by a
// test: removing or renaming a store breaks existing chains.
func StoreKeys() []string {
	return []string{
		authtypes.StoreKey,
		banktypes.StoreKey,
		stakingtypes.StoreKey,
		minttypes.StoreKey,
		distrtypes.StoreKey,
		slashingtypes.StoreKey,
		govtypes.StoreKey,
		consensusparamtypes.StoreKey,
		upgradetypes.StoreKey,
		feegrant.StoreKey,
		evidencetypes.StoreKey,
		authzkeeper.StoreKey,
		epochstypes.StoreKey,
		protocolpooltypes.StoreKey,
		ibcexported.StoreKey,
		ibctransfertypes.StoreKey,
		icahosttypes.StoreKey,
		icacontrollertypes.StoreKey,
		wasmtypes.StoreKey,
		pooltypes.StoreKey,
		computetypes.StoreKey,
		inferencetypes.StoreKey,
		rewardstypes.StoreKey,
		daotypes.StoreKey,
		trainingtypes.StoreKey,
		ibcinfertypes.StoreKey,
		gmptypes.StoreKey,
	}
}

// maccPerms are the module accounts and what each may do with the supply.
var maccPerms = map[string][]string{
	authtypes.FeeCollectorName:                  nil,
	distrtypes.ModuleName:                       nil,
	minttypes.ModuleName:                        {authtypes.Minter},
	stakingtypes.BondedPoolName:                 {authtypes.Burner, authtypes.Staking},
	stakingtypes.NotBondedPoolName:              {authtypes.Burner, authtypes.Staking},
	govtypes.ModuleName:                         {authtypes.Burner},
	protocolpooltypes.ModuleName:                nil,
	protocolpooltypes.ProtocolPoolEscrowAccount: nil,
	ibctransfertypes.ModuleName:                 {authtypes.Minter, authtypes.Burner},
	icatypes.ModuleName:                         nil,
	wasmtypes.ModuleName:                        {authtypes.Burner},
	// x/pool holds bonded and unbonding stake and pool rewards; slashes burn from it.
	pooltypes.ModuleName: {authtypes.Burner},
	// The DAO treasury (x/dao): x/rewards' treasury share and, when x/pool's
	// slash_destination says so, slashed stake; only executed proposals spend it.
	daotypes.ModuleName: nil,
	// x/dao's locked tokens and proposal deposits, apart from the treasury;
	// vetoed deposits are burned from it.
	daotypes.EscrowAccount: {authtypes.Burner},
	// x/inference escrows job fees and burns fee_burn_bps of each paid fee.
	inferencetypes.ModuleName: {authtypes.Burner},
	// protocol_fee_bps of each paid inference fee waits here for x/rewards.
	inferencetypes.ProtocolFeeAccount: nil,
	// x/rewards holds the compute share of block rewards and the swept
	// protocol fees until providers claim them.
	rewardstypes.ModuleName: {authtypes.Burner},
	// x/training escrows annotation stakes and task budgets; slashed
	// annotation stakes are burned from it.
	trainingtypes.ModuleName: {authtypes.Burner},
}

// govAuthority is the address allowed to update SDK, IBC and wasm params and
// to schedule upgrades.
func govAuthority() string { return authtypes.NewModuleAddress(govtypes.ModuleName).String() }

// daoAuthority is the authority of meshd's own modules (x/pool, x/compute,
// x/inference, x/rewards, x/dao): the DAO module account, which signs the
// messages of executed x/dao proposals.
func daoAuthority() string { return authtypes.NewModuleAddress(daotypes.ModuleName).String() }

// newKeepers constructs every keeper in dependency order. It returns the wasm
// node config because the ante handler needs it too.
func (app *MeshApp) newKeepers(appOpts servertypes.AppOptions, logger log.Logger, wasmOpts []wasmkeeper.Option) (wasmtypes.NodeConfig, error) {
	keys, cdc, authority := app.keys, app.appCodec, govAuthority()
	accCodec := authcodec.NewBech32Codec(Bech32PrefixAccAddr)

	app.ConsensusParamsKeeper = consensusparamkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[consensusparamtypes.StoreKey]), authority, runtime.EventService{})
	app.SetParamStore(app.ConsensusParamsKeeper.ParamsStore)

	app.AccountKeeper = authkeeper.NewAccountKeeper(cdc,
		runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, maccPerms, accCodec, Bech32PrefixAccAddr, authority)

	app.BankKeeper = bankkeeper.NewBaseKeeper(cdc,
		runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		app.AccountKeeper, BlockedAddresses(), authority, logger)

	app.StakingKeeper = stakingkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[stakingtypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, authority,
		authcodec.NewBech32Codec(Bech32PrefixValAddr), authcodec.NewBech32Codec(Bech32PrefixConsAddr))

	app.MintKeeper = mintkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[minttypes.StoreKey]),
		app.StakingKeeper, app.AccountKeeper, app.BankKeeper, authtypes.FeeCollectorName, authority)

	app.ProtocolPoolKeeper = protocolpoolkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[protocolpooltypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, authority)

	app.DistrKeeper = distrkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[distrtypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.StakingKeeper, authtypes.FeeCollectorName, authority,
		distrkeeper.WithExternalCommunityPool(app.ProtocolPoolKeeper))

	app.SlashingKeeper = slashingkeeper.NewKeeper(cdc, app.legacyAmino,
		runtime.NewKVStoreService(keys[slashingtypes.StoreKey]), app.StakingKeeper, authority)

	app.FeeGrantKeeper = feegrantkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[feegrant.StoreKey]), app.AccountKeeper)

	app.StakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(
		app.DistrKeeper.Hooks(),
		app.SlashingKeeper.Hooks(),
	))

	app.AuthzKeeper = authzkeeper.NewKeeper(
		runtime.NewKVStoreService(keys[authzkeeper.StoreKey]), cdc, app.MsgServiceRouter(), app.AccountKeeper)

	// meshd modules. Their authority is x/dao: quadratic, timelocked votes
	// of MESH lockers.
	dao := daoAuthority()
	app.PoolKeeper = poolkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[pooltypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, dao)
	app.RewardsKeeper = rewardskeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[rewardstypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.PoolKeeper, authtypes.FeeCollectorName, dao)
	// Before a pool's shares change, its provider's closed-epoch rewards go
	// into it (a stake added just before a claim cannot take them).
	app.PoolKeeper.SetHooks(app.RewardsKeeper.PoolHooks())
	// x/epochs is built before x/compute (which reads it to tell catch-up
	// epochs after a halt) and gets its hooks below.
	epochsKeeper := epochskeeper.NewKeeper(runtime.NewKVStoreService(keys[epochstypes.StoreKey]), cdc)
	app.EpochsKeeper = &epochsKeeper
	app.ComputeKeeper = computekeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[computetypes.StoreKey]),
		app.AccountKeeper, app.PoolKeeper, app.RewardsKeeper, app.EpochsKeeper, dao)
	app.InferenceKeeper = inferencekeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[inferencetypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.ComputeKeeper, app.PoolKeeper, app.RewardsKeeper, dao)
	// Workers may only claim models x/inference knows (issue 17); x/inference
	// imports x/compute, so the registry is set once both exist.
	app.ComputeKeeper.SetModelRegistry(inferenceModels{app.InferenceKeeper})
	app.TrainingKeeper = trainingkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[trainingtypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.ComputeKeeper, app.PoolKeeper, app.InferenceKeeper, app.RewardsKeeper, dao)
	app.DaoKeeper = daokeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[daotypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.InferenceKeeper, app.MsgServiceRouter(), dao)
	// Proposal analyses end in x/dao (callback "dao").
	app.InferenceKeeper.SetJobHooks(map[string]inferencetypes.JobHooks{daotypes.AnalysisCallback: app.DaoKeeper.JobHooks()})

	app.EpochsKeeper.SetHooks(epochstypes.NewMultiEpochHooks(
		app.ComputeKeeper.EpochHooks(),
		app.RewardsKeeper.EpochHooks(),
	))

	skipUpgradeHeights := map[int64]bool{}
	for _, h := range cast.ToIntSlice(appOpts.Get(server.FlagUnsafeSkipUpgrades)) {
		skipUpgradeHeights[int64(h)] = true
	}
	homePath := cast.ToString(appOpts.Get(flags.FlagHome))
	app.UpgradeKeeper = upgradekeeper.NewKeeper(skipUpgradeHeights,
		runtime.NewKVStoreService(keys[upgradetypes.StoreKey]), cdc, homePath, app.BaseApp, authority)

	// Legacy v1beta1 text proposals only; everything else goes through gov v1 messages.
	govRouter := govv1beta1.NewRouter()
	govRouter.AddRoute(govtypes.RouterKey, govv1beta1.ProposalHandler)
	govKeeper := govkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[govtypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.DistrKeeper, app.MsgServiceRouter(),
		govtypes.DefaultConfig(), authority,
		govkeeper.NewDefaultCalculateVoteResultsAndVotingPower(app.StakingKeeper))
	govKeeper.SetLegacyRouter(govRouter)
	app.GovKeeper = *govKeeper.SetHooks(govtypes.NewMultiGovHooks())

	app.EvidenceKeeper = *evidencekeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[evidencetypes.StoreKey]),
		app.StakingKeeper, app.SlashingKeeper, app.AccountKeeper.AddressCodec(),
		runtime.ProvideCometInfoService())

	app.newIBCKeepers()

	nodeConfig, err := wasm.ReadNodeConfig(appOpts)
	if err != nil {
		return nodeConfig, fmt.Errorf("read wasm config: %w", err)
	}
	// What contracts may query and send (app/wasm_bindings.go); the caller's
	// options come after, so that they can override the query plugins.
	wasmOpts = append(contractWasmOptions(app.GRPCQueryRouter(), cdc), wasmOpts...)
	app.WasmKeeper = wasmkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[wasmtypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, app.StakingKeeper,
		distrkeeper.NewQuerier(app.DistrKeeper),
		app.IBCKeeper.ChannelKeeper, app.IBCKeeper.ChannelKeeper, app.IBCKeeper.ChannelKeeperV2,
		app.TransferKeeper, app.MsgServiceRouter(), app.GRPCQueryRouter(),
		filepath.Join(homePath, "wasm"), nodeConfig, wasmtypes.VMConfig{},
		wasmkeeper.BuiltInCapabilities(), authority, wasmOpts...)

	// Contracts that request inference with callback "sudo" are called back.
	app.InferenceKeeper.SetContractKeeper(newWasmContracts(&app.WasmKeeper))

	app.setIBCRouters()
	return nodeConfig, nil
}

// inferenceModels is x/inference's model list as x/compute's ModelRegistry.
type inferenceModels struct{ k inferencekeeper.Keeper }

// HasModel reports whether x/inference has registered the model id.
func (m inferenceModels) HasModel(ctx context.Context, id string) (bool, error) {
	return m.k.Models.Has(ctx, id)
}
