package app

import (
	"github.com/cosmos/cosmos-sdk/runtime"

	gmp "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp"
	gmpkeeper "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/keeper"
	gmptypes "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/types"
	icacontroller "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/controller"
	icacontrollerkeeper "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/controller/keeper"
	icacontrollertypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/controller/types"
	icahost "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host"
	icahostkeeper "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/keeper"
	icahosttypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/types"
	ibccallbacks "github.com/cosmos/ibc-go/v11/modules/apps/callbacks"
	"github.com/cosmos/ibc-go/v11/modules/apps/transfer"
	ibctransferkeeper "github.com/cosmos/ibc-go/v11/modules/apps/transfer/keeper"
	ibctransfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	transferv2 "github.com/cosmos/ibc-go/v11/modules/apps/transfer/v2"
	porttypes "github.com/cosmos/ibc-go/v11/modules/core/05-port/types"
	ibcapi "github.com/cosmos/ibc-go/v11/modules/core/api"
	ibcexported "github.com/cosmos/ibc-go/v11/modules/core/exported"
	ibckeeper "github.com/cosmos/ibc-go/v11/modules/core/keeper"
	ibctm "github.com/cosmos/ibc-go/v11/modules/light-clients/07-tendermint"

	"github.com/CosmWasm/wasmd/x/wasm"

	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"
	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"
	"github.com/llmesh/mesh/x/ibcinfer"
	ibcinferkeeper "github.com/llmesh/mesh/x/ibcinfer/keeper"
	ibcinfertypes "github.com/llmesh/mesh/x/ibcinfer/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// newIBCKeepers builds IBC core, ICS-20 transfer and interchain accounts.
// Their middleware stacks are assembled later, in setIBCRouters, because
// the callbacks middleware needs the wasm keeper.
func (app *MeshApp) newIBCKeepers() {
	keys, cdc, authority := app.keys, app.appCodec, govAuthority()

	app.IBCKeeper = ibckeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[ibcexported.StoreKey]), app.UpgradeKeeper, authority)

	app.TransferKeeper = ibctransferkeeper.NewKeeper(cdc, app.AccountKeeper.AddressCodec(),
		runtime.NewKVStoreService(keys[ibctransfertypes.StoreKey]),
		app.IBCKeeper.ChannelKeeper, app.MsgServiceRouter(), app.AccountKeeper, app.BankKeeper, authority)

	// Inference over IBC: its job-end callback writes the acknowledgements.
	app.IBCInferKeeper = ibcinferkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[ibcinfertypes.StoreKey]),
		app.AccountKeeper.AddressCodec(), app.InferenceKeeper, app.BankKeeper, app.TransferKeeper, daoAuthority())
	app.InferenceKeeper.SetJobHooks(map[string]inferencetypes.JobHooks{ibcinfertypes.JobCallback: app.IBCInferKeeper})

	app.ICAHostKeeper = icahostkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[icahosttypes.StoreKey]),
		app.IBCKeeper.ChannelKeeper, app.AccountKeeper, app.MsgServiceRouter(), app.GRPCQueryRouter(), authority)

	// IBC v2 general message passing: a counterparty's call runs allow-listed
	// messages from its predictable account (app/gmp.go).
	app.GMPKeeper = gmpkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[gmptypes.StoreKey]),
		app.AccountKeeper, newGMPRouter(app.MsgServiceRouter()), authority)

	app.ICAControllerKeeper = icacontrollerkeeper.NewKeeper(cdc,
		runtime.NewKVStoreService(keys[icacontrollertypes.StoreKey]),
		app.IBCKeeper.ChannelKeeper, app.MsgServiceRouter(), authority)
}

// setIBCRouters assembles the IBC application stacks and registers the
// 07-tendermint light client.
//
//	transfer:       callbacks(wasm) → ibcinfer → transfer
//
// On the transfer stack, ibcinfer sits below the callbacks middleware: a
// packet with an inference memo is answered asynchronously, and its
// acknowledgement, written later by ibcinfer, passes through the callbacks
// middleware (which runs a dest_callback on WriteAcknowledgement); ibcinfer
// refuses memos that combine "mesh" with dest_callback, forward or wasm.
//
//	icacontroller:  callbacks(wasm) → icacontroller (no auth module: controlled through MsgSendTx)
//	icahost:        icahost
//	wasm:           contracts' own IBC ports
func (app *MeshApp) setIBCRouters() {
	wasmStack := wasm.NewIBCHandler(app.WasmKeeper, app.IBCKeeper.ChannelKeeper, app.TransferKeeper, app.IBCKeeper.ChannelKeeper)

	var noAuthModule porttypes.IBCModule
	icaBuilder := porttypes.NewIBCStackBuilder(app.IBCKeeper.ChannelKeeper)
	icaBuilder.Base(icacontroller.NewIBCMiddlewareWithAuth(noAuthModule, app.ICAControllerKeeper)).
		Next(ibccallbacks.NewIBCMiddleware(wasmStack, wasm.DefaultMaxIBCCallbackGas))
	icaControllerStack := icaBuilder.Build()
	app.ICAControllerKeeper.WithICS4Wrapper(icaControllerStack.(porttypes.ICS4Wrapper))

	transferBuilder := porttypes.NewIBCStackBuilder(app.IBCKeeper.ChannelKeeper)
	transferBuilder.Base(transfer.NewIBCModule(app.TransferKeeper)).
		Next(ibcinfer.NewIBCMiddleware(app.IBCInferKeeper)).
		Next(ibccallbacks.NewIBCMiddleware(wasmStack, wasm.DefaultMaxIBCCallbackGas))
	transferStack := transferBuilder.Build()
	app.TransferKeeper.WithICS4Wrapper(transferStack.(porttypes.ICS4Wrapper))

	icaHostStack := icahost.NewIBCModule(app.ICAHostKeeper)

	router := porttypes.NewRouter().
		AddRoute(ibctransfertypes.ModuleName, transferStack).
		AddRoute(wasmtypes.ModuleName, wasmStack).
		AddRoute(icacontrollertypes.SubModuleName, icaControllerStack).
		AddRoute(icahosttypes.SubModuleName, icaHostStack)
	app.IBCKeeper.SetRouter(router)

	routerV2 := ibcapi.NewRouter().
		AddRoute(ibctransfertypes.PortID, transferv2.NewIBCModule(app.TransferKeeper)).
		AddRoute(gmptypes.PortID, gmp.NewIBCModule(app.GMPKeeper)).
		AddPrefixRoute(wasmkeeper.PortIDPrefixV2, wasmkeeper.NewIBC2Handler(app.WasmKeeper))
	app.IBCKeeper.SetRouterV2(routerV2)

	tmLightClient := ibctm.NewLightClientModule(app.appCodec, app.IBCKeeper.ClientKeeper.GetStoreProvider())
	app.IBCKeeper.ClientKeeper.AddRoute(ibctm.ModuleName, &tmLightClient)
	app.tmLightClient = tmLightClient
}
