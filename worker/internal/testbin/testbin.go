// Package testbin builds the real meshd-worker binary for tests that run
// it as a separate process (the exec and openai backends' and the exec
// trainer's end-to-end tests), once per test binary.
package testbin

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var built struct {
	once sync.Once
	dir  string
	bin  string
	out  []byte
	err  error
}

// MeshdWorker returns the path of a meshd-worker binary: $MESHD_WORKER_BIN
// when set (e.g. build/meshd-worker from make build), else one built from
// this checkout on first use. It skips the test under -short.
func MeshdWorker(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("MESHD_WORKER_BIN"); bin != "" {
		return bin
	}
	if testing.Short() {
		t.Skip("builds meshd-worker")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "meshd-worker-test"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "meshd-worker")
		if runtime.GOOS == "windows" {
			built.bin += ".exe"
		}
		_, self, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(self), "..", "..", "..")
		// No symbol table or DWARF: linking is several times faster.
		cmd := osexec.Command("go", "build", "-ldflags=-s -w", "-o", built.bin, "./cmd/meshd-worker")
		cmd.Dir = root
		built.out, built.err = cmd.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build ./cmd/meshd-worker: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// Main runs the tests and removes the built binary; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
