// Package keeper implements x/compute: the worker registry, the
// proof-of-compute epochs (challenge, commit, reveal, settlement) and worker
// reputation.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Keeper of x/compute.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	addressCodec address.Codec
	pool         types.PoolKeeper
	// rewards records PoC points in x/rewards; nil records none.
	rewards types.RewardsKeeper
	// epochs tells catch-up epochs after a chain halt; nil treats every epoch as live.
	epochs types.EpochsKeeper
	// authority may update the params (the x/dao module account, x/gov until it lands).
	authority string
	// models is x/inference's model registry, set after construction (it
	// is built after this keeper); shared by every copy of the keeper. A nil
	// registry accepts any well-formed model id.
	models *modelRegistryHolder

	// Schema is the collections schema of the module store.
	Schema collections.Schema
	// Params of the module.
	Params collections.Item[types.Params]
	// Workers maps a worker address to its record.
	Workers collections.Map[sdk.AccAddress, types.Worker]
	// WorkersByProvider indexes workers by (provider, worker): per-provider caps
	// and queries. A worker's provider never changes, so the index is written
	// at registration and deregistration only, not re-derived on every worker
	// write as an IndexedMap would (two bech32 decodes per write on the
	// settlement path).
	WorkersByProvider collections.KeySet[collections.Pair[sdk.AccAddress, sdk.AccAddress]]
	// Authorizations holds (provider, worker) pairs a provider allowed to register.
	Authorizations collections.KeySet[collections.Pair[sdk.AccAddress, sdk.AccAddress]]
	// ProviderUnits is the sum of compute units of a provider's workers (as told to x/pool).
	ProviderUnits collections.Map[sdk.AccAddress, uint64]
	// Epoch is the current compute epoch (absent before the first one).
	Epoch collections.Item[types.EpochInfo]
	// Settling holds earlier epochs whose reveal window or settlement is not over.
	Settling collections.Map[int64, types.EpochInfo]
	// Commitments maps (epoch, worker) to the worker's root in that epoch.
	Commitments collections.Map[collections.Pair[int64, sdk.AccAddress], types.Commitment]
	// Tombstones keeps a deregistered worker's record by address.
	Tombstones collections.Map[sdk.AccAddress, types.Worker]
	// LastBeacon is the last randomness-beacon output (absent before vote extensions).
	LastBeacon collections.Item[types.Beacon]
	// BeaconRecords maps a consensus address to the validator's beacon record.
	BeaconRecords collections.Map[[]byte, types.BeaconValidator]
	// Challenged is (epoch, worker) for every worker eligible, or committed,
	// when the epoch's commit window closed: the workers settlement visits.
	// An entry is removed when its worker is settled.
	Challenged collections.KeySet[collections.Pair[int64, sdk.AccAddress]]
	// WorkersByModel indexes workers by (model id, worker): x/inference's
	// assignment walks one model's workers instead of the whole registry.
	WorkersByModel collections.KeySet[collections.Pair[string, sdk.AccAddress]]
}

// NewKeeper returns the x/compute keeper. rewards may be nil: no points are
// recorded. epochs may be nil: every epoch x/epochs starts is challenged.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ak types.AccountKeeper,
	pool types.PoolKeeper, rewards types.RewardsKeeper, epochs types.EpochsKeeper, authority string,
) Keeper {
	addressCodec := ak.AddressCodec()
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid x/compute authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		pool:         pool,
		rewards:      rewards,
		epochs:       epochs,
		authority:    authority,
		models:       &modelRegistryHolder{},

		Params:  collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Workers: collections.NewMap(sb, types.WorkersKey, "workers", sdk.AccAddressKey, codec.CollValue[types.Worker](cdc)),
		WorkersByProvider: collections.NewKeySet(sb, types.WorkersByProviderKey, "workers_by_provider",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey)),
		Authorizations: collections.NewKeySet(sb, types.AuthorizationsKey, "authorizations",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey)),
		ProviderUnits: collections.NewMap(sb, types.ProviderUnitsKey, "provider_units", sdk.AccAddressKey, collections.Uint64Value),
		Epoch:         collections.NewItem(sb, types.EpochKey, "epoch", codec.CollValue[types.EpochInfo](cdc)),
		Settling:      collections.NewMap(sb, types.SettlingKey, "settling", collections.Int64Key, codec.CollValue[types.EpochInfo](cdc)),
		Commitments: collections.NewMap(sb, types.CommitmentsKey, "commitments",
			collections.PairKeyCodec(collections.Int64Key, sdk.AccAddressKey), codec.CollValue[types.Commitment](cdc)),
		Tombstones: collections.NewMap(sb, types.TombstonesKey, "tombstones", sdk.AccAddressKey, codec.CollValue[types.Worker](cdc)),
		LastBeacon: collections.NewItem(sb, types.BeaconKey, "beacon", codec.CollValue[types.Beacon](cdc)),
		BeaconRecords: collections.NewMap(sb, types.BeaconValidatorsKey, "beacon_validators",
			collections.BytesKey, codec.CollValue[types.BeaconValidator](cdc)),
		Challenged: collections.NewKeySet(sb, types.ChallengedKey, "challenged",
			collections.PairKeyCodec(collections.Int64Key, sdk.AccAddressKey)),
		WorkersByModel: collections.NewKeySet(sb, types.WorkersByModelKey, "workers_by_model",
			collections.PairKeyCodec(collections.StringKey, sdk.AccAddressKey)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

type modelRegistryHolder struct{ r types.ModelRegistry }

// SetModelRegistry wires x/inference's model registry: from then on a
// worker can register or update only with models it knows. Call it once
// while wiring, after both keepers exist; every copy of the keeper sees it.
func (k Keeper) SetModelRegistry(r types.ModelRegistry) {
	if k.models.r != nil {
		panic("x/compute model registry already set")
	}
	k.models.r = r
}

// GetAuthority returns the module authority.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec.
func (k Keeper) AddressCodec() address.Codec { return k.addressCodec }

// UpdateParams replaces the params on behalf of authority, which must be the
// module authority (MsgUpdateParams.ValidateBasic has checked the params).
func (k Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidAuthority,
		func() error { return k.Params.Set(ctx, p) }, &types.EventParamsUpdated{Authority: authority})
}

// Logger returns the module logger.
func (k Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

// GetWorker returns a worker, or types.ErrWorkerNotFound.
func (k Keeper) GetWorker(ctx context.Context, worker sdk.AccAddress) (types.Worker, error) {
	w, err := k.Workers.Get(ctx, worker)
	if err != nil {
		return w, kit.NotFound(err, types.ErrWorkerNotFound, k.addrString(worker))
	}
	return w, nil
}

// addrString renders an address with the chain's codec (for state, errors and events).
func (k Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.addressCodec, a) }

// addrBytes decodes an address with the chain's codec, or fails with types.ErrInvalidAddress.
func (k Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.addressCodec, s, types.ErrInvalidAddress)
}

// addrPair decodes two addresses with the chain's codec.
func (k Keeper) addrPair(a, b string) (sdk.AccAddress, sdk.AccAddress, error) {
	first, err := k.addrBytes(a)
	if err != nil {
		return nil, nil, err
	}
	second, err := k.addrBytes(b)
	return first, second, err
}

// GetParams returns the module params.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) { return k.Params.Get(ctx) }
