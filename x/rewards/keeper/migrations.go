package keeper

import (
	"slices"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// Migrator runs x/rewards' store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 brings a v1 chain to the fee burn and the stability bonus:
//   - params: fee_burn_bps, stability_bonus_bps_per_epoch and
//     stability_bonus_max_bps get their defaults (a v1 chain has none, which
//     reads as off);
//   - the "rewards" module account gets the Burner permission. x/bank checks
//     the permissions stored on the account, which a v1 chain created
//     without it, so without this every fee burn would fail.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return err
	}
	d := types.DefaultParams()
	params.FeeBurnBps = d.FeeBurnBps
	params.StabilityBonusBpsPerEpoch = d.StabilityBonusBpsPerEpoch
	params.StabilityBonusMaxBps = d.StabilityBonusMaxBps
	if err := m.k.SetParams(ctx, params); err != nil {
		return err
	}

	acc := m.k.ak.GetModuleAccount(ctx, types.ModuleName)
	if acc == nil || acc.HasPermission(authtypes.Burner) {
		return nil
	}
	base, ok := acc.(*authtypes.ModuleAccount)
	if !ok {
		return nil
	}
	upgraded := *base
	upgraded.Permissions = append(slices.Clone(base.Permissions), authtypes.Burner)
	m.k.ak.SetModuleAccount(ctx, &upgraded)
	return nil
}
