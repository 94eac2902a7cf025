// Package state is meshd-worker's on-disk memory: for every epoch it has
// committed (or is about to commit) to, the challenge shape, the Merkle root
// and the product rows, so that a worker restarted between its commit and
// its reveal can still reveal. A record is written, atomically and fsynced,
// before the commit that depends on it is broadcast.
//
// Layout under the directory (normally <home>/data/poc):
//
//	epoch-<N>.json  the Record, in an envelope with its SHA-256
//	epoch-<N>.rows  "MESHROWS" ‖ version ‖ epoch ‖ m ‖ n ‖ p ‖ rows ‖ SHA-256 of all before
//
// JobStore keeps the inference jobs' outputs and salts the same way (normally
// in <home>/data/jobs): job-<id>.json, written before the job's commit.
package state

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
	"github.com/llmesh/mesh/x/compute/poc"
)

// ErrCorrupt marks a record or rows file that fails its checks.
var ErrCorrupt = errors.New("state: corrupt file")

var rowsMagic = [8]byte{'M', 'E', 'S', 'H', 'R', 'O', 'W', 'S'}

const (
	rowsVersion = 1
	// rowsHeader is magic, version (u32), epoch (i64), m, n, p (u32 each).
	rowsHeader = 8 + 4 + 8 + 12
	recordExt  = ".json"
	rowsExt    = ".rows"
)

