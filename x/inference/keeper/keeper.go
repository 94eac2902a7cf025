// Package keeper implements x/inference: the model registry, inference jobs
// (request, assignment, commit, reveal, settlement, expiry), worker stats and
// job-end callbacks.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Keeper of x/inference. Every escrowed fee sits in the "inference" module
// account until its job ends; at every moment that account holds exactly the
// sum of max_fee over the open jobs.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	addressCodec address.Codec
	bank         types.BankKeeper
	compute      types.ComputeKeeper
	pool         types.PoolKeeper
	// rewards records inference points in x/rewards; nil records none.
	rewards types.RewardsKeeper
	// authority may register models and update params (x/gov until x/dao lands).
	authority string
	// callbacks holds the job-end hooks by name. A pointer, so that the
	// copies of the keeper held by the module and the app see the same set.
	callbacks *callbackRegistry

	// Schema is the collections schema of the module store.
	Schema collections.Schema
	// Params of the module.
	Params collections.Item[types.Params]
	// Models maps a model id to its registration.
	Models collections.Map[string, types.Model]
	// Jobs maps a job id to the job, open or ended (until pruned).
	Jobs collections.Map[uint64, types.Job]
	// NextJobID is the id of the next job (ids start at 1).
	NextJobID collections.Sequence
	// JobsByRequester indexes jobs by (requester, id) for the Jobs query.
	JobsByRequester collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// JobsByWorker indexes jobs by (assigned worker, id), open or ended.
	JobsByWorker collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// OpenJobsByWorker is (worker, id) of open jobs only: a worker's queue.
	OpenJobsByWorker collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// JobsByStatus indexes jobs by (status, id) for the Jobs query.
	JobsByStatus collections.KeySet[collections.Pair[int32, uint64]]
	// CommitQueue orders COMMITTING jobs by (commit_end, id): the EndBlocker
	// closes their commit phase.
	CommitQueue collections.KeySet[collections.Pair[int64, uint64]]
	// DeadlineQueue orders open jobs by (deadline, id): the EndBlocker ends them.
	DeadlineQueue collections.KeySet[collections.Pair[int64, uint64]]
	// PruneQueue orders ended jobs by (prune height, id): the EndBlocker deletes them.
	PruneQueue collections.KeySet[collections.Pair[int64, uint64]]
	// WorkerStats maps a worker address to its inference record and open-job count.
	WorkerStats collections.Map[sdk.AccAddress, types.WorkerStats]
	// WaitQueue is (model id, job id) of QUEUED jobs: each model's FIFO of
	// requests waiting for free workers (job ids grow, so key order is arrival order).
	WaitQueue collections.KeySet[collections.Pair[string, uint64]]
	// QueueLength counts a model's QUEUED jobs (absent when none).
	QueueLength collections.Map[string, uint32]
	// CallbackQueue is (ended height, job id) of ended jobs whose "sudo"
	// callback waits for an EndBlock.
	CallbackQueue collections.KeySet[collections.Pair[int64, uint64]]
	// VerifyQueue is (draw height, job id) of VERIFYING jobs waiting for
	// their verifiers: the BeginBlocker draws them.
	VerifyQueue collections.KeySet[collections.Pair[int64, uint64]]
}

// NewKeeper returns the x/inference keeper. The app must register the
// "inference" module account with the Burner permission and the
// "inference_protocol" account without permissions. rewards may be nil: no
// points are recorded.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ak types.AccountKeeper,
	bank types.BankKeeper, compute types.ComputeKeeper, pool types.PoolKeeper, rewards types.RewardsKeeper,
	authority string,
) Keeper {
	addressCodec := ak.AddressCodec()
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid x/inference authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	pairAddrID := collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)
	pairHeightID := collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)
	k := Keeper{
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		bank:         bank,
		compute:      compute,
		pool:         pool,
		rewards:      rewards,
		authority:    authority,
		callbacks:    &callbackRegistry{},

		Params:           collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Models:           collections.NewMap(sb, types.ModelsKey, "models", collections.StringKey, codec.CollValue[types.Model](cdc)),
		Jobs:             collections.NewMap(sb, types.JobsKey, "jobs", collections.Uint64Key, codec.CollValue[types.Job](cdc)),
		NextJobID:        collections.NewSequence(sb, types.NextJobIDKey, "next_job_id"),
		JobsByRequester:  collections.NewKeySet(sb, types.JobsByRequesterKey, "jobs_by_requester", pairAddrID),
		JobsByWorker:     collections.NewKeySet(sb, types.JobsByWorkerKey, "jobs_by_worker", pairAddrID),
		OpenJobsByWorker: collections.NewKeySet(sb, types.OpenJobsByWorkerKey, "open_jobs_by_worker", pairAddrID),
		JobsByStatus: collections.NewKeySet(sb, types.JobsByStatusKey, "jobs_by_status",
			collections.PairKeyCodec(collections.Int32Key, collections.Uint64Key)),
		CommitQueue:   collections.NewKeySet(sb, types.CommitQueueKey, "commit_queue", pairHeightID),
		DeadlineQueue: collections.NewKeySet(sb, types.DeadlineQueueKey, "deadline_queue", pairHeightID),
		PruneQueue:    collections.NewKeySet(sb, types.PruneQueueKey, "prune_queue", pairHeightID),
		WorkerStats: collections.NewMap(sb, types.WorkerStatsKey, "worker_stats", sdk.AccAddressKey,
			codec.CollValue[types.WorkerStats](cdc)),
		WaitQueue: collections.NewKeySet(sb, types.WaitQueueKey, "wait_queue",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)),
		QueueLength:   collections.NewMap(sb, types.QueueLengthKey, "queue_length", collections.StringKey, collections.Uint32Value),
		CallbackQueue: collections.NewKeySet(sb, types.CallbackQueueKey, "callback_queue", pairHeightID),
		VerifyQueue:   collections.NewKeySet(sb, types.VerifyQueueKey, "verify_queue", pairHeightID),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the module authority.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec.
func (k Keeper) AddressCodec() address.Codec { return k.addressCodec }

// Logger returns the module logger.
func (k Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

// UpdateParams replaces the params on behalf of authority, which must be the
// module authority (MsgUpdateParams.ValidateBasic has checked the params).
// It refuses (ErrInvalidParams) to drop from fee_denoms a denom that a
// model is still priced in: every stored model stays priced only in allowed
// denoms, so an exported genesis stays valid. To stop payments in a denom,
// update the models priced in it first.
func (k Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidAuthority,
		func() error {
			// The registry is authority-made and small; Walk runs in key order.
			if err := k.Models.Walk(ctx, nil, func(_ string, m types.Model) (bool, error) {
				if err := p.CheckPrices(m); err != nil {
					return true, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
				}
				return false, nil
			}); err != nil {
				return err
			}
			return k.Params.Set(ctx, p)
		}, &types.EventParamsUpdated{Authority: authority})
}

// GetJob returns a job, or types.ErrJobNotFound.
func (k Keeper) GetJob(ctx context.Context, id uint64) (types.Job, error) {
	j, err := k.Jobs.Get(ctx, id)
	if err != nil {
		return j, kit.NotFound(err, types.ErrJobNotFound, fmt.Sprintf("job %d", id))
	}
	return j, nil
}

// addrString renders an address with the chain's codec (for state, errors and events).
func (k Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.addressCodec, a) }

// addrBytes decodes an address with the chain's codec (types.ErrInvalidAddress).
func (k Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.addressCodec, s, types.ErrInvalidAddress)
}
