// Package system holds system tests: they build the real meshd binary, run
// real nodes as child processes on free loopback ports and drive them with
// the real CLI, the way an operator would. They are slow, so `go test -short`
// skips them (and does not even build the binary).
//
//	go test ./tests/system/ -v -count=1                           # builds meshd
//	MESHD_BIN=build/meshd go test ./tests/system/ -count=1   # prebuilt binary (path relative to the repo root)
//
// This file is the harness: binary resolution, an isolated CLI runner, node
// processes (start, signal, kill on cleanup, log tail on failure), free ports
// and bounded polling helpers.
package system

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	// cliTimeout bounds one CLI invocation, so a command that unexpectedly
	// waits (on stdin, on a dead node) fails the test instead of hanging it.
	cliTimeout = 90 * time.Second
	// waitTimeout bounds each "until the chain does X" wait. Generous, since
	// the tests must pass on a loaded 2-core machine, but finite.
	waitTimeout = 120 * time.Second
	// pollInterval is how often waits re-check their condition.
	pollInterval = 250 * time.Millisecond
	// logTailLines is how much of a node's log a failing test prints.
	logTailLines = 60
)

// meshdBinary is the absolute path of the meshd binary under test, set by TestMain.
var meshdBinary string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if testing.Short() {
		return m.Run() // every test skips itself; don't pay for the build
	}
	bin, cleanup, err := resolveMeshd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "system tests:", err)
		return 1
	}
	defer cleanup()
	meshdBinary = bin
	return m.Run()
}

// resolveMeshd returns $MESHD_BIN if set (so `make` can test build/meshd;
// relative to the repository root), otherwise builds ./cmd/meshd once into a
// temp dir.
func resolveMeshd() (string, func(), error) {
	root, err := repoRoot()
	if err != nil {
		return "", nil, err
	}
	if p := os.Getenv("MESHD_BIN"); p != "" {
		// go test runs in this package's directory, so a relative path is
		// taken relative to the repository root, where make runs.
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		if _, err := os.Stat(p); err != nil {
			return "", nil, fmt.Errorf("MESHD_BIN: %w", err)
		}
		return p, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "meshd-systemtest-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	bin := filepath.Join(dir, "meshd")
	start := time.Now()
	// meshd-worker goes beside meshd, where scripts/localnet.sh looks for it.
	for _, target := range []string{"meshd", "meshd-worker"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, target), "./cmd/"+target)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("go build ./cmd/%s in %s: %w", target, root, err)
		}
	}
	fmt.Fprintf(os.Stderr, "system tests: built %s in %s\n", bin, time.Since(start).Round(100*time.Millisecond))
	return bin, cleanup, nil
}

// repoRoot finds the module root from this file's location (two levels up),
// falling back to the working directory, which `go test` sets to this package.
func repoRoot() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "..", ".."))
	}
	if wd, err := os.Getwd(); err == nil {
		candidates = append(candidates, filepath.Join(wd, "..", ".."))
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "go.mod")); err == nil {
			return filepath.Clean(c), nil
		}
	}
	return "", fmt.Errorf("repository root (go.mod) not found from %v", candidates)
}

// requireSystemTests skips under -short and checks TestMain resolved the binary.
func requireSystemTests(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("system test: runs real meshd processes; skipped with -short")
	}
	require.NotEmpty(t, meshdBinary, "meshd binary not resolved by TestMain")
}

// ---------------------------------------------------------------------------
// CLI

// CLI runs meshd commands with their own $HOME, so that nothing reads or
// writes the developer's ~/.meshd and every default home is test-local.
type CLI struct {
	UserHome string // $HOME of every child process; the default --home is UserHome/.meshd
	Bin      string // the meshd binary; empty means the one under test (meshdBinary)
}

// bin is the binary c runs.
func (c *CLI) bin() string {
	if c.Bin != "" {
		return c.Bin
	}
	return meshdBinary
}

func NewCLI(t *testing.T) *CLI {
	return &CLI{UserHome: t.TempDir()}
}

// env is the parent's environment with HOME replaced and MESHD_* removed
// (the root command binds MESHD_* to flags, which would change behaviour).
func (c *CLI) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "MESHD_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+c.UserHome)
}

