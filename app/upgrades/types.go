// Package upgrades defines what a software upgrade of meshd is made of.
package upgrades

import (
	"context"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	icahosttypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/types"
)

// ModuleManager is the part of the module manager an upgrade handler uses.
type ModuleManager interface {
	RunMigrations(ctx context.Context, cfg module.Configurator, fromVM module.VersionMap) (module.VersionMap, error)
	GetVersionMap() module.VersionMap
}

// ICAHostKeeper is the part of ibc-go's ICA host keeper an upgrade uses:
// its params, which no module migration of ibc-go sets for meshd.
type ICAHostKeeper interface {
	GetParams(ctx sdk.Context) icahosttypes.Params
	SetParams(ctx sdk.Context, params icahosttypes.Params)
}

// Deps is what an upgrade handler may use from the app beyond the module
// manager. The app fills it in (app/upgrades.go); an upgrade package cannot
// import package app, which imports it.
type Deps struct {
	// ICAHostKeeper reads and writes the ICA host params.
	ICAHostKeeper ICAHostKeeper
	// ICAHostAllowMessages is app.ICAHostAllowMessages(), the allow list of
	// a new chain.
	ICAHostAllowMessages []string
}

// Upgrade is one named software upgrade: the handler run at the upgrade
// height and the stores it adds, renames or deletes.
type Upgrade struct {
	Name          string
	CreateHandler func(ModuleManager, module.Configurator, Deps) upgradetypes.UpgradeHandler
	StoreUpgrades storetypes.StoreUpgrades
}

// DefaultHandler runs every module's registered migrations.
func DefaultHandler(mm ModuleManager, cfg module.Configurator, _ Deps) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		return mm.RunMigrations(ctx, cfg, fromVM)
	}
}
