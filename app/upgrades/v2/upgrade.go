// Package v2 is meshd's first software upgrade, "v2": the token economics
// of this round on a chain that started before them.
//
// It runs the registered module migrations. Two of them are new:
//   - x/rewards 1→2: fee_burn_bps (half of every fee burned),
//     stability_bonus_bps_per_epoch and stability_bonus_max_bps get their
//     defaults, and the "rewards" module account gets the Burner permission
//     that the fee burn needs;
//   - x/pool 1→2: the loyalty bonus params get their defaults;
//   - x/compute 1→2: the vote-extension params (vote_extension_max_bytes,
//     beacon_miss_window, beacon_max_misses, beacon_jail_seconds) get their
//     defaults. Vote extensions themselves are switched on separately, by an
//     x/consensus MsgUpdateParams (docs/operators.md).
//
// It adds and removes no store (x/compute's beacon collections live in its
// existing store).
package v2

import (
	"github.com/llmesh/mesh/app/upgrades"
)

// Name is the upgrade's name in a software-upgrade proposal's plan.
const Name = "v2"

// Upgrade is the v2 upgrade.
var Upgrade = upgrades.Upgrade{
	Name:          Name,
	CreateHandler: upgrades.DefaultHandler,
}
