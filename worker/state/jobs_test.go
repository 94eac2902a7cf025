package state

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJobStore(t *testing.T) {
	dir := t.TempDir()
	js, err := OpenJobs(dir)
	require.NoError(t, err)
	_, found, err := js.Get(7)
	require.NoError(t, err)
	require.False(t, found)

	rec := JobRecord{JobID: 7, ModelID: "mesh-embedded-v1", Output: []byte(`{"label":"low"}`), OutputDigest: make([]byte, 32),
		Salt: []byte("0123456789abcdef0123456789abcdef"), Commitment: make([]byte, 32), CommitEnd: 10, Deadline: 20}
	require.NoError(t, js.Save(rec))
	require.NoError(t, js.Save(JobRecord{JobID: 12}))
	got, found, err := js.Get(7)
	require.NoError(t, err)
	require.True(t, found)
	require.False(t, got.CreatedAt.IsZero())
	rec.CreatedAt = got.CreatedAt
	require.Equal(t, rec, got)

	// A reopened store (a restarted worker) sees the same records.
	js2, err := OpenJobs(dir)
	require.NoError(t, err)
	ids, err := js2.IDs()
	require.NoError(t, err)
	require.Equal(t, []uint64{7, 12}, ids)

	require.NoError(t, js2.Delete(12))
	require.NoError(t, js2.Delete(12))
	ids, err = js2.IDs()
	require.NoError(t, err)
	require.Equal(t, []uint64{7}, ids)

	// Damage is detected, not read as a record.
	path := filepath.Join(dir, "job-7.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 0x20
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	_, _, err = js2.Get(7)
	require.ErrorIs(t, err, ErrCorrupt)

	// A record under another id's name is corrupt too.
	require.NoError(t, js2.Save(JobRecord{JobID: 9}))
	require.NoError(t, os.Rename(filepath.Join(dir, "job-9.json"), filepath.Join(dir, "job-10.json")))
	_, _, err = js2.Get(10)
	require.ErrorIs(t, err, ErrCorrupt)
}