// Exec runs `meshd args...` and returns stdout, stderr and the exit error.
func (c *CLI) Exec(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin(), args...)
	cmd.Env = c.env()
	cmd.Stdin = strings.NewReader("") // never wait on a prompt
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	setChildAttrs(cmd)
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", cliTimeout, err)
	}
	return stdout.String(), stderr.String(), err
}

// Run runs a command that must succeed and returns its stdout.
func (c *CLI) Run(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := c.Exec(args...)
	require.NoError(t, err, "meshd %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), stdout, stderr)
	return stdout
}

// RunJSON runs a command that must succeed and decodes its stdout as JSON.
func (c *CLI) RunJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := c.Run(t, args...)
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), v),
		"meshd %s: stdout is not the expected JSON:\n%s", strings.Join(args, " "), out)
}

// Balance returns addr's balance of denom (0 if it holds none); flags say
// which node to ask (--node or --home).
func (c *CLI) Balance(t *testing.T, addr, denom string, flags ...string) int64 {
	t.Helper()
	var res struct {
		Balances []struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"balances"`
	}
	c.RunJSON(t, &res, append([]string{"q", "bank", "balances", addr, "-o", "json"}, flags...)...)
	for _, b := range res.Balances {
		if b.Denom == denom {
			n, err := strconv.ParseInt(b.Amount, 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	return 0
}

// TxResponse is the part of sdk.TxResponse the tests look at.
type TxResponse struct {
	Height string `json:"height"`
	TxHash string `json:"txhash"`
	Code   uint32 `json:"code"`
	RawLog string `json:"raw_log"`
}

// SubmitTx runs a `tx ... -y -o json` command, requires CheckTx to accept it,
// then waits until the tx is in a block and requires it to have succeeded.
// queryFlags say which node to poll (--node or --home). A key that a running
// meshd-worker also signs with can lose a sequence race: such a tx is sent
// again, up to four times.
func (c *CLI) SubmitTx(t *testing.T, txArgs []string, queryFlags ...string) TxResponse {
	t.Helper()
	var res TxResponse
	args := append(txArgs, "-y", "-o", "json")
	// The race shows either as a failed command or as CheckTx's code 32 in
	// the JSON the command prints.
	lostRace := func(stdout, stderr string, err error) bool {
		if err != nil {
			return strings.Contains(stderr, "account sequence mismatch")
		}
		var r TxResponse
		return json.Unmarshal([]byte(strings.TrimSpace(stdout)), &r) == nil && strings.Contains(r.RawLog, "account sequence mismatch")
	}
	stdout, stderr, err := c.Exec(args...)
	for try := 1; try < 5 && lostRace(stdout, stderr, err); try++ {
		time.Sleep(time.Second)
		stdout, stderr, err = c.Exec(args...)
	}
	require.NoError(t, err, "meshd %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), stdout, stderr)
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(stdout)), &res), "bad JSON: %s", stdout)
	require.Zero(t, res.Code, "CheckTx rejected the tx: %s", res.RawLog)
	require.NotEmpty(t, res.TxHash)
	return c.WaitForTx(t, res.TxHash, queryFlags...)
}

// WaitForTx polls `meshd q tx HASH` until the tx is found in a block and
// requires its DeliverTx code to be 0.
func (c *CLI) WaitForTx(t *testing.T, hash string, queryFlags ...string) TxResponse {
	t.Helper()
	var res TxResponse
	waitFor(t, "tx "+hash+" to be included in a block", waitTimeout, func() (bool, string) {
		stdout, stderr, err := c.Exec(append([]string{"q", "tx", hash, "-o", "json"}, queryFlags...)...)
		if err != nil {
			return false, lastLine(stderr)
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &res); err != nil {
			return false, "bad JSON: " + stdout
		}
		return res.Height != "" && res.Height != "0", "height " + res.Height
	})
	require.Zero(t, res.Code, "tx %s failed in block %s: %s", hash, res.Height, res.RawLog)
	return res
}

// ---------------------------------------------------------------------------
// Nodes

// Node is one `meshd start` process. It can be stopped and started again on
// the same home; its log accumulates across restarts in one file.
type Node struct {
	Name    string
	Home    string
	RPCPort int
	args    []string // extra `meshd start` flags
	cli     *CLI
	logPath string

	mu      sync.Mutex
	proc    *exec.Cmd
	done    chan struct{} // closed once proc has exited
	exitErr error
}

// NewNode describes a node (it does not start it) and registers cleanup: the
// process is killed and, if the test failed, the log tail is printed.
func NewNode(t *testing.T, cli *CLI, name, home string, rpcPort int, startArgs ...string) *Node {
	t.Helper()
	n := &Node{
		Name: name, Home: home, RPCPort: rpcPort, args: startArgs, cli: cli,
		logPath: filepath.Join(t.TempDir(), name+".log"),
	}
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("---- last %d lines of %s (%s) ----\n%s", logTailLines, n.Name, n.logPath, tail(n.logPath, logTailLines))
		}
	})
	return n
}

// RPC is the node's CometBFT RPC address in the form --node takes.
func (n *Node) RPC() string { return fmt.Sprintf("tcp://127.0.0.1:%d", n.RPCPort) }

// Start launches `meshd start --home HOME` with the node's extra flags.
func (n *Node) Start(t *testing.T) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	require.Nil(t, n.proc, "%s is already running", n.Name)

	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	fmt.Fprintf(logFile, "\n==== %s: meshd start (%s) ====\n", time.Now().Format(time.RFC3339Nano), n.Name)

	args := append([]string{"start", "--home", n.Home, "--log_no_color"}, n.args...)
	cmd := exec.Command(n.cli.bin(), args...)
	cmd.Env = n.cli.env()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setChildAttrs(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		require.NoError(t, err, "start %s", n.Name)
	}
	done := make(chan struct{})
	n.proc, n.done, n.exitErr = cmd, done, nil
	go func() {
		err := cmd.Wait()
		logFile.Close()
		n.mu.Lock()
		n.exitErr = err
		n.proc = nil
		n.mu.Unlock()
		close(done)
	}()
}

// Stop sends sig to the running node and waits (bounded) for it to exit. It
// returns the process's exit error: nil for a clean exit with status 0.
func (n *Node) Stop(t *testing.T, sig os.Signal, timeout time.Duration) error {
	t.Helper()
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	require.NoError(t, n.Signal(sig))
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s of %v", n.Name, timeout, sig)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exitErr
}

// Signal sends sig to the running node without waiting for it to exit
// (SIGSTOP and SIGCONT freeze and thaw it).
func (n *Node) Signal(sig os.Signal) error {
	n.mu.Lock()
	proc := n.proc
	n.mu.Unlock()
	if proc == nil {
		return fmt.Errorf("%s is not running", n.Name)
	}
	return proc.Process.Signal(sig)
}

// exited reports whether the node was started and its process has ended.
func (n *Node) exited() (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.done == nil {
		return false, nil
	}
	select {
	case <-n.done:
		return true, n.exitErr
	default:
		return false, nil
	}
}

// kill SIGKILLs the node if it runs and waits for it to be reaped.
func (n *Node) kill() {
	n.mu.Lock()
	proc, done := n.proc, n.done
	n.mu.Unlock()
	if proc == nil {
		return
	}
	_ = proc.Process.Kill()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

// NodeStatus is the part of CometBFT's /status result the tests use.
type NodeStatus struct {
	NodeInfo struct {
		ID      string `json:"id"`
		Network string `json:"network"`
		Moniker string `json:"moniker"`
	} `json:"node_info"`
	SyncInfo struct {
		LatestBlockHeight string `json:"latest_block_height"`
		CatchingUp        bool   `json:"catching_up"`
	} `json:"sync_info"`
}

func (s NodeStatus) Height() int64 {
	h, _ := strconv.ParseInt(s.SyncInfo.LatestBlockHeight, 10, 64)
	return h
}

var rpcClient = &http.Client{Timeout: 3 * time.Second}

// Status asks the node's RPC /status endpoint directly over HTTP: much
// cheaper to poll than spawning `meshd status` (which builds an app) each time.
func (n *Node) Status() (NodeStatus, error) {
	var st NodeStatus
	resp, err := rpcClient.Get(fmt.Sprintf("http://127.0.0.1:%d/status", n.RPCPort))
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return st, err
	}
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("/status: HTTP %d: %s", resp.StatusCode, body)
	}
	var envelope struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &envelope); err == nil && len(envelope.Result) > 0 {
		body = envelope.Result // JSON-RPC envelope
	}
	return st, json.Unmarshal(body, &st)
}

// Height is the node's latest block height.
func (n *Node) Height() (int64, error) {
	st, err := n.Status()
	return st.Height(), err
}

// WaitForHeight waits until the node reports height >= min and returns that
// height. It fails at once if the node process exits meanwhile.
func (n *Node) WaitForHeight(t *testing.T, min int64, timeout time.Duration) int64 {
	t.Helper()
	var h int64
	waitFor(t, fmt.Sprintf("%s to reach height %d", n.Name, min), timeout, func() (bool, string) {
		if gone, err := n.exited(); gone {
			t.Fatalf("%s exited (%v) while waiting for height %d", n.Name, err, min)
		}
		var err error
		h, err = n.Height()
		if err != nil {
			return false, err.Error()
		}
		return h >= min, fmt.Sprintf("height %d", h)
	})
	return h
}

// WaitAllForHeight waits until every node reports height >= min.
func WaitAllForHeight(t *testing.T, nodes []*Node, min int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, n := range nodes {
		n.WaitForHeight(t, min, time.Until(deadline))
	}
}

// MaxHeight is the highest height any of the nodes reports (errors are skipped).
func MaxHeight(nodes []*Node) int64 {
	var max int64
	for _, n := range nodes {
		if h, err := n.Height(); err == nil && h > max {
			max = h
		}
	}
	return max
}

// ---------------------------------------------------------------------------
// Ports, files, polling

// freePorts returns n distinct loopback ports that were free a moment ago:
// all are held open together so the kernel cannot hand out one twice.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// freePortBlock returns a base port such that base..base+size-1 are all free
// on 127.0.0.1, for `testnet init-files --base-port`, which derives every
// port from the base. Bases are drawn below Linux's ephemeral range
// (32768+), where outgoing connections take their source ports.
func freePortBlock(t *testing.T, size int) int {
	t.Helper()
	const lo, hi = 15000, 32000
	for attempt := 0; attempt < 100; attempt++ {
		base := lo + rand.IntN((hi-size-lo)/10)*10
		if portRangeFree(base, size) {
			return base
		}
	}
	t.Fatalf("no free block of %d loopback ports found in [%d, %d)", size, lo, hi)
	return 0
}

func portRangeFree(base, size int) bool {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for p := base; p < base+size; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		held = append(held, l)
	}
	return true
}

// setTOML sets `key = value` (value is raw TOML, quote strings yourself) in a
// config file. The key must occur exactly once, so a renamed key in a future
// CometBFT/SDK fails loudly instead of being silently ignored.
func setTOML(t *testing.T, path, key, value string) {
	t.Helper()
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=.*$`)
	require.Len(t, re.FindAllIndex(bz, -1), 1, "%s: key %q must occur exactly once", path, key)
	bz = re.ReplaceAllLiteral(bz, []byte(key+" = "+value))
	require.NoError(t, os.WriteFile(path, bz, 0o644))
}

// waitFor polls cond until it reports done or timeout passes; on timeout it
// fails with the last state cond described. cond may call t.Fatal.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (done bool, state string)) {
	t.Helper()
	waitEvery(t, what, timeout, cond, pollInterval)
}

// waitEvery is waitFor polling every interval: for conditions that read
// several nodes, or a node that may be frozen.
func waitEvery(t *testing.T, what string, timeout time.Duration, cond func() (done bool, state string), every time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, state)
		}
		time.Sleep(every)
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	bz, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(bz), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// describeExit tells a clean exit (status 0) from a signal death or failure,
// for messages.
func describeExit(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &ee):
		return ee.ProcessState.String()
	default:
		return err.Error()
	}
}
