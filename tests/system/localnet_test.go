package system

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// localnet runs scripts/localnet.sh (what `make localnet` runs) with its own
// home and free ports.
type localnet struct {
	root, home string
	cli        *CLI
	env        []string
	rpcPort    int
}

func newLocalnet(t *testing.T) *localnet {
	root, err := repoRoot()
	require.NoError(t, err)
	ports := freePorts(t, 4)
	l := &localnet{root: root, home: filepath.Join(t.TempDir(), "localnet"), cli: NewCLI(t), rpcPort: ports[0]}
	l.env = append(l.cli.env(),
		"MESHD="+meshdBinary,
		"LOCALNET_HOME="+l.home,
		"LOCALNET_RPC_PORT="+strconv.Itoa(ports[0]),
		"LOCALNET_P2P_PORT="+strconv.Itoa(ports[1]),
		"LOCALNET_GRPC_PORT="+strconv.Itoa(ports[2]),
		"LOCALNET_API_PORT="+strconv.Itoa(ports[3]),
	)
	t.Cleanup(func() { _, _ = l.run("reset") })
	return l
}

// run runs `scripts/localnet.sh cmd` and returns its combined output.
func (l *localnet) run(cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, filepath.Join(l.root, "scripts", "localnet.sh"), cmd)
	c.Env = l.env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.String(), err
}

func (l *localnet) mustRun(t *testing.T, cmd string) string {
	t.Helper()
	out, err := l.run(cmd)
	require.NoError(t, err, "localnet.sh %s:\n%s\nnode log:\n%s", cmd, out, tail(filepath.Join(l.home, "meshd.log"), logTailLines))
	return out
}

func (l *localnet) nodeHome() string { return filepath.Join(l.home, "meshd") }

func (l *localnet) height(t *testing.T) int64 {
	t.Helper()
	var st NodeStatus
	l.cli.RunJSON(t, &st, "status", "--home", l.nodeHome())
	return st.Height()
}

// `make localnet` starts a chain with funded dev accounts that answers on the
// configured ports; a second start leaves it alone; stop and start resume the
// same chain; reset removes it.
func TestLocalnetScript(t *testing.T) {
	requireSystemTests(t)
	l := newLocalnet(t)

	out := l.mustRun(t, "start")
	require.Contains(t, out, "chain-id mesh-local-1")
	require.Contains(t, out, fmt.Sprintf("http://127.0.0.1:%d", l.rpcPort))
	require.GreaterOrEqual(t, l.height(t), int64(2))

	// The dev accounts are in the test keyring and funded; client.toml in the
	// localnet home carries chain-id, keyring and node.
	alice := strings.TrimSpace(l.cli.Run(t, "keys", "show", "alice", "-a", "--home", l.nodeHome()))
	require.Contains(t, out, alice)
	require.EqualValues(t, 1_000_000_000_000, l.cli.Balance(t, alice, denom, "--home", l.nodeHome()))

	// Running it twice does not re-initialise or restart anything.
	pid, err := os.ReadFile(filepath.Join(l.home, "meshd.pid"))
	require.NoError(t, err)
	out = l.mustRun(t, "start")
	require.Contains(t, out, "already running")
	pid2, err := os.ReadFile(filepath.Join(l.home, "meshd.pid"))
	require.NoError(t, err)
	require.Equal(t, string(pid), string(pid2))
	require.Equal(t, alice, strings.TrimSpace(l.cli.Run(t, "keys", "show", "alice", "-a", "--home", l.nodeHome())))

	// Stop, then start again: the same chain continues from its height.
	before := l.height(t)
	l.mustRun(t, "stop")
	_, err = l.run("status")
	require.Error(t, err, "status must fail while stopped")
	l.mustRun(t, "start")
	require.GreaterOrEqual(t, l.height(t), before)
	require.Equal(t, alice, strings.TrimSpace(l.cli.Run(t, "keys", "show", "alice", "-a", "--home", l.nodeHome())))

	l.mustRun(t, "reset")
	_, err = os.Stat(l.home)
	require.True(t, os.IsNotExist(err), "reset must remove %s", l.home)
}
