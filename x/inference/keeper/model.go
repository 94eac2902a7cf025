package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Models are registered and changed only by the authority (MsgRegisterModel,
// MsgUpdateModel; the keeper checks the signer). A model is never
// deleted: retiring it stops new requests while its open jobs run to the end
// at the price fixed when they were requested.

// GetModel returns a model, or types.ErrModelNotFound.
func (k Keeper) GetModel(ctx context.Context, id string) (types.Model, error) {
	m, err := k.Models.Get(ctx, id)
	if err != nil {
		return m, kit.NotFound(err, types.ErrModelNotFound, id)
	}
	return m, nil
}

// RegisterModel adds a new model on behalf of authority, which must be the
// module authority; the model is checked by ValidateBasic of its message.
func (k Keeper) RegisterModel(ctx context.Context, authority string, m types.Model) error {
	if err := kit.Authorize(k.authority, authority, types.ErrInvalidAuthority); err != nil {
		return err
	}
	return k.registerModel(ctx, m)
}

func (k Keeper) registerModel(ctx context.Context, m types.Model) error {
	exists, err := k.Models.Has(ctx, m.Id)
	if err != nil {
		return err
	}
	if exists {
		return errorsmod.Wrap(types.ErrModelExists, m.Id)
	}
	return k.setModel(ctx, m)
}

// UpdateModel replaces a registered model (same id), e.g. to change its
// status, prices or weights, on behalf of the module authority; the model is
// checked by ValidateBasic.
func (k Keeper) UpdateModel(ctx context.Context, authority string, m types.Model) error {
	if err := kit.Authorize(k.authority, authority, types.ErrInvalidAuthority); err != nil {
		return err
	}
	if _, err := k.GetModel(ctx, m.Id); err != nil {
		return err
	}
	return k.setModel(ctx, m)
}

// setModel checks that every price of m is in umesh or a fee denom
// (ErrFeeDenomNotAllowed), stores m and emits EventModelRegistered (for an
// update too: the module has no EventModelUpdated).
func (k Keeper) setModel(ctx context.Context, m types.Model) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := params.CheckPrices(m); err != nil {
		return errorsmod.Wrap(types.ErrFeeDenomNotAllowed, err.Error())
	}
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventModelRegistered{ModelId: m.Id, Status: m.Status})
}
