package app

import (
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authsims "github.com/cosmos/cosmos-sdk/x/auth/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/auth/vesting"
	vestingtypes "github.com/cosmos/cosmos-sdk/x/auth/vesting/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	authzmodule "github.com/cosmos/cosmos-sdk/x/authz/module"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	consensusparamtypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	"github.com/cosmos/cosmos-sdk/x/evidence"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	feegrantmodule "github.com/cosmos/cosmos-sdk/x/feegrant/module"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/cosmos-sdk/x/mint"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/protocolpool"
	protocolpooltypes "github.com/cosmos/cosmos-sdk/x/protocolpool/types"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/cosmos/cosmos-sdk/x/upgrade"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	ica "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts"
	icatypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/types"
	"github.com/cosmos/ibc-go/v11/modules/apps/transfer"
	ibctransfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	ibc "github.com/cosmos/ibc-go/v11/modules/core"
	ibcexported "github.com/cosmos/ibc-go/v11/modules/core/exported"
	ibctm "github.com/cosmos/ibc-go/v11/modules/light-clients/07-tendermint"

	gmp "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp"
	gmptypes "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/types"
	"github.com/llmesh/mesh/x/compute"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/dao"
	daotypes "github.com/llmesh/mesh/x/dao/types"

	"github.com/llmesh/mesh/x/ibcinfer"
	ibcinfertypes "github.com/llmesh/mesh/x/ibcinfer/types"
	"github.com/llmesh/mesh/x/inference"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/pool"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	"github.com/llmesh/mesh/x/rewards"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training"
	trainingtypes "github.com/llmesh/mesh/x/training/types"

	"github.com/CosmWasm/wasmd/x/wasm"
	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"
)

// appModules lists every module of the app. A new module is one line here,
// plus its name in the order lists below.
func (app *MeshApp) appModules(txConfig client.TxConfig) []module.AppModule {
	cdc := app.appCodec
	return []module.AppModule{
		genutil.NewAppModule(app.AccountKeeper, app.StakingKeeper, app, txConfig),
		auth.NewAppModule(cdc, app.AccountKeeper, authsims.RandomGenesisAccounts, nil),
		vesting.NewAppModule(app.AccountKeeper, app.BankKeeper),
		bank.NewAppModule(cdc, app.BankKeeper, app.AccountKeeper, nil),
		feegrantmodule.NewAppModule(cdc, app.AccountKeeper, app.BankKeeper, app.FeeGrantKeeper, app.interfaceRegistry),
		gov.NewAppModule(cdc, &app.GovKeeper, app.AccountKeeper, app.BankKeeper, nil),
		mint.NewAppModule(cdc, app.MintKeeper, app.AccountKeeper, nil, nil),
		slashing.NewAppModule(cdc, app.SlashingKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil, app.interfaceRegistry),
		distr.NewAppModule(cdc, app.DistrKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil),
		staking.NewAppModule(cdc, app.StakingKeeper, app.AccountKeeper, app.BankKeeper, nil),
		upgrade.NewAppModule(app.UpgradeKeeper, app.AccountKeeper.AddressCodec()),
		evidence.NewAppModule(app.EvidenceKeeper),
		authzmodule.NewAppModule(cdc, app.AuthzKeeper, app.AccountKeeper, app.BankKeeper, app.interfaceRegistry),
		consensus.NewAppModule(cdc, app.ConsensusParamsKeeper),
		epochs.NewAppModule(app.EpochsKeeper),
		protocolpool.NewAppModule(app.ProtocolPoolKeeper, app.AccountKeeper, app.BankKeeper),
		ibc.NewAppModule(app.IBCKeeper),
		transfer.NewAppModule(app.TransferKeeper),
		ica.NewAppModule(app.ICAControllerKeeper, app.ICAHostKeeper),
		ibctm.NewAppModule(app.tmLightClient),
		wasm.NewAppModule(cdc, &app.WasmKeeper, app.StakingKeeper, app.AccountKeeper, app.BankKeeper, app.MsgServiceRouter(), nil),
		pool.NewAppModule(cdc, app.PoolKeeper),
		compute.NewAppModule(cdc, app.ComputeKeeper),
		inference.NewAppModule(cdc, app.InferenceKeeper),
		rewards.NewAppModule(cdc, app.RewardsKeeper),
		dao.NewAppModule(cdc, app.DaoKeeper),
		training.NewAppModule(cdc, app.TrainingKeeper),
		ibcinfer.NewAppModule(cdc, app.IBCInferKeeper),
		gmp.NewAppModule(app.GMPKeeper),
	}
}

// newBasicManager builds the basic manager (codecs, default genesis, CLI
// roots) from the module manager.
func newBasicManager(mm *module.Manager) module.BasicManager {
	return module.NewBasicManagerFromManager(mm, map[string]module.AppModuleBasic{
		genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
		govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
		banktypes.ModuleName:    meshBankBasic{},
		epochstypes.ModuleName:  meshEpochsBasic{},
		icatypes.ModuleName:     meshICABasic{},
	})
}

