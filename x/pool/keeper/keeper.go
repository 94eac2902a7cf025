package keeper

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// Keeper of x/pool. Every token it accounts for sits in the "pool" module
// account: bonded tokens (Pool.Tokens), unbonding tokens (UnbondingEntry.Balance)
// and unclaimed rewards and commission, plus rounding dust.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	ak           types.AccountKeeper
	bk           types.BankKeeper
	// authority may send MsgUpdateParams (x/dao).
	authority string
	// hooks is shared by every copy of the keeper, so SetHooks after the
	// keeper was handed to other modules still reaches them.
	hooks *hooksHolder

	Schema collections.Schema
	// Params is the module params.
	Params collections.Item[types.Params]
	// Pools is one Pool per provider, keyed by provider address bytes.
	Pools collections.Map[sdk.AccAddress, types.Pool]
	// Delegations is keyed by (provider, delegator): a pool's delegations are one prefix.
	Delegations collections.Map[collections.Pair[sdk.AccAddress, sdk.AccAddress], types.Delegation]
	// DelegationsByDelegator mirrors Delegations as (delegator, provider) for
	// DelegatorDelegations; written and removed together with Delegations.
	DelegationsByDelegator collections.KeySet[collections.Pair[sdk.AccAddress, sdk.AccAddress]]
	// Unbondings is every unpaid unbonding entry, by id.
	Unbondings collections.Map[uint64, types.UnbondingEntry]
	// UnbondingQueue orders unbondings by (completion time, id); the
	// EndBlocker pays them from the front.
	UnbondingQueue collections.KeySet[collections.Pair[time.Time, uint64]]
	// UnbondingsByProvider is (provider, id): the entries Slash must reach.
	UnbondingsByProvider collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// UnbondingsByDelegator is (delegator, provider, id): queries and the
	// max_unbonding_entries cap per (delegator, provider).
	UnbondingsByDelegator collections.KeySet[collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]]
	// NextUnbondingID is the id of the next unbonding entry.
	NextUnbondingID collections.Sequence
	// Ejections is the last MsgEjectProvider record of each ejected provider.
	Ejections collections.Map[sdk.AccAddress, types.Ejection]
}

// NewKeeper builds the keeper. It panics if the pool or dao module accounts
// are not registered with x/auth: slashing and payouts would panic later
// inside x/bank otherwise.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ak types.AccountKeeper, bk types.BankKeeper, authority string) Keeper {
	for _, name := range []string{types.ModuleName, types.TreasuryModuleName} {
		if ak.GetModuleAddress(name) == nil {
			panic(fmt.Sprintf("x/pool: module account %q is not registered", name))
		}
	}
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("x/pool: invalid authority %q: %s", authority, err))
	}

	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		hooks:        &hooksHolder{},
		cdc:          cdc,
		storeService: storeService,
		ak:           ak,
		bk:           bk,
		authority:    authority,

		Params: collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Pools:  collections.NewMap(sb, types.PoolsKey, "pools", sdk.AccAddressKey, codec.CollValue[types.Pool](cdc)),
		Delegations: collections.NewMap(sb, types.DelegationsKey, "delegations",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey), codec.CollValue[types.Delegation](cdc)),
		DelegationsByDelegator: collections.NewKeySet(sb, types.DelegationsByDelegatorKey, "delegations_by_delegator",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey)),
		Unbondings: collections.NewMap(sb, types.UnbondingsKey, "unbondings",
			collections.Uint64Key, codec.CollValue[types.UnbondingEntry](cdc)),
		UnbondingQueue: collections.NewKeySet(sb, types.UnbondingQueueKey, "unbonding_queue",
			collections.PairKeyCodec(sdk.TimeKey, collections.Uint64Key)),
		UnbondingsByProvider: collections.NewKeySet(sb, types.UnbondingsByProviderKey, "unbondings_by_provider",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		UnbondingsByDelegator: collections.NewKeySet(sb, types.UnbondingsByDelegatorKey, "unbondings_by_delegator",
			collections.TripleKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey, collections.Uint64Key)),
		NextUnbondingID: collections.NewSequence(sb, types.NextUnbondingIDKey, "next_unbonding_id"),
		Ejections:       collections.NewMap(sb, types.EjectionsKey, "ejections", sdk.AccAddressKey, codec.CollValue[types.Ejection](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// SetParams validates and stores params. bond_denom cannot change once any
// pool or unbonding exists (pools are never deleted): stake is recorded as
// bare amounts of it.
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	cur, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if p.BondDenom != cur.BondDenom {
		for _, empty := range []func(context.Context) (bool, error){k.noPools, k.noUnbondings} {
			ok, err := empty(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return errorsmod.Wrapf(types.ErrInvalidParams, "bond_denom cannot change from %s while stake is bonded or unbonding", cur.BondDenom)
			}
		}
	}
	return k.Params.Set(ctx, p)
}

// UpdateParams is MsgUpdateParams: the authority only, then SetParams and
// EventParamsUpdated.
func (k Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidSigner,
		func() error { return k.SetParams(ctx, p) }, &types.EventParamsUpdated{Authority: authority})
}

func (k Keeper) noPools(ctx context.Context) (bool, error) {
	it, err := k.Pools.Iterate(ctx, nil)
	if err != nil {
		return false, err
	}
	defer it.Close()
	return !it.Valid(), nil
}

func (k Keeper) noUnbondings(ctx context.Context) (bool, error) {
	it, err := k.Unbondings.Iterate(ctx, nil)
	if err != nil {
		return false, err
	}
	defer it.Close()
	return !it.Valid(), nil
}

// GetAuthority returns the account allowed to send MsgUpdateParams.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec.
func (k Keeper) AddressCodec() address.Codec { return k.ak.AddressCodec() }

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

func (k Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.ak.AddressCodec(), a) }

func (k Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.ak.AddressCodec(), s, types.ErrInvalidAddress)
}

// addrPair decodes a delegator and a provider address.
func (k Keeper) addrPair(delegator, provider string) (d, p sdk.AccAddress, err error) {
	if d, err = k.addrBytes(delegator); err != nil {
		return nil, nil, err
	}
	p, err = k.addrBytes(provider)
	return d, p, err
}

type hooksHolder struct{ h types.PoolHooks }

// SetHooks registers the pool hooks (x/rewards). Call it once while wiring
// the app; it panics if hooks are already set.
func (k Keeper) SetHooks(h types.PoolHooks) {
	if k.hooks.h != nil {
		panic("x/pool: hooks already set")
	}
	k.hooks.h = h
}

// beforeSharesChange runs the BeforeSharesChange hook in a cache context: a
// failure (or a panic other than out of gas) is logged, discarded, and does
// not stop the delegation.
func (k Keeper) beforeSharesChange(ctx context.Context, provider sdk.AccAddress) {
	if k.hooks == nil || k.hooks.h == nil {
		return
	}
	err := cachectx.Run(ctx, func(cc sdk.Context) error { return k.hooks.h.BeforeSharesChange(cc, provider) })
	if err != nil {
		k.Logger(ctx).Error("before-shares-change hook failed", "provider", k.addrString(provider), "err", err)
	}
}
