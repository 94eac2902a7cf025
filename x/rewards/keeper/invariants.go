package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// CheckInvariants reports the first broken promise of x/rewards'
// accounting (the checks of TestConservation, for the app simulation; it
// walks every epoch, so it is not for a block hook):
//
//   - in every closed epoch and category: claimed ≤ reserved ≤ allocated,
//     and the epoch's pot is what it reserved plus what it carried over;
//   - Outstanding = Σ (reserved − claimed) over the closed epochs;
//   - the module account holds at least Outstanding (the rest is the pot).
func (k Keeper) CheckInvariants(ctx context.Context) error {
	current, err := k.CurrentEpoch.Get(ctx)
	if err != nil {
		return err
	}
	owedSum := sdk.NewCoins()
	err = k.Epochs.Walk(ctx, nil, func(n uint64, e types.EpochSummary) (bool, error) {
		if n == current {
			return false, nil
		}
		reserved := sdk.NewCoins()
		for _, c := range e.Categories {
			if !c.Claimed.IsAllLTE(c.Reserved) || !c.Reserved.IsAllLTE(c.Allocated) {
				return true, fmt.Errorf("epoch %d %s: claimed %s, reserved %s, allocated %s", n, c.Category, c.Claimed, c.Reserved, c.Allocated)
			}
			reserved = reserved.Add(c.Reserved...)
			owedSum = owedSum.Add(c.Reserved...).Sub(c.Claimed...)
		}
		if want := reserved.Add(e.Carried...); !e.Pot.Equal(want) {
			return true, fmt.Errorf("epoch %d: pot %s != reserved + carried %s", n, e.Pot, want)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	owed, err := k.outstanding(ctx)
	if err != nil {
		return err
	}
	if !owed.Equal(owedSum) {
		return fmt.Errorf("outstanding %s != Σ (reserved − claimed) %s", owed, owedSum)
	}
	balance := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(types.ModuleName))
	if !owed.IsAllLTE(balance) {
		return fmt.Errorf("module account holds %s, below outstanding %s", balance, owed)
	}
	return nil
}
