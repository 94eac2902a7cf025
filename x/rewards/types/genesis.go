package types

import (
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis opens epoch 1 with default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{
		Params:       DefaultParams(),
		CurrentEpoch: 1,
		Epochs:       []EpochSummary{{Epoch: 1}},
	}
}

// Validate checks a genesis state without an address codec (addresses are
// checked by InitGenesis): params, one open epoch at current_epoch, closed
// epochs before it with claimed ≤ reserved ≤ allocated, points in known
// epochs summing to no more than the epoch's points (exactly, in the open
// epoch), and contributor indices 0…n−1 per category.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.CurrentEpoch == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "current_epoch must be at least 1")
	}
	epochs := make(map[uint64]*EpochSummary, len(gs.Epochs))
	for i := range gs.Epochs {
		e := &gs.Epochs[i]
		if _, dup := epochs[e.Epoch]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "epoch %d listed twice", e.Epoch)
		}
		epochs[e.Epoch] = e
		if err := e.validate(e.Epoch == gs.CurrentEpoch); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "epoch %d: %v", e.Epoch, err)
		}
		if e.Epoch == 0 || e.Epoch > gs.CurrentEpoch {
			return errorsmod.Wrapf(ErrInvalidGenesis, "epoch %d outside 1…current_epoch %d", e.Epoch, gs.CurrentEpoch)
		}
	}
	if _, ok := epochs[gs.CurrentEpoch]; !ok {
		return errorsmod.Wrapf(ErrInvalidGenesis, "open epoch %d has no summary", gs.CurrentEpoch)
	}

	type recKey struct {
		account, category string
		epoch             uint64
	}
	type sumKey struct {
		category string
		epoch    uint64
	}
	seen := make(map[recKey]bool, len(gs.Points))
	sums := make(map[sumKey]math.Int)
	for _, r := range gs.Points {
		k := recKey{r.Account, r.Category, r.Epoch}
		if seen[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "points of %s in %s of epoch %d listed twice", r.Account, r.Category, r.Epoch)
		}
		seen[k] = true
		if r.Account == "" || r.Points == 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "points record %v: empty account or zero points", r)
		}
		e, ok := epochs[r.Epoch]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "points of %s in epoch %d, which has no summary", r.Account, r.Epoch)
		}
		if e.category(r.Category) == nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "points of %s in %s of epoch %d, which has no such category", r.Account, r.Category, r.Epoch)
		}
		sk := sumKey{r.Category, r.Epoch}
		if s, ok := sums[sk]; ok {
			sums[sk] = s.Add(math.NewIntFromUint64(r.Points))
		} else {
			sums[sk] = math.NewIntFromUint64(r.Points)
		}
	}
	for _, e := range gs.Epochs {
		for _, c := range e.Categories {
			s, ok := sums[sumKey{c.Category, e.Epoch}]
			if !ok {
				s = math.ZeroInt()
			}
			if e.Epoch == gs.CurrentEpoch && !s.Equal(c.Points) {
				return errorsmod.Wrapf(ErrInvalidGenesis, "open epoch %d: %s points %s, records sum to %s", e.Epoch, c.Category, c.Points, s)
			}
			if s.GT(c.Points) {
				return errorsmod.Wrapf(ErrInvalidGenesis, "epoch %d: %s records sum to %s, more than its %s points", e.Epoch, c.Category, s, c.Points)
			}
		}
	}

	// Indices of a category must be unique and below its number of
	// contributors: then they are exactly 0…n−1.
	counts := make(map[string]uint64)
	for _, c := range gs.Contributors {
		counts[c.Category]++
	}
	indices := make(map[string]map[uint64]bool)
	accounts := make(map[[2]string]bool, len(gs.Contributors))
	for _, c := range gs.Contributors {
		if err := ValidateCategoryName(c.Category); err != nil {
			return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
		}
		if c.Account == "" {
			return errorsmod.Wrapf(ErrInvalidGenesis, "contributor of %s without account", c.Category)
		}
		if accounts[[2]string{c.Category, c.Account}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "contributor %s of %s listed twice", c.Account, c.Category)
		}
		accounts[[2]string{c.Category, c.Account}] = true
		if indices[c.Category] == nil {
			indices[c.Category] = make(map[uint64]bool)
		}
		if indices[c.Category][c.Index] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "contributor index %d of %s used twice", c.Index, c.Category)
		}
		indices[c.Category][c.Index] = true
		if c.Index >= counts[c.Category] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "contributors of %s: index %d with %d contributors (want 0…n−1)", c.Category, c.Index, counts[c.Category])
		}
	}
	return nil
}

// validate checks one summary: open (no end height, nothing allocated) or
// closed; categories unique with claimed ≤ reserved ≤ allocated.
func (e EpochSummary) validate(open bool) error {
	if open != (e.EndHeight == 0) {
		if open {
			return fmt.Errorf("the open epoch has end_height %d", e.EndHeight)
		}
		return fmt.Errorf("closed epoch without end_height")
	}
	if e.StartHeight < 0 || (e.EndHeight != 0 && e.EndHeight < e.StartHeight) {
		return fmt.Errorf("heights %d…%d", e.StartHeight, e.EndHeight)
	}
	if err := e.Pot.Validate(); err != nil {
		return fmt.Errorf("pot: %w", err)
	}
	if err := e.Carried.Validate(); err != nil {
		return fmt.Errorf("carried: %w", err)
	}
	names := make(map[string]bool, len(e.Categories))
	for _, c := range e.Categories {
		if err := ValidateCategoryName(c.Category); err != nil {
			return err
		}
		if names[c.Category] {
			return fmt.Errorf("category %s listed twice", c.Category)
		}
		names[c.Category] = true
		if c.Points.IsNil() || c.Points.IsNegative() {
			return fmt.Errorf("%s: points %v", c.Category, c.Points)
		}
		for _, f := range []struct {
			name  string
			coins interface{ Validate() error }
		}{{"allocated", c.Allocated}, {"reserved", c.Reserved}, {"claimed", c.Claimed}, {"rate", c.Rate}} {
			if err := f.coins.Validate(); err != nil {
				return fmt.Errorf("%s %s: %w", c.Category, f.name, err)
			}
		}
		if !c.Claimed.IsAllLTE(c.Reserved) || !c.Reserved.IsAllLTE(c.Allocated) {
			return fmt.Errorf("%s: want claimed %s ≤ reserved %s ≤ allocated %s", c.Category, c.Claimed, c.Reserved, c.Allocated)
		}
		if open && (!c.Allocated.IsZero() || !c.Rate.IsZero()) {
			return fmt.Errorf("%s: the open epoch has an allocation", c.Category)
		}
	}
	return nil
}

// category returns the summary's entry for a category, or nil.
func (e *EpochSummary) category(name string) *CategoryEpoch {
	for i := range e.Categories {
		if e.Categories[i].Category == name {
			return &e.Categories[i]
		}
	}
	return nil
}

// Category returns the summary's entry for a category, or nil.
func (e *EpochSummary) Category(name string) *CategoryEpoch { return e.category(name) }

// Owed is what a closed epoch still owes: Σ reserved − claimed.
func (e EpochSummary) Owed() sdk.Coins {
	owed := sdk.NewCoins()
	for _, c := range e.Categories {
		owed = owed.Add(c.Reserved...).Sub(c.Claimed...)
	}
	return owed
}
