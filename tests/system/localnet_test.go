package system

import (
	"bytes"
	"context"
	"encoding/json"
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

// newLocalnet prepares a localnet on free ports; extra are more
// LOCALNET_*=value settings (block time, epochs).
func newLocalnet(t *testing.T, extra ...string) *localnet {
	root, err := repoRoot()
	require.NoError(t, err)
	ports := freePorts(t, 5)
	workerPorts := freePortBlock(t, 3) // worker i listens on base + i − 1
	l := &localnet{root: root, home: filepath.Join(t.TempDir(), "localnet"), cli: NewCLI(t), rpcPort: ports[0]}
	l.env = append(l.cli.env(),
		"MESHD="+meshdBinary,
		"LOCALNET_HOME="+l.home,
		"LOCALNET_RPC_PORT="+strconv.Itoa(ports[0]),
		"LOCALNET_P2P_PORT="+strconv.Itoa(ports[1]),
		"LOCALNET_GRPC_PORT="+strconv.Itoa(ports[2]),
		"LOCALNET_API_PORT="+strconv.Itoa(ports[3]),
		"LOCALNET_SIDECAR_LISTEN=127.0.0.1:"+strconv.Itoa(ports[4]),
		"LOCALNET_WORKER_LISTEN=127.0.0.1:"+strconv.Itoa(workerPorts),
	)
	l.env = append(l.env, extra...)
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

// workerBin is meshd-worker, built beside meshd.
func workerBin() string {
	return filepath.Join(filepath.Dir(meshdBinary), "meshd-worker")
}

// Worker runs `meshd-worker args...` with c's environment and returns stdout.
func (c *CLI) Worker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, workerBin(), args...)
	cmd.Env = c.env()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "meshd-worker %v: %s", args, errOut.String())
	return out.String()
}

func (l *localnet) grpcPort() string {
	for _, kv := range l.env {
		if v, ok := strings.CutPrefix(kv, "LOCALNET_GRPC_PORT="); ok {
			return v
		}
	}
	return "9090"
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(bz)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(strings.TrimSpace(s)), v) }

// abciEvent is an ABCI event as `meshd q tx` and CometBFT's RPC print it.
type abciEvent struct {
	Type       string `json:"type"`
	Attributes []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"attributes"`
}

// has reports whether the event has attribute key.
func (e abciEvent) has(key string) bool {
	for _, a := range e.Attributes {
		if a.Key == key {
			return true
		}
	}
	return false
}

// attr returns the event's attribute key, unquoting typed-event JSON strings.
func (e abciEvent) attr(key string) string {
	for _, a := range e.Attributes {
		if a.Key == key {
			var s string
			if json.Unmarshal([]byte(a.Value), &s) == nil {
				return s
			}
			return a.Value
		}
	}
	return ""
}

// txEvents are the events of a committed tx.
func (l *localnet) txEvents(t *testing.T, hash string) []abciEvent {
	t.Helper()
	return txEventsAt(t, l.cli, hash, "--home", l.nodeHome())
}

// txEventsAt returns the events of tx hash; flags say which node to ask.
func txEventsAt(t *testing.T, cli *CLI, hash string, flags ...string) []abciEvent {
	t.Helper()
	var res struct {
		Events []abciEvent `json:"events"`
	}
	cli.RunJSON(t, &res, append([]string{"q", "tx", hash, "-o", "json"}, flags...)...)
	return res.Events
}

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
