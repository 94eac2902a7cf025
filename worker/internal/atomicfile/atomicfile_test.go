package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
)

// A write lands whole with its mode; a failing one leaves neither the file
// nor a temporary; RemoveTemps cleans what a crash left.
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
	require.NoError(t, atomicfile.RemoveTemps(dir))
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}
