package types

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis is the default params and no state; every id starts at 1.
func DefaultGenesis() *GenesisState {
	return &GenesisState{
		Params:        DefaultParams(),
		NextDatasetId: 1,
		NextItemId:    1,
		NextTaskId:    1,
	}
}

// Validate checks a genesis state without an address codec (InitGenesis
// decodes the addresses): params; next ids ≥ 1 and above every id in use;
// datasets, items, annotations, annotator stats, tasks, task workers and
// rounds unique by their keys and referring to records that exist; items
// with a 32-byte digest (of their inline data, if any) unique in their
// dataset; annotations only on OPEN items; task budgets and round numbers in
// range. Records are checked in the order given, so the first bad one is
// the one reported.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextDatasetId == 0 || gs.NextItemId == 0 || gs.NextTaskId == 0 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "next_dataset_id %d, next_item_id %d and next_task_id %d must be at least 1",
			gs.NextDatasetId, gs.NextItemId, gs.NextTaskId)
	}
	datasets, err := gs.validateDatasets()
	if err != nil {
		return err
	}
	items, err := gs.validateItems(datasets)
	if err != nil {
		return err
	}
	if err := gs.validateAnnotations(items); err != nil {
		return err
	}
	if err := gs.validateAnnotatorStats(); err != nil {
		return err
	}
	tasks, err := gs.validateTasks(datasets)
	if err != nil {
		return err
	}
	if err := gs.validateTaskWorkers(tasks); err != nil {
		return err
	}
	return gs.validateRounds(tasks)
}

// validateDatasets checks each dataset's id and fields; it returns them by id.
func (gs GenesisState) validateDatasets() (map[uint64]*Dataset, error) {
	datasets := make(map[uint64]*Dataset, len(gs.Datasets))
	for i := range gs.Datasets {
		d := &gs.Datasets[i]
		if d.Id == 0 || d.Id >= gs.NextDatasetId {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset id %d outside 1…next_dataset_id−1 (%d)", d.Id, gs.NextDatasetId-1)
		}
		if _, dup := datasets[d.Id]; dup {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d listed twice", d.Id)
		}
		datasets[d.Id] = d
		if d.Owner == "" || d.Name == "" {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d: empty owner or name", d.Id)
		}
	}
	return datasets, nil
}

// validateItems checks each item's id, dataset, digest and status, and each
// dataset's item count; it returns the items by id.
func (gs GenesisState) validateItems(datasets map[uint64]*Dataset) (map[uint64]*Item, error) {
	type digestKey struct {
		dataset uint64
		digest  string
	}
	items := make(map[uint64]*Item, len(gs.Items))
	digests := make(map[digestKey]uint64, len(gs.Items))
	itemCount := make(map[uint64]uint64, len(gs.Datasets))
	for i := range gs.Items {
		it := &gs.Items[i]
		if it.Id == 0 || it.Id >= gs.NextItemId {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item id %d outside 1…next_item_id−1 (%d)", it.Id, gs.NextItemId-1)
		}
		if _, dup := items[it.Id]; dup {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d listed twice", it.Id)
		}
		items[it.Id] = it
		if _, ok := datasets[it.DatasetId]; !ok {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d: dataset %d does not exist", it.Id, it.DatasetId)
		}
		itemCount[it.DatasetId]++
		if it.Contributor == "" {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d: empty contributor", it.Id)
		}
		if len(it.Digest) != sha256.Size {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d: digest of %d bytes, want %d", it.Id, len(it.Digest), sha256.Size)
		}
		if len(it.Data) > 0 {
			if sum := sha256.Sum256(it.Data); !bytes.Equal(sum[:], it.Digest) {
				return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d: digest is not the SHA-256 of its inline data", it.Id)
			}
		}
		dk := digestKey{it.DatasetId, string(it.Digest)}
		if other, dup := digests[dk]; dup {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "items %d and %d of dataset %d have the same digest", other, it.Id, it.DatasetId)
		}
		digests[dk] = it.Id
		switch it.Status {
		case ITEM_STATUS_OPEN, ITEM_STATUS_DISPUTED:
		case ITEM_STATUS_LABELED:
			if it.Label == "" {
				return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d: LABELED without a label", it.Id)
			}
		default:
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "item %d: invalid status %d", it.Id, it.Status)
		}
	}
	// Items are never removed, so a dataset's counter is its item count.
	for i := range gs.Datasets {
		d := &gs.Datasets[i]
		if d.Items != itemCount[d.Id] {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "dataset %d counts %d items, genesis has %d", d.Id, d.Items, itemCount[d.Id])
		}
	}
	return items, nil
}

