package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module and of its escrow module account
	// (permission: Burner, for fee_burn_bps).
	ModuleName = "inference"
	// StoreKey is the KV store key of the module.
	StoreKey = ModuleName
	// ProtocolFeeAccount is the module account (no permissions) that receives
	// protocol_fee_bps of each paid fee and the rounding dust; x/rewards sweeps it.
	ProtocolFeeAccount = "inference_protocol"
	// TreasuryAccount is the DAO treasury's module account (x/dao's module
	// name; not imported: x/dao imports x/inference). A refund x/bank refuses
	// goes there (issue 17 M3).
	TreasuryAccount = "dao"
	// BaseFeeDenom is always accepted for fees: the x/pool bond denom of meshd.
	BaseFeeDenom = "umesh"
	// SeedPurpose is the purpose of x/compute's Seed for a job's assignment
	// (id: be64(job id)).
	SeedPurpose = "inference"
	// VerifySeedPurpose is the purpose of the seed that draws a VERIFY job's
	// verifiers (of the draw height, after the generator's commitment).
	VerifySeedPurpose = "inference-verify"
)

// Store prefixes. One byte each; never renumber (the layout is pinned by
// keeper/keys_test.go).
var (
	// ParamsKey holds the module Params (Item).
	ParamsKey = collections.NewPrefix(0)
	// ModelsKey maps model id → Model.
	ModelsKey = collections.NewPrefix(1)
	// JobsKey maps job id → Job.
	JobsKey = collections.NewPrefix(2)
	// NextJobIDKey is the job id sequence.
	NextJobIDKey = collections.NewPrefix(3)
	// JobsByRequesterKey is the set of (requester, job id).
	JobsByRequesterKey = collections.NewPrefix(4)
	// JobsByWorkerKey is the set of (worker, job id) of every job a worker was assigned.
	JobsByWorkerKey = collections.NewPrefix(5)
	// OpenJobsByWorkerKey is the set of (worker, job id) of open jobs: a worker's queue.
	OpenJobsByWorkerKey = collections.NewPrefix(6)
	// JobsByStatusKey is the set of (status, job id).
	JobsByStatusKey = collections.NewPrefix(7)
	// CommitQueueKey is the set of (commit_end, job id) of jobs still committing.
	CommitQueueKey = collections.NewPrefix(8)
	// DeadlineQueueKey is the set of (deadline, job id) of open jobs.
	DeadlineQueueKey = collections.NewPrefix(9)
	// PruneQueueKey is the set of (prune height, job id) of ended jobs.
	PruneQueueKey = collections.NewPrefix(10)
	// WorkerStatsKey maps worker address → WorkerStats.
	WorkerStatsKey = collections.NewPrefix(11)
	// WaitQueueKey is the set of (model id, job id) of QUEUED jobs: a FIFO per model.
	WaitQueueKey = collections.NewPrefix(12)
	// QueueLengthKey maps model id → number of its QUEUED jobs.
	QueueLengthKey = collections.NewPrefix(13)
	// CallbackQueueKey is the set of (ended height, job id) of ended jobs
	// whose contract callback waits to be dispatched, in that order.
	CallbackQueueKey = collections.NewPrefix(14)
	// VerifyQueueKey is the set of (draw height, job id) of VERIFYING jobs
	// whose verifiers are not drawn yet.
	VerifyQueueKey = collections.NewPrefix(15)
)
