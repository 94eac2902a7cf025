package keeper

import (
	"context"
	"encoding/hex"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// CommitPoC stores worker's Merkle root for epoch. The worker must be
// eligible, the epoch open and its commit window running, and the worker may
// commit once. m is fixed here from the worker's current claimed GOPS
// (challengeRows), and so is the claim a pass can verify; the root's
// length is checked by MsgCommitPoC.ValidateBasic.
func (k Keeper) CommitPoC(ctx context.Context, worker sdk.AccAddress, epoch int64, root []byte) (types.Commitment, error) {
	w, err := k.GetWorker(ctx, worker)
	if err != nil {
		return types.Commitment{}, err
	}
	e, err := k.openEpoch(ctx, epoch)
	if err != nil {
		return types.Commitment{}, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if height > e.CommitEnd {
		return types.Commitment{}, errorsmod.Wrapf(types.ErrCommitWindowClosed, "epoch %d commits ended at height %d, now %d", epoch, e.CommitEnd, height)
	}
	eligible, err := k.IsEligible(ctx, w, epoch)
	if err != nil {
		return types.Commitment{}, err
	}
	if !eligible {
		return types.Commitment{}, errorsmod.Wrapf(types.ErrNotEligible, "%s in epoch %d", w.Address, epoch)
	}
	key := collections.Join(epoch, worker)
	dup, err := k.Commitments.Has(ctx, key)
	if err != nil {
		return types.Commitment{}, err
	}
	if dup {
		return types.Commitment{}, errorsmod.Wrapf(types.ErrDuplicateCommit, "%s in epoch %d", w.Address, epoch)
	}
	m, err := challengeRows(e, w.Spec)
	if err != nil {
		return types.Commitment{}, err
	}
	c := types.Commitment{Worker: w.Address, Epoch: epoch, Root: root, Rows: m, Height: height, ClaimedGops: w.Spec.ClaimedGOPS()}
	if err := k.Commitments.Set(ctx, key, c); err != nil {
		return c, err
	}
	return c, kit.Emit(ctx, &types.EventPoCCommitted{Worker: w.Address, Epoch: epoch, Root: hex.EncodeToString(root)})
}
