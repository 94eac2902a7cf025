package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/training/types"
)

// CheckInvariants reports the first broken promise of x/training (tests and
// the app simulation only: O(state)):
//
//   - escrow: the module account holds exactly Σ pending annotation stakes +
//     Σ (budget − spent) of OPEN and RUNNING tasks, in every denom of the
//     escrow and of the params' stake and budget (InitGenesis requires ≥);
//   - spent ≤ budget for every task; every item is indexed under its dataset.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	escrow := sdk.NewCoins()
	err = k.Annotations.Walk(ctx, nil, func(_ collections.Pair[uint64, sdk.AccAddress], a types.Annotation) (bool, error) {
		escrow = escrow.Add(a.Stake)
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.Tasks.Walk(ctx, nil, func(id uint64, t types.Task) (bool, error) {
		if t.Budget.IsLT(t.Spent) {
			return true, fmt.Errorf("task %d spent %s of a budget of %s", id, t.Spent, t.Budget)
		}
		if t.Status == types.TASK_STATUS_OPEN || t.Status == types.TASK_STATUS_RUNNING {
			escrow = escrow.Add(t.Budget.Sub(t.Spent))
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.Items.Walk(ctx, nil, func(id uint64, it types.Item) (bool, error) {
		if has, err := k.ItemsByDataset.Has(ctx, collections.Join(it.DatasetId, id)); err != nil || !has {
			return true, fmt.Errorf("item %d not indexed under dataset %d (%v)", id, it.DatasetId, err)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	module := k.ak.GetModuleAddress(types.ModuleName)
	denoms := append([]string{params.AnnotationStake.Denom, params.MinTaskBudget.Denom}, escrow.Denoms()...)
	for _, d := range denoms {
		if held, want := k.bank.GetBalance(ctx, module, d), escrow.AmountOf(d); !held.Amount.Equal(want) {
			return fmt.Errorf("module account holds %s, escrow (stakes + open budgets) is %s%s", held, want, d)
		}
	}
	return nil
}
