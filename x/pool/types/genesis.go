package types

import (
	"cmp"
	"fmt"
	"slices"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis returns the default genesis: default params, no pools, and
// unbonding ids starting at 1.
func DefaultGenesis() *GenesisState {
	return &GenesisState{
		Params:          DefaultParams(),
		NextUnbondingId: 1,
	}
}

// Validate checks params, addresses, duplicates, ids below the sequence, that
// each pool's shares equal the sum of its delegations' shares, and that every
// unbonding's balance lies in [0, initial_balance], and that each ejection
// names a pool once, with a valid reason, fraction and slashed coin (a
// tombstoned ejection's pool is tombstoned, a tombstoned pool jailed). Go maps are used only for
// look-ups here, never iterated.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}

	pools := make(map[string]int, len(gs.Pools))
	total := math.ZeroInt()
	for i, p := range gs.Pools {
		if err := validateGenesisPool(p); err != nil {
			return fmt.Errorf("pool %d: %w", i, err)
		}
		if _, dup := pools[p.Provider]; dup {
			return fmt.Errorf("pool %d: duplicate provider %s", i, p.Provider)
		}
		pools[p.Provider] = i
		var err error
		if total, err = total.SafeAdd(p.Tokens); err != nil {
			return fmt.Errorf("pool %d: total tokens overflow", i)
		}
	}

	shareSums := make([]math.LegacyDec, len(gs.Pools))
	for i := range shareSums {
		shareSums[i] = math.LegacyZeroDec()
	}
	seenDel := make(map[string]bool, len(gs.Delegations))
	for i, d := range gs.Delegations {
		pi, ok := pools[d.Provider]
		if !ok {
			return fmt.Errorf("delegation %d: no pool for provider %q", i, d.Provider)
		}
		if _, err := sdk.AccAddressFromBech32(d.Delegator); err != nil {
			return fmt.Errorf("delegation %d: delegator: %w", i, err)
		}
		key := d.Provider + "/" + d.Delegator
		if seenDel[key] {
			return fmt.Errorf("delegation %d: duplicate (%s, %s)", i, d.Provider, d.Delegator)
		}
		seenDel[key] = true
		if d.Shares.IsNil() || !d.Shares.IsPositive() {
			return fmt.Errorf("delegation %d: shares must be positive", i)
		}
		if err := d.RewardPerSharePaid.Validate(); err != nil {
			return fmt.Errorf("delegation %d: reward_per_share_paid: %w", i, err)
		}
		if err := d.PendingRewards.Validate(); err != nil {
			return fmt.Errorf("delegation %d: pending_rewards: %w", i, err)
		}
		// The paid index can never run ahead of the pool's index: settling
		// would then go negative.
		if _, neg := gs.Pools[pi].RewardPerShare.SafeSub(d.RewardPerSharePaid); neg {
			return fmt.Errorf("delegation %d: reward_per_share_paid above the pool's index", i)
		}
		if err := d.RewardTimeIndexPaid.Validate(); err != nil {
			return fmt.Errorf("delegation %d: reward_time_index_paid: %w", i, err)
		}
		if _, neg := gs.Pools[pi].RewardTimeIndex.SafeSub(d.RewardTimeIndexPaid); neg {
			return fmt.Errorf("delegation %d: reward_time_index_paid above the pool's index", i)
		}
		shareSums[pi] = shareSums[pi].Add(d.Shares)
	}
	for i, p := range gs.Pools {
		if !shareSums[i].Equal(p.Shares) {
			return fmt.Errorf("pool %s: shares %s != sum of delegation shares %s", p.Provider, p.Shares, shareSums[i])
		}
	}

	seenID := make(map[uint64]bool, len(gs.Unbondings))
	for i, u := range gs.Unbondings {
		if u.Id >= gs.NextUnbondingId {
			return fmt.Errorf("unbonding %d: id %d not below next_unbonding_id %d", i, u.Id, gs.NextUnbondingId)
		}
		if seenID[u.Id] {
			return fmt.Errorf("unbonding %d: duplicate id %d", i, u.Id)
		}
		seenID[u.Id] = true
		if _, ok := pools[u.Provider]; !ok {
			return fmt.Errorf("unbonding %d: no pool for provider %q", i, u.Provider)
		}
		if _, err := sdk.AccAddressFromBech32(u.Delegator); err != nil {
			return fmt.Errorf("unbonding %d: delegator: %w", i, err)
		}
		if u.InitialBalance.IsNil() || u.InitialBalance.IsNegative() {
			return fmt.Errorf("unbonding %d: initial_balance must be non-negative", i)
		}
		if u.Balance.IsNil() || u.Balance.IsNegative() || u.Balance.GT(u.InitialBalance) {
			return fmt.Errorf("unbonding %d: balance must be in [0, initial_balance]", i)
		}
		if u.CreationHeight < 0 {
			return fmt.Errorf("unbonding %d: negative creation_height", i)
		}
		var err error
		if total, err = total.SafeAdd(u.Balance); err != nil {
			return fmt.Errorf("unbonding %d: total balance overflow", i)
		}
	}
	seenEj := make(map[string]bool, len(gs.Ejections))
	for i, e := range gs.Ejections {
		pi, ok := pools[e.Provider]
		if !ok {
			return fmt.Errorf("ejection %d: no pool for provider %q", i, e.Provider)
		}
		if seenEj[e.Provider] {
			return fmt.Errorf("ejection %d: duplicate provider %s", i, e.Provider)
		}
		seenEj[e.Provider] = true
		if err := ValidateEjectionReason(e.Reason); err != nil {
			return fmt.Errorf("ejection %d: %w", i, err)
		}
		if err := ValidateSlashFraction(e.SlashFraction); err != nil {
			return fmt.Errorf("ejection %d: %w", i, err)
		}
		if err := e.Slashed.Validate(); err != nil {
			return fmt.Errorf("ejection %d: slashed: %w", i, err)
		}
		if e.Slashed.Denom != gs.Params.BondDenom {
			return fmt.Errorf("ejection %d: slashed denom %q is not bond_denom %q", i, e.Slashed.Denom, gs.Params.BondDenom)
		}
		if e.Height < 0 {
			return fmt.Errorf("ejection %d: negative height", i)
		}
		if e.Tombstoned && !gs.Pools[pi].Tombstoned {
			return fmt.Errorf("ejection %d: tombstoned but pool %s is not", i, e.Provider)
		}
	}

	// Slash finds the entries created since an infraction as a suffix of
	// ids (issue 17, M3): a later id must never have an earlier height.
	byID := slices.SortedFunc(slices.Values(gs.Unbondings), func(a, b UnbondingEntry) int { return cmp.Compare(a.Id, b.Id) })
	for i := 1; i < len(byID); i++ {
		if byID[i].CreationHeight < byID[i-1].CreationHeight {
			return fmt.Errorf("unbonding id %d: creation_height %d below id %d's %d (ids must follow creation height)",
				byID[i].Id, byID[i].CreationHeight, byID[i-1].Id, byID[i-1].CreationHeight)
		}
	}
	return nil
}

