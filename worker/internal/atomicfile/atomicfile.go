// Package atomicfile writes files so that a crash never leaves a partial one
// under its final name: the worker's proofs, job records, training records
// and blobs all go through it. Every checksummed JSON record is written and
// read by WriteRecord and ReadRecord.
package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// TmpMarker is in the name of every temporary file Write creates;
// OpenDir deletes the ones a crash left behind.
const TmpMarker = ".tmp-"

// Write writes dir/name through a temporary file in dir that is filled by
// write, given perm, fsynced and renamed over name; the directory is then
// fsynced so that the rename is durable.
func Write(dir, name string, perm os.FileMode, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(dir, name+TmpMarker+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteBytes is Write of data.
func WriteBytes(dir, name string, perm os.FileMode, data []byte) error {
	return Write(dir, name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// OpenDir creates dir (mode 0700) when it is missing and deletes the
// temporary files a crash left in it.
func OpenDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), TmpMarker) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// SyncDir fsyncs a directory, making renames and removals in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
