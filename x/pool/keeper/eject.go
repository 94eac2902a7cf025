package keeper

import (
	"context"
	"math"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// TombstoneJailedUntil is the jailed_until of a tombstoned pool: no height
// ever reaches it (and MsgUnjail refuses a tombstoned pool anyway).
const TombstoneJailedUntil int64 = math.MaxInt64

// EjectProvider is MsgEjectProvider, sent by the module authority (x/dao,
// through a proposal) against a cheating provider:
//
//  1. the pool and its unbondings are slashed by fraction through Slash,
//     with reason "dao-ejection" and infraction height 0: every entry still
//     unbonding was bonded within the unbonding period, the window in which
//     stake stays slashable, and a provider who unbonds when it sees the
//     proposal does not escape. The walk is Slash's bounded one;
//  2. the pool is jailed: with tombstone for good (jailed_until =
//     TombstoneJailedUntil, tombstoned = true, MsgUnjail refused with
//     ErrTombstoned), otherwise until height + ejection_jail_blocks (a
//     later jail never shortens an earlier one). A tombstoned pool stays
//     tombstoned even if ejected again without tombstone;
//  3. the Ejection record (the last one per provider) is stored and
//     EventProviderEjected emitted (with Slash's EventSlashed and Jail's
//     EventJailed).
//
// Every check (authority, fraction, reason, the pool exists) comes before
// the first write: a refused ejection changes nothing.
func (k Keeper) EjectProvider(ctx context.Context, authority string, provider sdk.AccAddress, fraction sdkmath.LegacyDec, reason string, tombstone bool) (types.Ejection, int64, error) {
	if err := kit.Authorize(k.authority, authority, types.ErrInvalidSigner); err != nil {
		return types.Ejection{}, 0, err
	}
	if err := types.ValidateSlashFraction(fraction); err != nil {
		return types.Ejection{}, 0, err
	}
	if err := types.ValidateEjectionReason(reason); err != nil {
		return types.Ejection{}, 0, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Ejection{}, 0, err
	}
	if _, err := k.GetPool(ctx, provider); err != nil {
		return types.Ejection{}, 0, err
	}

	slashed, err := k.Slash(ctx, provider, fraction, types.EjectionSlashReason, 0)
	if err != nil {
		return types.Ejection{}, 0, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	until := height + params.EjectionJailBlocks
	if tombstone {
		until = TombstoneJailedUntil
	}
	if err := k.Jail(ctx, provider, until); err != nil {
		return types.Ejection{}, 0, err
	}
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return types.Ejection{}, 0, err
	}
	if tombstone && !pool.Tombstoned {
		pool.Tombstoned = true
		if err := k.Pools.Set(ctx, provider, pool); err != nil {
			return types.Ejection{}, 0, err
		}
	}

	ej := types.Ejection{
		Provider:      pool.Provider,
		Reason:        reason,
		SlashFraction: fraction,
		Slashed:       sdk.NewCoin(params.BondDenom, slashed),
		Height:        height,
		Tombstoned:    pool.Tombstoned,
	}
	if err := k.Ejections.Set(ctx, provider, ej); err != nil {
		return types.Ejection{}, 0, err
	}
	return ej, pool.JailedUntil, kit.Emit(ctx, &types.EventProviderEjected{
		Provider:      ej.Provider,
		Reason:        reason,
		SlashFraction: fraction.String(),
		Slashed:       ej.Slashed.String(),
		Height:        height,
		Tombstoned:    ej.Tombstoned,
		JailedUntil:   pool.JailedUntil,
	})
}

// GetEjection returns the provider's ejection record, or ErrEjectionNotFound.
func (k Keeper) GetEjection(ctx context.Context, provider sdk.AccAddress) (types.Ejection, error) {
	ej, err := k.Ejections.Get(ctx, provider)
	if err != nil {
		return types.Ejection{}, kit.NotFound(err, types.ErrEjectionNotFound, "provider "+k.addrString(provider))
	}
	return ej, nil
}

// errTombstoned is Unjail's refusal of a tombstoned pool.
func errTombstoned(pool types.Pool) error {
	return errorsmod.Wrapf(types.ErrTombstoned, "provider %s", pool.Provider)
}
