package keeper

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// Migrator runs x/compute's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 brings a v1 chain to vote extensions and the beacon: the
// params vote_extension_max_bytes, beacon_miss_window, beacon_max_misses
// and beacon_jail_seconds get their defaults (a v1 chain has none: a zero
// size cap would refuse every extension), and so do the capacity-bound
// challenge params poc_target_fraction_bps, poc_commit_seconds,
// poc_mops_per_unit and vram_gb_per_verified_tops. The beacon state starts
// empty. An epoch open at the upgrade has no capacity snapshot and finishes
// under the legacy rules (m = units × poc_rows_per_unit).
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return err
	}
	d := types.DefaultParams()
	params.VoteExtensionMaxBytes = d.VoteExtensionMaxBytes
	params.BeaconMissWindow = d.BeaconMissWindow
	params.BeaconMaxMisses = d.BeaconMaxMisses
	params.BeaconJailSeconds = d.BeaconJailSeconds
	// Capacity-bound challenges (issue 17): workers keep verified_gops and
	// trusted_vram_gb 0 until their next pass under the new rules.
	params.PocTargetFractionBps = d.PocTargetFractionBps
	params.PocCommitSeconds = d.PocCommitSeconds
	params.PocMopsPerUnit = d.PocMopsPerUnit
	params.VramGbPerVerifiedTops = d.VramGbPerVerifiedTops
	if err := params.Validate(); err != nil {
		return err
	}
	if err := m.k.Params.Set(ctx, params); err != nil {
		return err
	}
	// A v1 chain has no (model, worker) index (issue 17, M5).
	if err := m.k.rebuildWorkersByModel(ctx); err != nil {
		return err
	}
	// A v1 chain has no challenged set for an epoch past its commit close.
	return m.k.rebuildChallenged(ctx)
}
