package system

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInstalledBinaryRunsWithoutModuleCache runs `make install` into a
// fresh BINDIR, as an operator packaging meshd for another machine would,
// and checks that the installed meshd needs nothing of the build machine:
// libwasmvm lies beside it, its RUNPATH has $ORIGIN, and with the Go module
// cache hidden (an empty tmpfs over it, in a mount namespace of its own) it
// still loads and initialises a home.
func TestInstalledBinaryRunsWithoutModuleCache(t *testing.T) {
	requireSystemTests(t)
	root, err := repoRoot()
	require.NoError(t, err)
	tmp := t.TempDir()
	bindir := filepath.Join(tmp, "bin")
	out, err := exec.Command("make", "-C", root, "install", "BUILD_DIR="+filepath.Join(tmp, "build"), "BINDIR="+bindir).CombinedOutput()
	require.NoError(t, err, "make install: %s", out)

	meshd := filepath.Join(bindir, "meshd")
	for _, name := range []string{"meshd", "meshd-worker"} {
		st, err := os.Stat(filepath.Join(bindir, name))
		require.NoError(t, err)
		require.NotZero(t, st.Mode()&0o111, "%s is executable", name)
	}
	f, err := elf.Open(meshd)
	require.NoError(t, err)
	defer f.Close()
	needed, err := f.ImportedLibraries()
	require.NoError(t, err)
	var wasmvm string
	for _, lib := range needed {
		if strings.HasPrefix(lib, "libwasmvm") {
			wasmvm = lib
		}
	}
	require.NotEmpty(t, wasmvm, "meshd links libwasmvm: %v", needed)
	_, err = os.Stat(filepath.Join(bindir, wasmvm))
	require.NoError(t, err, "make install puts %s beside meshd", wasmvm)
	runpath, err := f.DynString(elf.DT_RUNPATH)
	require.NoError(t, err)
	require.Contains(t, strings.Join(runpath, ":"), "$ORIGIN", "RUNPATH %v", runpath)

	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	require.NoError(t, err)
	hide := strings.TrimSpace(string(modcache))
	// Inside the namespace: the cache is empty, then meshd runs from BINDIR.
	script := `mount -t tmpfs none "$1" || exit 90
test -z "$(ls -A "$1")" || exit 91
"$2" version && "$2" init portable --chain-id mesh-portable-1 --home "$3" >/dev/null 2>&1 && test -s "$3/config/genesis.json"`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", hide, meshd, filepath.Join(tmp, "home"))
	out, err = cmd.CombinedOutput()
	if noNamespace := strings.HasPrefix(string(out), "unshare:") || cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 90; err != nil && noNamespace {
		// No mount namespace here (an unprivileged container): the ELF
		// checks above are what this machine can show.
		t.Logf("cannot hide the module cache here (%v: %s); checked RUNPATH and the library only", err, out)
		return
	}
	require.NoError(t, err, "installed meshd with %s hidden: %s", hide, out)
	t.Logf("installed meshd runs with the module cache hidden; RUNPATH %v, %s beside it", runpath, wasmvm)
}
