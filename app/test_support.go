package app

import (
	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"

	ibckeeper "github.com/cosmos/ibc-go/v11/modules/core/keeper"
)

// The accessors below let ibc-go's testing package drive MeshApp
// (ibctesting.TestingApp).

// GetBaseApp returns the app's baseapp.
func (app *MeshApp) GetBaseApp() *baseapp.BaseApp { return app.BaseApp }

// GetIBCKeeper returns the IBC core keeper.
func (app *MeshApp) GetIBCKeeper() *ibckeeper.Keeper { return app.IBCKeeper }

// GetTxConfig returns the tx config.
func (app *MeshApp) GetTxConfig() client.TxConfig { return app.txConfig }
