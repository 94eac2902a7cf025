package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/inference/types"
)

// RegisterCandidateModel registers a model produced by another module (a
// finished x/training task) as a CANDIDATE: it serves no request until the
// authority (x/dao) promotes it with MsgUpdateModel. It applies the checks of
// MsgRegisterModel (types.ErrInvalidModel, types.ErrModelExists for a taken
// id) but not its authority check, and emits the same EventModelRegistered.
func (k Keeper) RegisterCandidateModel(ctx context.Context, m types.Model) error {
	m.Status = types.MODEL_STATUS_CANDIDATE
	if err := types.ValidateModel(m); err != nil {
		return errorsmod.Wrap(types.ErrInvalidModel, err.Error())
	}
	return k.registerModel(ctx, m)
}
