// Package upgrades defines what a software upgrade of meshd is made of.
package upgrades

import (
	"context"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"
)

// ModuleManager is the part of the module manager an upgrade handler uses.
type ModuleManager interface {
	RunMigrations(ctx context.Context, cfg module.Configurator, fromVM module.VersionMap) (module.VersionMap, error)
	GetVersionMap() module.VersionMap
}

// Upgrade is one named software upgrade: the handler run at the upgrade
// height and the stores it adds, renames or deletes.
type Upgrade struct {
	Name          string
	CreateHandler func(ModuleManager, module.Configurator) upgradetypes.UpgradeHandler
	StoreUpgrades storetypes.StoreUpgrades
}

// DefaultHandler runs every module's registered migrations.
func DefaultHandler(mm ModuleManager, cfg module.Configurator) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		return mm.RunMigrations(ctx, cfg, fromVM)
	}
}
