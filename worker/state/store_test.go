package state

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func testRows(m, p int, salt byte) [][]byte {
	rows := make([][]byte, m)
	for i := range rows {
		rows[i] = make([]byte, 4*p)
		for j := range rows[i] {
			rows[i][j] = byte(i*31+j) ^ salt
		}
	}
	return rows
}

func TestSaveReopenRecovers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	rows := testRows(5, 3, 1)
	rec := Record{Epoch: 7, M: 5, N: 9, P: 3, Root: []byte{1, 2, 3}}
	require.NoError(t, s.Save(rec, rows))
	rec, found, err := s.Get(7)
	require.NoError(t, err)
	require.True(t, found)
	rec.CommitTx, rec.CommitHeight = "ABCD", 42
	require.NoError(t, s.Update(rec))

	// A crash mid-write leaves a temporary file behind; a restart (a new
	// Store over the same directory) removes it and still has the epoch.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "epoch-8.json.tmp-123"), []byte("{"), 0o600))
	s2, err := Open(dir)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "epoch-8.json.tmp-123"))
	require.ErrorIs(t, err, os.ErrNotExist)

	got, found, err := s2.Get(7)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "ABCD", got.CommitTx)
	require.Equal(t, int64(42), got.CommitHeight)
	require.Equal(t, []byte{1, 2, 3}, got.Root)
	require.Equal(t, 9, got.Dims().N)
	loaded, err := s2.Rows(got)
	require.NoError(t, err)
	require.Equal(t, rows, loaded)

	_, found, err = s2.Get(8)
	require.NoError(t, err)
	require.False(t, found)
	epochs, err := s2.Epochs()
	require.NoError(t, err)
	require.Equal(t, []int64{7}, epochs)
}

func TestCorruptFilesDetected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string
		mutate func([]byte) []byte
		onGet  bool
	}{
		{"rows bit flip", "epoch-3.rows", func(b []byte) []byte { b[40] ^= 1; return b }, false},
		{"rows truncated", "epoch-3.rows", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"rows checksum", "epoch-3.rows", func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, false},
		{"record body", "epoch-3.json", func(b []byte) []byte { return []byte(string(b[:len(b)/2])) }, true},
		{"record edited", "epoch-3.json", func(b []byte) []byte {
			// Claim more rows without fixing the checksum.
			return bytes.Replace(b, []byte(`"m": 4`), []byte(`"m": 5`), 1)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir)
			require.NoError(t, err)
			require.NoError(t, s.Save(Record{Epoch: 3, M: 4, N: 2, P: 2, Root: []byte{9}}, testRows(4, 2, 0)))
			path := filepath.Join(dir, tc.file)
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tc.mutate(raw), 0o600))

			rec, _, err := s.Get(3)
			if tc.onGet {
				require.ErrorIs(t, err, ErrCorrupt)
				return
			}
			require.NoError(t, err)
			_, err = s.Rows(rec)
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

func TestRowsHeaderMustMatchRecord(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, s.Save(Record{Epoch: 1, M: 2, N: 2, P: 2}, testRows(2, 2, 0)))
	rec, _, err := s.Get(1)
	require.NoError(t, err)
	rec.N = 3 // same file size, different shape
	_, err = s.Rows(rec)
	require.ErrorIs(t, err, ErrCorrupt)
	rec.N, rec.RowsFile = 2, "../escape.rows"
	_, err = s.Rows(rec)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestSaveRejectsWrongShape(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	require.Error(t, s.Save(Record{Epoch: 1, M: 3, P: 2}, testRows(2, 2, 0)))
	require.Error(t, s.Save(Record{Epoch: 1, M: 2, P: 3}, testRows(2, 2, 0)))
	// A failed write leaves nothing behind.
	epochs, err := s.Epochs()
	require.NoError(t, err)
	require.Empty(t, epochs)
	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestPrune(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	for e := int64(1); e <= 5; e++ {
		require.NoError(t, s.Save(Record{Epoch: e, M: 1, N: 1, P: 1}, testRows(1, 1, 0)))
	}
	// An orphaned rows file (crash between the two writes of Save).
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), "epoch-0.rows"), []byte("x"), 0o600))
	removed, err := s.Prune(4)
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3}, removed)
	epochs, err := s.Epochs()
	require.NoError(t, err)
	require.Equal(t, []int64{4, 5}, epochs)
	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 4)
}
