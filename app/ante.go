package app

import (
	"errors"

	corestoretypes "cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/runtime"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"

	ibcante "github.com/cosmos/ibc-go/v11/modules/core/ante"
	ibckeeper "github.com/cosmos/ibc-go/v11/modules/core/keeper"

	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"
	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	rewardskeeper "github.com/llmesh/mesh/x/rewards/keeper"
)

// HandlerOptions are the SDK ante options plus what IBC and wasm need.
type HandlerOptions struct {
	ante.HandlerOptions

	IBCKeeper             *ibckeeper.Keeper
	NodeConfig            *wasmtypes.NodeConfig
	WasmKeeper            *wasmkeeper.Keeper
	TXCounterStoreService corestoretypes.KVStoreService
	// FeeBurn burns x/rewards' fee_burn_bps of every fee as it is collected.
	FeeBurn rewardskeeper.FeeBurnDecorator
}

func (app *MeshApp) anteOptions(nodeConfig wasmtypes.NodeConfig) HandlerOptions {
	return HandlerOptions{
		HandlerOptions: ante.HandlerOptions{
			AccountKeeper:   app.AccountKeeper,
			BankKeeper:      app.BankKeeper,
			SignModeHandler: app.txConfig.SignModeHandler(),
			FeegrantKeeper:  app.FeeGrantKeeper,
			SigGasConsumer:  ante.DefaultSigVerificationGasConsumer,
		},
		IBCKeeper:             app.IBCKeeper,
		NodeConfig:            &nodeConfig,
		WasmKeeper:            &app.WasmKeeper,
		TXCounterStoreService: runtime.NewKVStoreService(app.keys[wasmtypes.StoreKey]),
		FeeBurn:               rewardskeeper.NewFeeBurnDecorator(app.RewardsKeeper),
	}
}

// NewAnteHandler returns the ante chain: the SDK's standard decorators,
// wasm's simulation-gas limit and tx counter, x/rewards' fee burn, and IBC's redundant-relay
// filter (relayers do not pay for packets another relayer already delivered).
func NewAnteHandler(options HandlerOptions) (sdk.AnteHandler, error) {
	switch {
	case options.AccountKeeper == nil:
		return nil, errors.New("account keeper is required for the ante handler")
	case options.BankKeeper == nil:
		return nil, errors.New("bank keeper is required for the ante handler")
	case options.SignModeHandler == nil:
		return nil, errors.New("sign mode handler is required for the ante handler")
	case options.IBCKeeper == nil:
		return nil, errors.New("ibc keeper is required for the ante handler")
	case options.NodeConfig == nil || options.WasmKeeper == nil:
		return nil, errors.New("wasm config and keeper are required for the ante handler")
	case options.TXCounterStoreService == nil:
		return nil, errors.New("wasm store service is required for the ante handler")
	}

	return sdk.ChainAnteDecorators(
		ante.NewSetUpContextDecorator(), // must be first
		wasmkeeper.NewLimitSimulationGasDecorator(options.NodeConfig.SimulationGasLimit),
		wasmkeeper.NewCountTXDecorator(options.TXCounterStoreService),
		wasmkeeper.NewGasRegisterDecorator(options.WasmKeeper.GetGasRegister()),
		wasmkeeper.NewTxContractsDecorator(),
		ante.NewExtensionOptionsDecorator(options.ExtensionOptionChecker),
		ante.NewValidateBasicDecorator(),
		ante.NewTxTimeoutHeightDecorator(),
		ante.NewValidateMemoDecorator(options.AccountKeeper),
		ante.NewConsumeGasForTxSizeDecorator(options.AccountKeeper),
		ante.NewDeductFeeDecorator(options.AccountKeeper, options.BankKeeper, options.FeegrantKeeper, options.TxFeeChecker),
		options.FeeBurn, // after the fee is in the fee collector
		ante.NewSetPubKeyDecorator(options.AccountKeeper), // before signature verification
		ante.NewValidateSigCountDecorator(options.AccountKeeper),
		ante.NewSigGasConsumeDecorator(options.AccountKeeper, options.SigGasConsumer),
		ante.NewSigVerificationDecorator(options.AccountKeeper, options.SignModeHandler),
		ante.NewIncrementSequenceDecorator(options.AccountKeeper),
		ibcante.NewRedundantRelayDecorator(options.IBCKeeper),
	), nil
}
