package types

import (
	"fmt"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Default parameter values.
var (
	// DefaultBondDenom is the base denom of MESH.
	DefaultBondDenom = "umesh"
	// DefaultBaseMinStake is 100 MESH.
	DefaultBaseMinStake = math.NewInt(100_000_000)
	// DefaultPerUnitStake is 10 MESH per registered compute unit.
	DefaultPerUnitStake = math.NewInt(10_000_000)
	// DefaultUnbondingPeriod matches the SDK's staking default.
	DefaultUnbondingPeriod = 21 * 24 * time.Hour
	// DefaultMaxUnbondingsPerBlock bounds EndBlocker work.
	DefaultMaxUnbondingsPerBlock uint32 = 100
	// DefaultMaxUnbondingEntries matches x/staking's max_entries.
	DefaultMaxUnbondingEntries uint32 = 7
	// DefaultSlashDestination burns slashed tokens.
	DefaultSlashDestination = SLASH_DESTINATION_BURN
	// DefaultMaxCommissionRate is 50 %.
	DefaultMaxCommissionRate = math.LegacyNewDecWithPrec(5, 1)
	// DefaultLoyaltyThreshold: the loyalty bonus starts after 30 days bonded.
	DefaultLoyaltyThreshold = 30 * 24 * time.Hour
	// DefaultLoyaltyBpsPerDay: +0.1 % of rewards per day past the threshold.
	DefaultLoyaltyBpsPerDay uint32 = 10
	// DefaultLoyaltyMaxBps: at most +20 %, reached 200 days past the threshold.
	DefaultLoyaltyMaxBps uint32 = 2000
	// DefaultEjectionJailBlocks jails an ejected (not tombstoned) pool for
	// 600 blocks, as long as x/compute's default jail_blocks for fraud.
	DefaultEjectionJailBlocks int64 = 600
)

// MaxEjectionJailBlocks bounds ejection_jail_blocks (about 13 years of 1 s
// blocks): jailed_until = height + ejection_jail_blocks cannot overflow.
const MaxEjectionJailBlocks int64 = 1 << 32

// BpsScale is 100 % in basis points.
const BpsScale = 10_000

// Upper bounds of the per-block and per-slash work params.
const (
	// MaxUnbondingsPerBlockLimit bounds max_unbondings_per_block (EndBlocker payouts).
	MaxUnbondingsPerBlockLimit = 10_000
	// MaxUnbondingEntriesLimit bounds max_unbonding_entries: Slash reads every
	// entry of the provider's own in its pool.
	MaxUnbondingEntriesLimit = 100
)

// MaxLoyaltyMaxBps bounds loyalty_max_bps: a bonus of at most +100 %.
const MaxLoyaltyMaxBps = BpsScale

// DefaultParams returns the default x/pool params.
func DefaultParams() Params {
	return Params{
		BondDenom:             DefaultBondDenom,
		BaseMinStake:          DefaultBaseMinStake,
		PerUnitStake:          DefaultPerUnitStake,
		UnbondingPeriod:       DefaultUnbondingPeriod,
		MaxUnbondingsPerBlock: DefaultMaxUnbondingsPerBlock,
		MaxUnbondingEntries:   DefaultMaxUnbondingEntries,
		SlashDestination:      DefaultSlashDestination,
		MaxCommissionRate:     DefaultMaxCommissionRate,
		LoyaltyThreshold:      DefaultLoyaltyThreshold,
		LoyaltyBpsPerDay:      DefaultLoyaltyBpsPerDay,
		LoyaltyMaxBps:         DefaultLoyaltyMaxBps,
		EjectionJailBlocks:    DefaultEjectionJailBlocks,
	}
}

// Validate checks every field. A zero max_unbondings_per_block would stop the
// unbonding queue, so it is rejected.
func (p Params) Validate() error {
	if err := sdk.ValidateDenom(p.BondDenom); err != nil {
		return fmt.Errorf("bond_denom: %w", err)
	}
	if p.BaseMinStake.IsNil() || p.BaseMinStake.IsNegative() {
		return fmt.Errorf("base_min_stake must be non-negative, got %s", p.BaseMinStake)
	}
	if p.PerUnitStake.IsNil() || p.PerUnitStake.IsNegative() {
		return fmt.Errorf("per_unit_stake must be non-negative, got %s", p.PerUnitStake)
	}
	if p.UnbondingPeriod <= 0 {
		return fmt.Errorf("unbonding_period must be positive, got %s", p.UnbondingPeriod)
	}
	if p.MaxUnbondingsPerBlock == 0 || p.MaxUnbondingsPerBlock > MaxUnbondingsPerBlockLimit {
		return fmt.Errorf("max_unbondings_per_block %d must be in 1..%d", p.MaxUnbondingsPerBlock, MaxUnbondingsPerBlockLimit)
	}
	// Slash reads a provider's own entries in full (issue 17, M3).
	if p.MaxUnbondingEntries == 0 || p.MaxUnbondingEntries > MaxUnbondingEntriesLimit {
		return fmt.Errorf("max_unbonding_entries %d must be in 1..%d", p.MaxUnbondingEntries, MaxUnbondingEntriesLimit)
	}
	switch p.SlashDestination {
	case SLASH_DESTINATION_BURN, SLASH_DESTINATION_TREASURY:
	default:
		return fmt.Errorf("slash_destination must be BURN or TREASURY, got %s", p.SlashDestination)
	}
	if p.MaxCommissionRate.IsNil() || p.MaxCommissionRate.IsNegative() || p.MaxCommissionRate.GT(math.LegacyOneDec()) {
		return fmt.Errorf("max_commission_rate must be in [0, 1], got %s", p.MaxCommissionRate)
	}
	if p.LoyaltyThreshold < 0 {
		return fmt.Errorf("loyalty_threshold must not be negative, got %s", p.LoyaltyThreshold)
	}
	if p.LoyaltyMaxBps > MaxLoyaltyMaxBps {
		return fmt.Errorf("loyalty_max_bps must be at most %d, got %d", MaxLoyaltyMaxBps, p.LoyaltyMaxBps)
	}
	// A cap with no slope would hold rewards back for a bonus nobody earns.
	if p.LoyaltyMaxBps > 0 && p.LoyaltyBpsPerDay == 0 {
		return fmt.Errorf("loyalty_bps_per_day must be positive when loyalty_max_bps is %d", p.LoyaltyMaxBps)
	}
	if p.EjectionJailBlocks < 1 || p.EjectionJailBlocks > MaxEjectionJailBlocks {
		return fmt.Errorf("ejection_jail_blocks %d must be in 1..%d", p.EjectionJailBlocks, MaxEjectionJailBlocks)
	}
	return nil
}

// MinSelfStake is base_min_stake + per_unit_stake × units. It returns an error
// instead of panicking when the product leaves math.Int's 256-bit range.
func (p Params) MinSelfStake(units uint64) (math.Int, error) {
	perUnits, err := p.PerUnitStake.SafeMul(math.NewIntFromUint64(units))
	if err != nil {
		return math.Int{}, err
	}
	return p.BaseMinStake.SafeAdd(perUnits)
}
