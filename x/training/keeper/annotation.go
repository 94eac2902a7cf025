package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training/types"
)

// Annotate records msg.Annotator's label for an OPEN item of another
// contributor, escrowing annotation_stake in the module account. The label
// that brings the item to annotators_per_item labels finalizes it (see
// finalizeItem); final is then set and label is the item's final label
// (empty when DISPUTED).
//
// The stake is escrowed after every check, so a failed transfer (too few
// funds) leaves nothing written.
func (k Keeper) Annotate(ctx context.Context, msg *types.MsgAnnotate) (final bool, label string, err error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return false, "", err
	}
	annotator, err := k.addrBytes(msg.Annotator)
	if err != nil {
		return false, "", err
	}
	annotatorStr := k.addrString(annotator)
	item, err := k.Items.Get(ctx, msg.ItemId)
	if err != nil {
		return false, "", kit.NotFound(err, types.ErrItemNotFound, fmt.Sprintf("item %d", msg.ItemId))
	}
	if item.Status != types.ITEM_STATUS_OPEN {
		return false, "", errorsmod.Wrapf(types.ErrItemFinal, "item %d is %s", item.Id, item.Status)
	}
	contributor, err := k.addrBytes(item.Contributor)
	if err != nil {
		return false, "", err
	}
	if contributor.Equals(annotator) {
		return false, "", errorsmod.Wrapf(types.ErrOwnItem, "item %d", item.Id)
	}
	key := collections.Join(item.Id, annotator)
	switch has, err := k.Annotations.Has(ctx, key); {
	case err != nil:
		return false, "", err
	case has:
		return false, "", errorsmod.Wrapf(types.ErrAlreadyAnnotated, "item %d by %s", item.Id, annotatorStr)
	}
	ds, err := k.loadDataset(ctx, item.DatasetId)
	if err != nil {
		return false, "", err
	}
	if len(ds.Labels) > 0 && !slices.Contains(ds.Labels, msg.Label) {
		return false, "", errorsmod.Wrapf(types.ErrInvalidLabel, "%q is not a label of dataset %d", msg.Label, ds.Id)
	}

	stake := params.AnnotationStake
	if stake.IsPositive() {
		if err := k.bank.SendCoinsFromAccountToModule(ctx, annotator, types.ModuleName, sdk.NewCoins(stake)); err != nil {
			return false, "", err
		}
	}
	if err := k.Annotations.Set(ctx, key, types.Annotation{
		ItemId: item.Id, Annotator: annotatorStr, Label: msg.Label, Stake: stake,
	}); err != nil {
		return false, "", err
	}
	item.Annotations++
	if err := kit.Emit(ctx, &types.EventAnnotated{ItemId: item.Id, Annotator: annotatorStr, Label: msg.Label}); err != nil {
		return false, "", err
	}
	// ≥ rather than ==: if governance lowers annotators_per_item, an item
	// already past the new value settles with its next label instead of
	// staying OPEN for ever.
	if item.Annotations < params.AnnotatorsPerItem {
		return false, "", k.Items.Set(ctx, item.Id, item)
	}
	if err := k.finalizeItem(ctx, params, &item); err != nil {
		return false, "", err
	}
	return true, item.Label, nil
}

