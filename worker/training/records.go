package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
)

// ErrCorrupt marks a record that fails its checksum or does not name what
// its file name says.
var ErrCorrupt = errors.New("training: corrupt record")

// UpdateRecord is what a participant knows of its update in one round. It
// is saved (fsynced) with the salt before the commitment is broadcast, so
// that a restarted worker reveals it without training again; the commitment
// is only ever taken from it.
type UpdateRecord struct {
	TaskID uint64 `json:"task_id"`
	Round  uint32 `json:"round"`
	// BaseDigest is the checkpoint the update starts from.
	BaseDigest []byte `json:"base_digest"`
	// Digest is the SHA-256 of the update blob (its checkpoint encoding),
	// URI where it is served.
	Digest  []byte `json:"digest"`
	URI     string `json:"uri"`
	Samples uint64 `json:"samples"`
	Loss    uint64 `json:"loss"`
	// Salt is 32 random bytes; Commitment = types.UpdateCommitment(task,
	// round, worker, Digest, Samples, Loss, Salt).
	Salt       []byte `json:"salt"`
	Commitment []byte `json:"commitment"`
	// Shard and Shards are the worker's index among the round's participants
	// and their number; Data says where the examples came from.
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	Data   string `json:"data"`
	// CommitTx and CommitHeight are the last commit broadcast (hash, height seen then).
	CommitTx     string    `json:"commit_tx,omitempty"`
	CommitHeight int64     `json:"commit_height,omitempty"`
	Committed    bool      `json:"committed,omitempty"`
	RevealTx     string    `json:"reveal_tx,omitempty"`
	RevealHeight int64     `json:"reveal_height,omitempty"`
	Revealed     bool      `json:"revealed,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// AggregateRecord is what an aggregator knows of its checkpoint in one round.
type AggregateRecord struct {
	TaskID     uint64 `json:"task_id"`
	Round      uint32 `json:"round"`
	BaseDigest []byte `json:"base_digest"`
	// Digest is the SHA-256 of the checkpoint blob, URI where it is served.
	Digest   []byte `json:"digest"`
	URI      string `json:"uri"`
	EvalLoss uint64 `json:"eval_loss"`
	// Updates are the digests aggregated, in the round's order; Excluded
	// the revealed ones left out as invalid.
	Updates  [][]byte `json:"updates"`
	Excluded [][]byte `json:"excluded,omitempty"`
	Data     string   `json:"data"`
	// SubmitTx and SubmitHeight are the last submission broadcast.
	SubmitTx     string    `json:"submit_tx,omitempty"`
	SubmitHeight int64     `json:"submit_height,omitempty"`
	Submitted    bool      `json:"submitted,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// JoinRecord is the worker's MsgJoinTask for a task: sent once.
type JoinRecord struct {
	TaskID uint64 `json:"task_id"`
	Tx     string `json:"tx,omitempty"`
	Height int64  `json:"height,omitempty"`
	Joined bool   `json:"joined,omitempty"`
	// Refused is the chain's reason when it refused the join, at
	// RefusedHeight; the join is tried again RejoinAfter blocks later.
	Refused       string    `json:"refused,omitempty"`
	RefusedHeight int64     `json:"refused_height,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Records keeps the records in a directory (normally
// <home>/data/training) as update-<task>-<round>.json,
// aggregate-<task>-<round>.json and join-<task>.json, each JSON in an
// envelope with its SHA-256, written atomically and fsynced.
type Records struct {
	dir string
}

// OpenRecords opens (creating) the records directory.
func OpenRecords(dir string) (*Records, error) {
	if err := atomicfile.OpenDir(dir); err != nil {
		return nil, err
	}
	return &Records{dir: dir}, nil
}

// Dir is the records directory.
func (r *Records) Dir() string { return r.dir }

const (
	updatePrefix    = "update-"
	aggregatePrefix = "aggregate-"
	joinPrefix      = "join-"
	recordExt       = ".json"
)

func roundName(prefix string, task uint64, round uint32) string {
	return prefix + strconv.FormatUint(task, 10) + "-" + strconv.FormatUint(uint64(round), 10) + recordExt
}

// SaveUpdate writes rec.
func (r *Records) SaveUpdate(rec UpdateRecord) error {
	return r.put(roundName(updatePrefix, rec.TaskID, rec.Round), &rec, &rec.CreatedAt)
}

// Update returns the update record of a round; found is false when there is none.
func (r *Records) Update(task uint64, round uint32) (rec UpdateRecord, found bool, err error) {
	found, err = r.get(roundName(updatePrefix, task, round), &rec)
	if err == nil && found && (rec.TaskID != task || rec.Round != round) {
		return UpdateRecord{}, false, fmt.Errorf("%w: %s names another round", ErrCorrupt, roundName(updatePrefix, task, round))
	}
	return rec, found && err == nil, err
}

// SaveAggregate writes rec.
func (r *Records) SaveAggregate(rec AggregateRecord) error {
	return r.put(roundName(aggregatePrefix, rec.TaskID, rec.Round), &rec, &rec.CreatedAt)
}

// Aggregate returns the aggregate record of a round.
func (r *Records) Aggregate(task uint64, round uint32) (rec AggregateRecord, found bool, err error) {
	found, err = r.get(roundName(aggregatePrefix, task, round), &rec)
	if err == nil && found && (rec.TaskID != task || rec.Round != round) {
		return AggregateRecord{}, false, fmt.Errorf("%w: %s names another round", ErrCorrupt, roundName(aggregatePrefix, task, round))
	}
	return rec, found && err == nil, err
}

func joinName(task uint64) string { return joinPrefix + strconv.FormatUint(task, 10) + recordExt }

// SaveJoin writes rec.
func (r *Records) SaveJoin(rec JoinRecord) error {
	return r.put(joinName(rec.TaskID), &rec, &rec.CreatedAt)
}

// Join returns the join record of a task.
func (r *Records) Join(task uint64) (rec JoinRecord, found bool, err error) {
	found, err = r.get(joinName(task), &rec)
	if err == nil && found && rec.TaskID != task {
		return JoinRecord{}, false, fmt.Errorf("%w: %s names another task", ErrCorrupt, joinName(task))
	}
	return rec, found && err == nil, err
}

// Tasks lists the tasks that have any record.
func (r *Records) Tasks() ([]uint64, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	var out []uint64
	for _, e := range entries {
		if task, _, ok := parseRecordName(e.Name()); ok && !seen[task] {
			seen[task] = true
			out = append(out, task)
		}
	}
	return out, nil
}

// Prune deletes task's round records of rounds before keepFrom (every one
// when keepFrom is 0 — with the join record then, for an ended task).
func (r *Records) Prune(task uint64, keepFrom uint32) error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		t, round, ok := parseRecordName(e.Name())
		if !ok || t != task || keepFrom > 0 && (round == 0 || round >= keepFrom) {
			continue
		}
		if err := os.Remove(filepath.Join(r.dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		removed = true
	}
	if !removed {
		return nil
	}
	return atomicfile.SyncDir(r.dir)
}

// parseRecordName parses a record's file name; round is 0 for a join record.
func parseRecordName(name string) (task uint64, round uint32, ok bool) {
	rest, ok := strings.CutSuffix(name, recordExt)
	if !ok {
		return 0, 0, false
	}
	if s, isJoin := strings.CutPrefix(rest, joinPrefix); isJoin {
		t, err := strconv.ParseUint(s, 10, 64)
		return t, 0, err == nil
	}
	for _, p := range []string{updatePrefix, aggregatePrefix} {
		s, ok := strings.CutPrefix(rest, p)
		if !ok {
			continue
		}
		ts, rs, ok := strings.Cut(s, "-")
		if !ok {
			return 0, 0, false
		}
		t, err1 := strconv.ParseUint(ts, 10, 64)
		n, err2 := strconv.ParseUint(rs, 10, 32)
		return t, uint32(n), err1 == nil && err2 == nil && n > 0
	}
	return 0, 0, false
}

// put writes rec to file name, with created set to now when it is zero.
func (r *Records) put(name string, rec any, created *time.Time) error {
	if created.IsZero() {
		*created = time.Now().UTC()
	}
	return atomicfile.WriteRecord(r.dir, name, rec)
}

// get reads the record in file name into v.
func (r *Records) get(name string, v any) (bool, error) {
	return atomicfile.ReadRecord(r.dir, name, ErrCorrupt, name, v)
}
