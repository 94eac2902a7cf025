package app

import (
	"fmt"

	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/llmesh/mesh/app/upgrades"
	v2 "github.com/llmesh/mesh/app/upgrades/v2"
)

// Upgrades lists the software upgrades this binary knows how to run. Each
// lives in app/upgrades/<name>/.
var Upgrades = []upgrades.Upgrade{v2.Upgrade}

// registerUpgradeHandlers registers a handler per known upgrade and, when the
// node restarts at an upgrade height, the store loader that adds or removes
// stores.
func (app *MeshApp) registerUpgradeHandlers() {
	deps := app.UpgradeDeps()
	for _, u := range Upgrades {
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.CreateHandler(app.ModuleManager, app.configurator, deps))
	}

	info, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		panic(fmt.Errorf("read upgrade info from disk: %w", err))
	}
	if app.UpgradeKeeper.IsSkipHeight(info.Height) {
		return
	}
	for _, u := range Upgrades {
		if info.Name == u.Name {
			app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(info.Height, &u.StoreUpgrades))
			return
		}
	}
}

// UpgradeDeps is what the upgrade handlers use from the app besides the
// module manager and configurator.
func (app *MeshApp) UpgradeDeps() upgrades.Deps {
	return upgrades.Deps{
		ICAHostKeeper:        app.ICAHostKeeper,
		ICAHostAllowMessages: ICAHostAllowMessages(),
	}
}