// Block-hook and genesis orders. Each list names every module that
// implements the hook; the module manager panics at start-up otherwise.
var (
	// preBlockers: upgrade first so a scheduled upgrade halts before any state change.
	preBlockers = []string{
		upgradetypes.ModuleName,
		authtypes.ModuleName,
	}

	// beginBlockers: mint before distribution (fees + inflation are distributed
	// in the same block); epochs after both so that epoch hooks see the block's
	// rewards; slashing after distribution so nothing is left in the fee pool.
	beginBlockers = []string{
		minttypes.ModuleName,
		// rewards between mint and distribution: it takes the compute and
		// treasury shares of the fee collector (inflation + fees); the rest
		// is what distribution pays validators.
		rewardstypes.ModuleName,
		distrtypes.ModuleName,
		protocolpooltypes.ModuleName,
		slashingtypes.ModuleName,
		evidencetypes.ModuleName,
		stakingtypes.ModuleName,
		authz.ModuleName,
		epochstypes.ModuleName,
		// compute after epochs: the epoch hook has recorded a new epoch
		// before compute draws the sample seed.
		computetypes.ModuleName,
		// inference assigns queued jobs before the block's txs: its draws
		// depend only on earlier blocks and this height's seed.
		inferencetypes.ModuleName,
		genutiltypes.ModuleName,
		ibcexported.ModuleName,
		ibctransfertypes.ModuleName,
		icatypes.ModuleName,
		wasmtypes.ModuleName,
	}

	// endBlockers: bank first (SDK v0.54 UPGRADING: virtual-account credit
	// must settle before any other end-blocker reads balances).
	endBlockers = []string{
		banktypes.ModuleName,
		govtypes.ModuleName,
		stakingtypes.ModuleName,
		feegrant.ModuleName,
		genutiltypes.ModuleName,
		ibcexported.ModuleName,
		ibctransfertypes.ModuleName,
		icatypes.ModuleName,
		wasmtypes.ModuleName,
		// compute settles epoch outcomes (may slash pools) before pool pays
		// matured unbondings, so a slash reaches them first.
		// inference ends expired jobs (may slash outliers' pools) before
		// pool pays matured unbondings.
		inferencetypes.ModuleName,
		computetypes.ModuleName,
		// training moves rounds on (may slash outvoted aggregators) before
		// pool pays matured unbondings.
		trainingtypes.ModuleName,
		pooltypes.ModuleName,
		// dao ends voting periods and expires unexecuted proposals (bounded).
		daotypes.ModuleName,
	}

	// initGenesis: genutil after staking (gentxs need the pools); wasm last
	// because contracts may call any module during genesis.
	initGenesis = []string{
		authtypes.ModuleName,
		banktypes.ModuleName,
		distrtypes.ModuleName,
		stakingtypes.ModuleName,
		slashingtypes.ModuleName,
		govtypes.ModuleName,
		minttypes.ModuleName,
		genutiltypes.ModuleName,
		evidencetypes.ModuleName,
		authz.ModuleName,
		feegrant.ModuleName,
		protocolpooltypes.ModuleName,
		upgradetypes.ModuleName,
		vestingtypes.ModuleName,
		consensusparamtypes.ModuleName,
		epochstypes.ModuleName,
		ibcexported.ModuleName,
		ibctransfertypes.ModuleName,
		icatypes.ModuleName,
		ibctm.ModuleName,
		wasmtypes.ModuleName,
		pooltypes.ModuleName,
		computetypes.ModuleName,
		inferencetypes.ModuleName,
		rewardstypes.ModuleName,
		daotypes.ModuleName,
		trainingtypes.ModuleName,
		ibcinfertypes.ModuleName,
		gmptypes.ModuleName,
	}

	// exportGenesis: consensus params first, distribution before protocolpool.
	exportGenesis = []string{
		consensusparamtypes.ModuleName,
		authtypes.ModuleName,
		banktypes.ModuleName,
		distrtypes.ModuleName,
		protocolpooltypes.ModuleName,
		stakingtypes.ModuleName,
		slashingtypes.ModuleName,
		govtypes.ModuleName,
		minttypes.ModuleName,
		genutiltypes.ModuleName,
		evidencetypes.ModuleName,
		authz.ModuleName,
		feegrant.ModuleName,
		upgradetypes.ModuleName,
		vestingtypes.ModuleName,
		epochstypes.ModuleName,
		ibcexported.ModuleName,
		ibctransfertypes.ModuleName,
		icatypes.ModuleName,
		ibctm.ModuleName,
		wasmtypes.ModuleName,
		pooltypes.ModuleName,
		computetypes.ModuleName,
		inferencetypes.ModuleName,
		rewardstypes.ModuleName,
		daotypes.ModuleName,
		trainingtypes.ModuleName,
		ibcinfertypes.ModuleName,
		gmptypes.ModuleName,
	}
)

func setModuleOrder(mm *module.Manager) {
	mm.SetOrderPreBlockers(preBlockers...)
	mm.SetOrderBeginBlockers(beginBlockers...)
	mm.SetOrderEndBlockers(endBlockers...)
	mm.SetOrderInitGenesis(initGenesis...)
	mm.SetOrderExportGenesis(exportGenesis...)
}
