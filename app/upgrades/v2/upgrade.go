// Package v2 is meshd's first software upgrade, "v2": the token economics
// of this round on a chain that started before them.
//
// It runs the registered module migrations:
//   - x/rewards 1→2: fee_burn_bps (half of every fee burned),
//     stability_bonus_bps_per_epoch and stability_bonus_max_bps get their
//     defaults, and the "rewards" module account gets the Burner permission
//     that the fee burn needs;
//   - x/pool 1→2: the loyalty bonus params get their defaults;
//   - x/compute 1→2: the vote-extension params (vote_extension_max_bytes,
//     beacon_miss_window, beacon_max_misses, beacon_jail_seconds) get their
//     defaults. Vote extensions themselves are switched on separately, by an
//     x/consensus MsgUpdateParams (docs/operators.md);
//   - x/inference 1→2: each model's single price moves into its list of
//     prices (a price in a denom v1 never accepted retires an ACTIVE model),
//     and the contract-callback params (max_callback_gas,
//     max_callbacks_per_block) get their defaults.
//
// After the migrations it narrows the ICA host allow list: a chain whose
// list is still ibc-go's default, exactly ["*"], gets meshd's list
// (app.ICAHostAllowMessages, the one a new chain starts with); a list that
// operators or governance chose is left as it is. The host params remain
// settable by x/gov (icahost MsgUpdateParams).
//
// It adds two stores, x/ibcinfer's (inference over IBC) and ibc-go's
// 27-gmp (IBC v2 general message passing), whose modules start from their
// default genesis (RunMigrations runs InitGenesis for a module the version
// map does not know); x/compute's beacon collections live in its existing
// store.
package v2

import (
	"context"
	"fmt"
	"slices"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	icahosttypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/types"

	"github.com/llmesh/mesh/app/upgrades"
	ibcinfertypes "github.com/llmesh/mesh/x/ibcinfer/types"

	gmptypes "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/types"
)

// Name is the upgrade's name in a software-upgrade proposal's plan.
const Name = "v2"

// Upgrade is the v2 upgrade.
var Upgrade = upgrades.Upgrade{
	Name:          Name,
	CreateHandler: CreateHandler,
	StoreUpgrades: storetypes.StoreUpgrades{Added: []string{ibcinfertypes.StoreKey, gmptypes.StoreKey}},
}

// CreateHandler returns the v2 handler: every module's migrations, then the
// ICA host allow list.
func CreateHandler(mm upgrades.ModuleManager, cfg module.Configurator, deps upgrades.Deps) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		toVM, err := mm.RunMigrations(ctx, cfg, fromVM)
		if err != nil {
			return nil, err
		}
		if err := narrowICAHostAllowList(sdk.UnwrapSDKContext(ctx), deps.ICAHostKeeper, deps.ICAHostAllowMessages); err != nil {
			return nil, err
		}
		return toVM, nil
	}
}

// narrowICAHostAllowList replaces an ICA host allow list of exactly ["*"]
// with allow. Any other list, empty included (a host that executes
// nothing), was set on purpose and is kept; host_enabled is kept too.
func narrowICAHostAllowList(ctx sdk.Context, host upgrades.ICAHostKeeper, allow []string) error {
	params := host.GetParams(ctx)
	if !slices.Equal(params.AllowMessages, []string{icahosttypes.AllowAllHostMsgs}) {
		return nil
	}
	if len(allow) == 0 {
		// An empty list would silently stop the host; the app always passes one.
		return fmt.Errorf("v2: no ICA host allow list to replace %q with", icahosttypes.AllowAllHostMsgs)
	}
	params.AllowMessages = slices.Clone(allow)
	if err := params.Validate(); err != nil {
		return fmt.Errorf("v2: ICA host allow list: %w", err)
	}
	host.SetParams(ctx, params)
	ctx.Logger().Info("v2: ICA host allow list narrowed from \"*\"", "allow_messages", params.AllowMessages)
	return nil
}