// validateAnnotations checks each annotation's item and key, and each OPEN
// item's annotation count.
func (gs GenesisState) validateAnnotations(items map[uint64]*Item) error {
	type annKey struct {
		item      uint64
		annotator string
	}
	annotations := make(map[annKey]bool, len(gs.Annotations))
	pending := make(map[uint64]uint32)
	for _, a := range gs.Annotations {
		it, ok := items[a.ItemId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "annotation of %s: item %d does not exist", a.Annotator, a.ItemId)
		}
		if it.Status != ITEM_STATUS_OPEN {
			return errorsmod.Wrapf(ErrInvalidGenesis, "annotation of %s on item %d, which is %s (annotations are settled when an item is final)",
				a.Annotator, a.ItemId, it.Status)
		}
		if a.Annotator == "" || a.Label == "" {
			return errorsmod.Wrapf(ErrInvalidGenesis, "annotation on item %d: empty annotator or label", a.ItemId)
		}
		k := annKey{a.ItemId, a.Annotator}
		if annotations[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "annotation of %s on item %d listed twice", a.Annotator, a.ItemId)
		}
		annotations[k] = true
		if !a.Stake.IsValid() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "annotation of %s on item %d: invalid stake %s", a.Annotator, a.ItemId, a.Stake)
		}
		pending[a.ItemId]++
	}
	// An OPEN item's pending annotations are all it has received.
	for i := range gs.Items {
		it := &gs.Items[i]
		if it.Status == ITEM_STATUS_OPEN && it.Annotations != pending[it.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "item %d counts %d annotations, genesis has %d", it.Id, it.Annotations, pending[it.Id])
		}
	}
	return nil
}

// validateAnnotatorStats checks that each annotator's stats appear once.
func (gs GenesisState) validateAnnotatorStats() error {
	annotators := make(map[string]bool, len(gs.AnnotatorStats))
	for _, s := range gs.AnnotatorStats {
		if s.Annotator == "" {
			return errorsmod.Wrap(ErrInvalidGenesis, "annotator stats with an empty annotator")
		}
		if annotators[s.Annotator] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "annotator stats of %s listed twice", s.Annotator)
		}
		annotators[s.Annotator] = true
	}
	return nil
}

// validateTasks checks each task's id and fields; it returns them by id.
func (gs GenesisState) validateTasks(datasets map[uint64]*Dataset) (map[uint64]*Task, error) {
	tasks := make(map[uint64]*Task, len(gs.Tasks))
	for i := range gs.Tasks {
		t := &gs.Tasks[i]
		if t.Id == 0 || t.Id >= gs.NextTaskId {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "task id %d outside 1…next_task_id−1 (%d)", t.Id, gs.NextTaskId-1)
		}
		if _, dup := tasks[t.Id]; dup {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "task %d listed twice", t.Id)
		}
		tasks[t.Id] = t
		if err := validateGenesisTask(t, datasets); err != nil {
			return nil, errorsmod.Wrapf(ErrInvalidGenesis, "task %d: %s", t.Id, err)
		}
	}
	return tasks, nil
}

// validateTaskWorkers checks each joined worker's task and key, and each
// task's worker count.
func (gs GenesisState) validateTaskWorkers(tasks map[uint64]*Task) error {
	type workerKey struct {
		task   uint64
		worker string
	}
	workers := make(map[workerKey]bool, len(gs.TaskWorkers))
	joined := make(map[uint64]uint32)
	for _, w := range gs.TaskWorkers {
		if _, ok := tasks[w.TaskId]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "worker %s joined task %d, which does not exist", w.Worker, w.TaskId)
		}
		if w.Worker == "" {
			return errorsmod.Wrapf(ErrInvalidGenesis, "task %d: empty worker", w.TaskId)
		}
		k := workerKey{w.TaskId, w.Worker}
		if workers[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "worker %s of task %d listed twice", w.Worker, w.TaskId)
		}
		workers[k] = true
		joined[w.TaskId]++
	}
	for i := range gs.Tasks {
		t := &gs.Tasks[i]
		if t.Workers != joined[t.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "task %d counts %d workers, genesis has %d", t.Id, t.Workers, joined[t.Id])
		}
	}
	return nil
}

// validateRounds checks each round's task, number and fields, and that each
// RUNNING task's current round is in progress.
func (gs GenesisState) validateRounds(tasks map[uint64]*Task) error {
	type roundKey struct {
		task   uint64
		number uint32
	}
	rounds := make(map[roundKey]*Round, len(gs.Rounds))
	for i := range gs.Rounds {
		r := &gs.Rounds[i]
		t, ok := tasks[r.TaskId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "round %d of task %d, which does not exist", r.Number, r.TaskId)
		}
		if r.Number == 0 || r.Number > t.Rounds {
			return errorsmod.Wrapf(ErrInvalidGenesis, "round %d of task %d outside 1…%d", r.Number, r.TaskId, t.Rounds)
		}
		if r.Number > t.CurrentRound {
			return errorsmod.Wrapf(ErrInvalidGenesis, "round %d of task %d is after its current round %d", r.Number, r.TaskId, t.CurrentRound)
		}
		k := roundKey{r.TaskId, r.Number}
		if _, dup := rounds[k]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "round %d of task %d listed twice", r.Number, r.TaskId)
		}
		rounds[k] = r
		if err := validateGenesisRound(r, t); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "round %d of task %d: %s", r.Number, r.TaskId, err)
		}
	}
	// A running task's current round is in progress, or ended before the
	// task's last round: InitGenesis rebuilds its deadline from the phase,
	// or schedules the next round, and without one the task would stall.
	for i := range gs.Tasks {
		t := &gs.Tasks[i]
		if t.Status != TASK_STATUS_RUNNING {
			continue
		}
		r, ok := rounds[roundKey{t.Id, t.CurrentRound}]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "task %d is RUNNING but its current round %d is missing", t.Id, t.CurrentRound)
		}
		// An ended round that is not the last: a transaction ended it and
		// the next round is drawn in the next block.
		if !roundInProgress(r.Phase) && t.CurrentRound == t.Rounds {
			return errorsmod.Wrapf(ErrInvalidGenesis, "task %d is RUNNING but its last round %d is %s", t.Id, t.CurrentRound, r.Phase)
		}
	}
	return nil
}