// finalizeItem settles an item's annotations, in key (annotator) order:
//
//   - a label held by a strict majority of the n annotations (count × 2 > n)
//     makes the item LABELED: agreeing annotators get their stake back and
//     data_points_per_label x/rewards points; a disagreeing annotator takes a
//     strike and gets its stake back, except at max_disagreements strikes,
//     when ⌊stake × annotation_slash_bps / 10000⌋ is burned (rounded down, in
//     the annotator's favour), the rest returned and the strikes reset;
//   - otherwise the item is DISPUTED: every stake is returned, no stats move
//     and nobody is rewarded.
//
// The annotations are then removed. Work is bounded by the item's
// annotations (at most annotators_per_item ≤ 16, plus any received before a
// lowering of that param).
func (k Keeper) finalizeItem(ctx context.Context, params types.Params, item *types.Item) error {
	type pending struct {
		annotator sdk.AccAddress
		ann       types.Annotation
	}
	it, err := k.Annotations.Iterate(ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](item.Id))
	if err != nil {
		return err
	}
	kvs, err := it.KeyValues()
	if err != nil {
		return err
	}
	anns := make([]pending, 0, len(kvs))
	for _, kv := range kvs {
		anns = append(anns, pending{annotator: kv.Key.K2(), ann: kv.Value})
	}

	// The map only counts; the winner is found by walking the annotations
	// in key order, so no decision depends on map iteration order.
	counts := make(map[string]int, len(anns))
	for _, a := range anns {
		counts[a.ann.Label]++
	}
	winner := ""
	for _, a := range anns {
		if counts[a.ann.Label]*2 > len(anns) {
			winner = a.ann.Label
			break
		}
	}
	item.Status, item.Label = types.ITEM_STATUS_DISPUTED, ""
	if winner != "" {
		item.Status, item.Label = types.ITEM_STATUS_LABELED, winner
	}

	var agreed, slashed uint32
	for _, a := range anns {
		refund := a.ann.Stake
		if item.Status == types.ITEM_STATUS_LABELED {
			stats, err := k.annotatorStats(ctx, a.annotator)
			if err != nil {
				return err
			}
			if a.ann.Label == winner {
				stats.Agreed++
				agreed++
			} else {
				stats.Disagreed++
				stats.Strikes++
				if stats.Strikes >= params.MaxDisagreements {
					burn := sdk.NewCoin(refund.Denom, refund.Amount.MulRaw(int64(params.AnnotationSlashBps)).QuoRaw(types.BpsScale))
					if burn.IsPositive() {
						if err := k.bank.BurnCoins(ctx, types.ModuleName, sdk.NewCoins(burn)); err != nil {
							return err
						}
						refund = refund.Sub(burn)
					}
					stats.Strikes = 0
					stats.Slashed++
					slashed++
				}
			}
			if err := k.AnnotatorStats.Set(ctx, a.annotator, stats); err != nil {
				return err
			}
		}
		if refund.IsPositive() {
			if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, a.annotator, sdk.NewCoins(refund)); err != nil {
				return err
			}
		}
		if item.Status == types.ITEM_STATUS_LABELED && a.ann.Label == winner {
			k.addDataPoints(ctx, params, a.annotator, a.ann.Annotator, item.Id)
		}
		if err := k.Annotations.Remove(ctx, collections.Join(item.Id, a.annotator)); err != nil {
			return err
		}
	}
	if err := k.Items.Set(ctx, item.Id, *item); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventItemFinalized{
		ItemId: item.Id, Status: item.Status, Label: item.Label, Agreed: agreed, Slashed: slashed,
	})
}

// annotatorStats returns an annotator's stats, zero ones if it has none.
func (k Keeper) annotatorStats(ctx context.Context, annotator sdk.AccAddress) (types.AnnotatorStats, error) {
	stats, err := k.AnnotatorStats.Get(ctx, annotator)
	if !errors.Is(err, collections.ErrNotFound) {
		return stats, err
	}
	return types.AnnotatorStats{Annotator: k.addrString(annotator)}, nil
}

// addDataPoints credits an agreeing annotator data_points_per_label
// CategoryData points. It runs in a cache context: if x/rewards fails, its
// writes are dropped, the failure is logged and the label stands.
func (k Keeper) addDataPoints(ctx context.Context, params types.Params, annotator sdk.AccAddress, annotatorStr string, itemID uint64) {
	if k.rewards == nil || params.DataPointsPerLabel == 0 {
		return
	}
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		_, err := k.rewards.AddPoints(cc, rewardstypes.CategoryData, annotator, params.DataPointsPerLabel)
		return err
	})
	if err != nil {
		k.Logger(ctx).Error("data points not recorded", "annotator", annotatorStr, "item", itemID,
			"points", params.DataPointsPerLabel, "err", err)
	}
}
