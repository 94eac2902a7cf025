package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// JobRecord is what the worker knows about one x/inference job it answers:
// the output and the salt of its commitment, saved (fsynced) before the
// commit is broadcast so that a restarted worker can still reveal.
type JobRecord struct {
	JobID   uint64 `json:"job_id"`
	ModelID string `json:"model_id"`
	// Output is what the worker reveals; OutputDigest its SHA-256.
	Output       []byte `json:"output"`
	OutputDigest []byte `json:"output_digest"`
	// Salt is 32 random bytes; Commitment = SHA-256(be64(job) ‖ worker ‖ OutputDigest ‖ Salt).
	Salt       []byte `json:"salt"`
	Commitment []byte `json:"commitment"`
	// CommitEnd and Deadline are the job's, for logs and pruning.
	CommitEnd int64 `json:"commit_end"`
	Deadline  int64 `json:"deadline"`
	// CommitTx and CommitHeight are the last commit broadcast (hash, height seen then).
	CommitTx     string `json:"commit_tx,omitempty"`
	CommitHeight int64  `json:"commit_height,omitempty"`
	// Committed is set once the commitment was seen on chain.
	Committed bool `json:"committed,omitempty"`
	// RevealTx and RevealHeight are the last reveal broadcast.
	RevealTx     string `json:"reveal_tx,omitempty"`
	RevealHeight int64  `json:"reveal_height,omitempty"`
	// Revealed is set once the reveal was seen on chain.
	Revealed bool `json:"revealed,omitempty"`
	// Verdict, for a verifier seat of a VERIFY job, is what it reveals
	// (Output is then empty and OutputDigest the verdict's digest).
	Verdict   *inferencetypes.Verdict `json:"verdict,omitempty"`
	CreatedAt time.Time               `json:"created_at"`
}

// JobStore keeps one JobRecord per job in a directory (normally
// <home>/data/jobs), as job-<id>.json in the same checksummed envelope as
// the epoch records.
type JobStore struct {
	s *Store
}

// OpenJobs opens (creating) a job store in dir.
func OpenJobs(dir string) (*JobStore, error) {
	s, err := Open(dir)
	if err != nil {
		return nil, err
	}
	return &JobStore{s: s}, nil
}

// Dir is the store's directory.
func (j *JobStore) Dir() string { return j.s.dir }

const jobPrefix = "job-"

func jobName(id uint64) string { return jobPrefix + strconv.FormatUint(id, 10) + recordExt }

// Save writes rec atomically (temporary file, fsync, rename, directory fsync).
func (j *JobStore) Save(rec JobRecord) error {
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now().UTC()
	}
	return atomicfile.WriteRecord(j.s.dir, jobName(rec.JobID), rec)
}

// Get returns job id's record, found=false when there is none.
func (j *JobStore) Get(id uint64) (rec JobRecord, found bool, err error) {
	found, err = atomicfile.ReadRecord(j.s.dir, jobName(id), ErrCorrupt, fmt.Sprintf("job %d record", id), &rec)
	if err != nil || !found {
		return JobRecord{}, false, err
	}
	if rec.JobID != id {
		return JobRecord{}, false, fmt.Errorf("%w: job %d record body", ErrCorrupt, id)
	}
	return rec, true, nil
}

// IDs lists the jobs with a record, ascending.
func (j *JobStore) IDs() ([]uint64, error) {
	entries, err := os.ReadDir(j.s.dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), jobPrefix)
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(rest, recordExt)
		if !ok {
			continue
		}
		if id, err := strconv.ParseUint(num, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Delete removes job id's record (no error when there is none).
func (j *JobStore) Delete(id uint64) error {
	if err := os.Remove(filepath.Join(j.s.dir, jobName(id))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return atomicfile.SyncDir(j.s.dir)
}