func validateGenesisPool(p Pool) error {
	if _, err := sdk.AccAddressFromBech32(p.Provider); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if p.Tokens.IsNil() || p.Tokens.IsNegative() {
		return fmt.Errorf("tokens must be non-negative")
	}
	if p.Shares.IsNil() || p.Shares.IsNegative() {
		return fmt.Errorf("shares must be non-negative")
	}
	if err := ValidateCommissionRate(p.CommissionRate); err != nil {
		return err
	}
	if p.JailedUntil < 0 || p.CreatedHeight < 0 {
		return fmt.Errorf("negative height")
	}
	if p.Tombstoned && !p.Jailed {
		return fmt.Errorf("tombstoned pool must be jailed")
	}
	if err := p.RewardPerShare.Validate(); err != nil {
		return fmt.Errorf("reward_per_share: %w", err)
	}
	if err := p.Commission.Validate(); err != nil {
		return fmt.Errorf("commission: %w", err)
	}
	if err := p.LoyaltyReserve.Validate(); err != nil {
		return fmt.Errorf("loyalty_reserve: %w", err)
	}
	if err := p.UnsettledRewards.Validate(); err != nil {
		return fmt.Errorf("unsettled_rewards: %w", err)
	}
	if err := p.RewardTimeIndex.Validate(); err != nil {
		return fmt.Errorf("reward_time_index: %w", err)
	}
	return nil
}
