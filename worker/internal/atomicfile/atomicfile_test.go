package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
)

// A write lands whole with its mode; a failing one leaves neither the file
// nor a temporary; OpenDir cleans what a crash left.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, atomicfile.WriteBytes(dir, "a", 0o644, []byte("hello")))
	b, err := os.ReadFile(filepath.Join(dir, "a"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))
	st, err := os.Stat(filepath.Join(dir, "a"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	err = atomicfile.Write(dir, "b", 0o600, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return errors.New("disk full")
	})
	require.EqualError(t, err, "disk full")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only a")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "c"+atomicfile.TmpMarker+"123"), []byte("x"), 0o600))
	require.NoError(t, atomicfile.OpenDir(dir))
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

// A record file is the indented envelope the worker has always written, so
// records from before a restart or an upgrade still load; damage wraps the
// caller's error.
func TestRecord(t *testing.T) {
	const file = "{\n  \"record\": {\n    \"epoch\": 7\n  },\n  \"sha256\": \"1b3ucgBZqpT4ijU/+wMmQOfSz8FMGh4Z69JN9Uhrzmc=\"\n}"
	type rec struct {
		Epoch int `json:"epoch"`
	}
	dir, corrupt := t.TempDir(), errors.New("corrupt")
	require.NoError(t, atomicfile.WriteRecord(dir, "r.json", rec{Epoch: 7}))
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	require.NoError(t, err)
	require.Equal(t, file, string(b))

	var got rec
	found, err := atomicfile.ReadRecord(dir, "r.json", corrupt, "r", &got)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, 7, got.Epoch)
	found, err = atomicfile.ReadRecord(dir, "none.json", corrupt, "none", &got)
	require.NoError(t, err)
	require.False(t, found)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "r.json"), []byte(strings.Replace(file, "7", "8", 1)), 0o600))
	_, err = atomicfile.ReadRecord(dir, "r.json", corrupt, "r", &got)
	require.ErrorIs(t, err, corrupt)
	require.EqualError(t, err, "corrupt: r checksum")
}