// Record is what the worker knows about its challenge in one epoch.
type Record struct {
	Epoch int64  `json:"epoch"`
	M     uint32 `json:"m"`
	N     uint32 `json:"n"`
	P     uint32 `json:"p"`
	// Root is the Merkle root over the rows: what is (to be) committed.
	Root []byte `json:"root"`
	// RowsFile is the rows file's name inside the store's directory.
	RowsFile string `json:"rows_file"`
	// CommitTx and CommitHeight are the last commit broadcast (hash, height seen then).
	CommitTx     string `json:"commit_tx,omitempty"`
	CommitHeight int64  `json:"commit_height,omitempty"`
	// Committed is set once the commitment was seen on chain.
	Committed bool `json:"committed,omitempty"`
	// RevealTx and RevealHeight are the last reveal broadcast.
	RevealTx     string `json:"reveal_tx,omitempty"`
	RevealHeight int64  `json:"reveal_height,omitempty"`
	// Outcome is the chain's verdict once known (PROOF_OUTCOME_PASS, ...).
	Outcome   string    `json:"outcome,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Dims returns the challenge shape.
func (r Record) Dims() poc.Dims { return poc.Dims{M: int(r.M), N: int(r.N), P: int(r.P)} }

// Store is a directory of records.
type Store struct {
	dir string
}

// Open opens (creating) the store in dir and removes temporary files left
// by a crash in the middle of a write.
func Open(dir string) (*Store, error) {
	if err := atomicfile.OpenDir(dir); err != nil {
		return nil, err
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func epochName(epoch int64) string { return "epoch-" + strconv.FormatInt(epoch, 10) }

// Save writes the rows and then the record, each atomically, so that a
// record on disk always has its rows. rows must be rec.M rows of 4·rec.P bytes.
func (s *Store) Save(rec Record, rows [][]byte) error {
	if len(rows) != int(rec.M) {
		return fmt.Errorf("state: %d rows, record says %d", len(rows), rec.M)
	}
	rec.RowsFile = epochName(rec.Epoch) + rowsExt
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now().UTC()
	}
	err := atomicfile.Write(s.dir, rec.RowsFile, 0o600, func(w io.Writer) error {
		h := sha256.New()
		bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<20)
		var hdr [rowsHeader]byte
		copy(hdr[:], rowsMagic[:])
		binary.BigEndian.PutUint32(hdr[8:], rowsVersion)
		binary.BigEndian.PutUint64(hdr[12:], uint64(rec.Epoch))
		binary.BigEndian.PutUint32(hdr[20:], rec.M)
		binary.BigEndian.PutUint32(hdr[24:], rec.N)
		binary.BigEndian.PutUint32(hdr[28:], rec.P)
		// bufio keeps the first write error and Flush returns it.
		_, _ = bw.Write(hdr[:])
		for i, r := range rows {
			if len(r) != 4*int(rec.P) {
				return fmt.Errorf("state: row %d has %d bytes, want %d", i, len(r), 4*rec.P)
			}
			_, _ = bw.Write(r)
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := w.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return err
	}
	return s.Update(rec)
}

// Update rewrites the record (tx hashes, outcome) atomically.
func (s *Store) Update(rec Record) error {
	return atomicfile.WriteRecord(s.dir, epochName(rec.Epoch)+recordExt, rec)
}

// Get returns the record of epoch, found=false when there is none.
func (s *Store) Get(epoch int64) (rec Record, found bool, err error) {
	found, err = atomicfile.ReadRecord(s.dir, epochName(epoch)+recordExt, ErrCorrupt, fmt.Sprintf("epoch %d record", epoch), &rec)
	if err != nil || !found {
		return Record{}, false, err
	}
	if rec.Epoch != epoch {
		return Record{}, false, fmt.Errorf("%w: epoch %d record body", ErrCorrupt, epoch)
	}
	return rec, true, nil
}

// Rows loads and checks the rows of rec.
func (s *Store) Rows(rec Record) ([][]byte, error) {
	if rec.RowsFile == "" || filepath.Base(rec.RowsFile) != rec.RowsFile {
		return nil, fmt.Errorf("%w: epoch %d rows file name %q", ErrCorrupt, rec.Epoch, rec.RowsFile)
	}
	raw, err := os.ReadFile(filepath.Join(s.dir, rec.RowsFile))
	if err != nil {
		return nil, err
	}
	rowLen := 4 * int(rec.P)
	want := rowsHeader + int(rec.M)*rowLen + sha256.Size
	if len(raw) != want {
		return nil, fmt.Errorf("%w: epoch %d rows file has %d bytes, want %d", ErrCorrupt, rec.Epoch, len(raw), want)
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: epoch %d rows checksum", ErrCorrupt, rec.Epoch)
	}
	if !bytes.Equal(body[:8], rowsMagic[:]) ||
		binary.BigEndian.Uint32(body[8:]) != rowsVersion ||
		int64(binary.BigEndian.Uint64(body[12:])) != rec.Epoch ||
		binary.BigEndian.Uint32(body[20:]) != rec.M ||
		binary.BigEndian.Uint32(body[24:]) != rec.N ||
		binary.BigEndian.Uint32(body[28:]) != rec.P {
		return nil, fmt.Errorf("%w: epoch %d rows header does not match the record", ErrCorrupt, rec.Epoch)
	}
	data := body[rowsHeader:]
	rows := make([][]byte, rec.M)
	for i := range rows {
		rows[i] = data[i*rowLen : (i+1)*rowLen : (i+1)*rowLen]
	}
	return rows, nil
}

// Epochs lists the epochs with a record, ascending.
func (s *Store) Epochs() ([]int64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range entries {
		if n, ok := parseName(e.Name(), recordExt); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Prune deletes every record and rows file of epochs before keepFrom,
// orphaned rows files included, and returns the epochs removed.
func (s *Store) Prune(keepFrom int64) ([]int64, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var removed []int64
	for _, e := range entries {
		n, isRecord := parseName(e.Name(), recordExt)
		if !isRecord {
			var isRows bool
			if n, isRows = parseName(e.Name(), rowsExt); !isRows {
				continue
			}
		}
		if n >= keepFrom {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, err
		}
		if isRecord {
			removed = append(removed, n)
		}
	}
	slices.Sort(removed)
	return removed, atomicfile.SyncDir(s.dir)
}

func parseName(name, ext string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, "epoch-")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, ext)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	return n, err == nil
}
