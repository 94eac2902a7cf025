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

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/training/types"
)

// Keeper of x/training.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	ak           types.AccountKeeper
	bank         types.BankKeeper
	compute      types.ComputeKeeper
	pool         types.PoolKeeper
	inference    types.InferenceKeeper
	rewards      types.RewardsKeeper
	authority    string

	Schema        collections.Schema
	Params        collections.Item[types.Params]
	NextDatasetID collections.Sequence
	NextItemID    collections.Sequence
	NextTaskID    collections.Sequence
	// Datasets by id.
	Datasets collections.Map[uint64, types.Dataset]
	// Items by id.
	Items collections.Map[uint64, types.Item]
	// ItemsByDataset indexes items by (dataset, item).
	ItemsByDataset collections.KeySet[collections.Pair[uint64, uint64]]
	// ItemsByDigest: (dataset, digest) → item id; rejects duplicates.
	ItemsByDigest collections.Map[collections.Pair[uint64, []byte], uint64]
	// Annotations of items not yet final: (item, annotator) → annotation.
	Annotations collections.Map[collections.Pair[uint64, sdk.AccAddress], types.Annotation]
	// AnnotatorStats by annotator.
	AnnotatorStats collections.Map[sdk.AccAddress, types.AnnotatorStats]
	// Tasks by id.
	Tasks collections.Map[uint64, types.Task]
	// TaskWorkers: (task, worker) joined.
	TaskWorkers collections.KeySet[collections.Pair[uint64, sdk.AccAddress]]
	// Rounds: (task, number) → round.
	Rounds collections.Map[collections.Pair[uint64, uint32], types.Round]
	// RoundDeadlines: (height, task): the task's current round ends its phase
	// at that height, or an OPEN task with enough workers starts its first
	// round then; the EndBlocker moves it on (bounded per block).
	RoundDeadlines collections.KeySet[collections.Pair[int64, uint64]]
	// RecentJoins: (height, task, worker) joined at that height. A round
	// drawn at height h skips the workers joined at h; the EndBlocker prunes
	// the entries (bounded per block). Not in genesis: after an import every
	// join is from before.
	RecentJoins collections.KeySet[collections.Triple[int64, uint64, sdk.AccAddress]]
}

// NewKeeper returns the x/training keeper. rewards may be nil (no points).
// It panics on a bad authority or a missing module account.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ak types.AccountKeeper, bank types.BankKeeper,
	compute types.ComputeKeeper, pool types.PoolKeeper, inference types.InferenceKeeper, rewards types.RewardsKeeper, authority string,
) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid x/training authority %q: %w", authority, err))
	}
	if ak.GetModuleAddress(types.ModuleName) == nil {
		panic(fmt.Errorf("x/training: module account %q is not registered", types.ModuleName))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc: cdc, storeService: storeService, ak: ak, bank: bank, compute: compute, pool: pool,
		inference: inference, rewards: rewards, authority: authority,

		Params:         collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		NextDatasetID:  collections.NewSequence(sb, types.NextDatasetIDKey, "next_dataset_id"),
		NextItemID:     collections.NewSequence(sb, types.NextItemIDKey, "next_item_id"),
		NextTaskID:     collections.NewSequence(sb, types.NextTaskIDKey, "next_task_id"),
		Datasets:       collections.NewMap(sb, types.DatasetsKey, "datasets", collections.Uint64Key, codec.CollValue[types.Dataset](cdc)),
		Items:          collections.NewMap(sb, types.ItemsKey, "items", collections.Uint64Key, codec.CollValue[types.Item](cdc)),
		ItemsByDataset: collections.NewKeySet(sb, types.ItemsByDatasetKey, "items_by_dataset", collections.PairKeyCodec(collections.Uint64Key, collections.Uint64Key)),
		ItemsByDigest: collections.NewMap(sb, types.ItemsByDigestKey, "items_by_digest",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey), collections.Uint64Value),
		Annotations: collections.NewMap(sb, types.AnnotationsKey, "annotations",
			collections.PairKeyCodec(collections.Uint64Key, sdk.AccAddressKey), codec.CollValue[types.Annotation](cdc)),
		AnnotatorStats: collections.NewMap(sb, types.AnnotatorStatsKey, "annotator_stats", sdk.AccAddressKey, codec.CollValue[types.AnnotatorStats](cdc)),
		Tasks:          collections.NewMap(sb, types.TasksKey, "tasks", collections.Uint64Key, codec.CollValue[types.Task](cdc)),
		TaskWorkers:    collections.NewKeySet(sb, types.TaskWorkersKey, "task_workers", collections.PairKeyCodec(collections.Uint64Key, sdk.AccAddressKey)),
		Rounds: collections.NewMap(sb, types.RoundsKey, "rounds",
			collections.PairKeyCodec(collections.Uint64Key, collections.Uint32Key), codec.CollValue[types.Round](cdc)),
		RoundDeadlines: collections.NewKeySet(sb, types.RoundDeadlinesKey, "round_deadlines", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		RecentJoins: collections.NewKeySet(sb, types.RecentJoinsKey, "recent_joins",
			collections.TripleKeyCodec(collections.Int64Key, collections.Uint64Key, sdk.AccAddressKey)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the account allowed to update params.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec.
func (k Keeper) AddressCodec() address.Codec { return k.ak.AddressCodec() }

// SetParams validates and stores params.
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}

// UpdateParams is MsgUpdateParams: the authority check, SetParams, the event.
func (k Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidSigner,
		func() error { return k.SetParams(ctx, p) }, &types.EventParamsUpdated{Authority: authority})
}

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

func (k Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.ak.AddressCodec(), a) }

func (k Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.ak.AddressCodec(), s, types.ErrInvalidAddress)
}