// validateGenesisTask checks a task's own fields and its datasets.
func validateGenesisTask(t *Task, datasets map[uint64]*Dataset) error {
	if t.Creator == "" || t.BaseModelId == "" {
		return errors.New("empty creator or base_model_id")
	}
	switch t.Status {
	case TASK_STATUS_OPEN, TASK_STATUS_RUNNING, TASK_STATUS_COMPLETED, TASK_STATUS_FAILED:
	default:
		return fmt.Errorf("invalid status %d", t.Status)
	}
	switch t.Aggregation {
	case AGGREGATION_FEDAVG, AGGREGATION_TRIMMED_MEAN, AGGREGATION_MEDIAN:
	default:
		return fmt.Errorf("invalid aggregation %d", t.Aggregation)
	}
	if t.Rounds == 0 || t.ParticipantsPerRound == 0 || t.AggregatorsPerRound == 0 {
		return errors.New("rounds, participants_per_round and aggregators_per_round must be positive")
	}
	if t.CurrentRound > t.Rounds {
		return fmt.Errorf("current_round %d after its last round %d", t.CurrentRound, t.Rounds)
	}
	if t.Status == TASK_STATUS_RUNNING && t.CurrentRound == 0 {
		return errors.New("RUNNING without a current round")
	}
	if len(t.DatasetIds) == 0 {
		return errors.New("no datasets")
	}
	seen := make(map[uint64]bool, len(t.DatasetIds))
	for _, id := range t.DatasetIds {
		if _, ok := datasets[id]; !ok {
			return fmt.Errorf("dataset %d does not exist", id)
		}
		if seen[id] {
			return fmt.Errorf("dataset %d listed twice", id)
		}
		seen[id] = true
	}
	if !t.Budget.IsValid() || !t.Budget.IsPositive() {
		return fmt.Errorf("budget %s must be positive", t.Budget)
	}
	if !t.Spent.IsValid() || t.Spent.Denom != t.Budget.Denom || t.Budget.IsLT(t.Spent) {
		return fmt.Errorf("spent %s must be in %s and at most the budget %s", t.Spent, t.Budget.Denom, t.Budget)
	}
	return nil
}

// validateGenesisRound checks a round's phase, budget and participants.
func validateGenesisRound(r *Round, t *Task) error {
	if r.Phase == ROUND_PHASE_UNSPECIFIED || r.Phase > ROUND_PHASE_FAILED {
		return fmt.Errorf("invalid phase %d", r.Phase)
	}
	if roundInProgress(r.Phase) && (t.Status != TASK_STATUS_RUNNING || r.Number != t.CurrentRound) {
		return fmt.Errorf("%s but it is not the current round of a RUNNING task", r.Phase)
	}
	if !r.Budget.IsValid() || (!r.Budget.IsZero() && r.Budget.Denom != t.Budget.Denom) {
		return fmt.Errorf("invalid budget %s", r.Budget)
	}
	if len(r.Updates) > MaxParticipants || len(r.Aggregates) > MaxAggregators {
		return fmt.Errorf("%d updates and %d aggregates: at most %d and %d",
			len(r.Updates), len(r.Aggregates), MaxParticipants, MaxAggregators)
	}
	seen := make(map[string]bool, len(r.Updates)+len(r.Aggregates))
	for _, u := range r.Updates {
		if u.Worker == "" || seen["u"+u.Worker] {
			return fmt.Errorf("participant %q empty or drawn twice", u.Worker)
		}
		seen["u"+u.Worker] = true
		if !u.Paid.IsValid() {
			return fmt.Errorf("participant %s: invalid paid %s", u.Worker, u.Paid)
		}
	}
	for _, a := range r.Aggregates {
		if a.Worker == "" || seen["a"+a.Worker] {
			return fmt.Errorf("aggregator %q empty or drawn twice", a.Worker)
		}
		seen["a"+a.Worker] = true
		if !a.Paid.IsValid() {
			return fmt.Errorf("aggregator %s: invalid paid %s", a.Worker, a.Paid)
		}
	}
	return nil
}

// roundInProgress reports whether a round in phase p waits for a deadline.
func roundInProgress(p RoundPhase) bool {
	return p == ROUND_PHASE_COMMIT || p == ROUND_PHASE_REVEAL || p == ROUND_PHASE_AGGREGATE
}
