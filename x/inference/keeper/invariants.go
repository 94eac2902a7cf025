package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// CheckInvariants walks the store and reports the first broken promise of
// x/inference (tests and the app simulation only: O(state)). held is the
// inference module account's balance (x/bank, which this keeper's narrow
// bank interface does not read):
//
//   - escrow: held = Σ max_fee of the open jobs (QUEUED, COMMITTING,
//     REVEALING): an ended job has paid, refunded and burned all of it;
//   - every job is in the status index under its own status, and only there;
//   - an open job's workers have it in their open-jobs index.
func (k Keeper) CheckInvariants(ctx context.Context, held sdk.Coins) error {
	escrow := sdk.NewCoins()
	err := k.Jobs.Walk(ctx, nil, func(id uint64, j types.Job) (bool, error) {
		if has, err := k.JobsByStatus.Has(ctx, collections.Join(int32(j.Status), id)); err != nil || !has {
			return true, fmt.Errorf("job %d (%s) missing from the status index (%v)", id, j.Status, err)
		}
		if !types.IsOpen(j.Status) {
			return false, nil
		}
		escrow = escrow.Add(j.MaxFee)
		for _, a := range j.Assignments {
			w, err := k.addrBytes(a.Worker)
			if err != nil {
				return true, err
			}
			if has, err := k.OpenJobsByWorker.Has(ctx, collections.Join(w, id)); err != nil || !has {
				return true, fmt.Errorf("open job %d missing from worker %s's open jobs (%v)", id, a.Worker, err)
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	n := 0
	err = k.JobsByStatus.Walk(ctx, nil, func(key collections.Pair[int32, uint64]) (bool, error) {
		n++
		j, err := k.Jobs.Get(ctx, key.K2())
		if err != nil {
			return true, fmt.Errorf("status index entry of job %d without a job: %w", key.K2(), err)
		}
		if int32(j.Status) != key.K1() {
			return true, fmt.Errorf("job %d indexed as %d, is %s", j.Id, key.K1(), j.Status)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if !held.Equal(escrow) {
		return fmt.Errorf("module account holds %s, open jobs escrow %s", held, escrow)
	}
	return nil
}
