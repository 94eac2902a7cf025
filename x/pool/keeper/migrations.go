package keeper

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

// Migrator runs x/pool's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 turns the loyalty bonus on with its default params: a v1
// chain's params have none, which reads as the bonus off. Delegations keep
// an unset bonded_since; each starts its age at its first settlement (see
// settle), so the migration walks nothing. It also sets
// ejection_jail_blocks (MsgEjectProvider) to its default.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return err
	}
	params.LoyaltyThreshold = types.DefaultLoyaltyThreshold
	params.LoyaltyBpsPerDay = types.DefaultLoyaltyBpsPerDay
	params.LoyaltyMaxBps = types.DefaultLoyaltyMaxBps
	if params.EjectionJailBlocks == 0 {
		params.EjectionJailBlocks = types.DefaultEjectionJailBlocks
	}
	return m.k.SetParams(ctx, params)
}
