package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module and of its module account, which
	// escrows annotation stakes and task budgets (Burner: slashed stakes).
	ModuleName = "training"

	// StoreKey is the KV store key of the module.
	StoreKey = ModuleName
)

// Collection prefixes. One byte each; never renumber.
var (
	ParamsKey         = collections.NewPrefix(0)
	NextDatasetIDKey  = collections.NewPrefix(1)
	NextItemIDKey     = collections.NewPrefix(2)
	NextTaskIDKey     = collections.NewPrefix(3)
	DatasetsKey       = collections.NewPrefix(4)
	ItemsKey          = collections.NewPrefix(5)
	ItemsByDatasetKey = collections.NewPrefix(6) // (dataset, item) key set
	ItemsByDigestKey  = collections.NewPrefix(7) // (dataset, digest) → item
	AnnotationsKey    = collections.NewPrefix(8) // (item, annotator) → Annotation
	AnnotatorStatsKey = collections.NewPrefix(9)
	TasksKey          = collections.NewPrefix(10)
	TaskWorkersKey    = collections.NewPrefix(11) // (task, worker) key set
	RoundsKey         = collections.NewPrefix(12) // (task, round) → Round
	RoundDeadlinesKey = collections.NewPrefix(13) // (height, task) key set: the current round's next phase end, or an OPEN task's first round
	RecentJoinsKey    = collections.NewPrefix(14) // (height, task, worker) key set: joins of the block at height, pruned by the EndBlocker
)
