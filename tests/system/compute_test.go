package system

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// workerView is the part of `meshd q compute worker` the tests read.
type workerView struct {
	Worker struct {
		Status          string   `json:"status"`
		Passed          string   `json:"passed"`
		LastPassedEpoch string   `json:"last_passed_epoch"`
		Frauds          string   `json:"frauds"`
		Missed          string   `json:"missed"`
		VerifiedUnits   int64    `json:"verified_units"`
		JailedUntil     string   `json:"jailed_until"`
		MissedEpochs    []string `json:"missed_epochs"`
		PassStreak      string   `json:"pass_streak"`
	} `json:"worker"`
}

func (w workerView) passStreak() int64 {
	n, _ := strconv.ParseInt(w.Worker.PassStreak, 10, 64)
	return n
}

func (w workerView) passed() int64 { n, _ := strconv.ParseInt(w.Worker.Passed, 10, 64); return n }
func (w workerView) lastPassedEpoch() int64 {
	n, _ := strconv.ParseInt(w.Worker.LastPassedEpoch, 10, 64)
	return n
}

// challengeView is the part of `meshd q compute challenge` the tests read.
type challengeView struct {
	Epoch         string   `json:"epoch"`
	SampleIndices []uint32 `json:"sample_indices"`
	Commitment    *struct {
		Epoch string `json:"epoch"`
	} `json:"commitment"`
}

func (l *localnet) worker(t *testing.T, addr string) workerView {
	t.Helper()
	var w workerView
	l.cli.RunJSON(t, &w, "q", "compute", "worker", addr, "--home", l.nodeHome(), "-o", "json")
	return w
}

func (l *localnet) tx(t *testing.T, args ...string) {
	t.Helper()
	l.cli.SubmitTx(t, append(append([]string{"tx"}, args...),
		"--home", l.nodeHome(), "--gas", "auto", "--gas-adjustment", "2", "--gas-prices", "0.0025umesh"),
		"--home", l.nodeHome())
}

func (l *localnet) waitPassed(t *testing.T, addr string, what string, cond func(workerView) bool) workerView {
	t.Helper()
	var w workerView
	waitFor(t, what, 4*time.Minute, func() (bool, string) {
		w = l.worker(t, addr)
		require.Equal(t, "0", orZero(w.Worker.Frauds), "an honest worker must never be found fraudulent")
		return cond(w), fmt.Sprintf("status %s, passed %s, last passed epoch %s\nworker log:\n%s",
			w.Worker.Status, w.Worker.Passed, w.Worker.LastPassedEpoch, tail(filepath.Join(l.home, "worker-1.log"), 15))
	})
	return w
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// The localnet's worker passes proof-of-compute epochs; killed with SIGKILL
// between its commit and its reveal, it reveals after a restart; a second
// provider set up with the CLI registers its own worker, which passes too.
func TestComputeLocalnetEndToEnd(t *testing.T) {
	requireSystemTests(t)
	l := newLocalnet(t,
		"LOCALNET_BLOCK_TIME=500ms",
		"LOCALNET_COMPUTE_EPOCH=12s",
		"LOCALNET_COMMIT_WINDOW=8",
		"LOCALNET_REVEAL_WINDOW=8",
	)
	l.mustRun(t, "start")
	worker := strings.TrimSpace(l.cli.Worker(t, "address", "--home", filepath.Join(l.home, "worker-1")))
	require.Regexp(t, `^mesh1[0-9a-z]+$`, worker)

	// 1. Three epochs passed by the localnet's worker.
	w := l.waitPassed(t, worker, "the localnet worker to pass 3 epochs", func(w workerView) bool { return w.passed() >= 3 })
	require.Equal(t, "WORKER_STATUS_ACTIVE", w.Worker.Status)
	// Its run of passed epochs (x/rewards' stability bonus) is visible.
	require.Positive(t, w.passStreak(), "pass_streak after %d passes", w.passed())
	require.LessOrEqual(t, w.passStreak(), w.passed())

	// 1b. The providers earn rewards for it and claim them with the CLI.
	checkRewardsClaim(t, l)
	// 1c. Half of every fee is burned, and the supply falls by the burns.
	checkSupplyBurns(t, l)

	// 2. SIGKILL right after a commit, before the reveal window opens.
	var epoch int64
	waitFor(t, "a fresh commitment inside the commit window", 2*time.Minute, func() (bool, string) {
		var c challengeView
		l.cli.RunJSON(t, &c, "q", "compute", "challenge", worker, "--home", l.nodeHome(), "-o", "json")
		epoch, _ = strconv.ParseInt(c.Epoch, 10, 64)
		return c.Commitment != nil && len(c.SampleIndices) == 0, fmt.Sprintf("epoch %s commitment %v samples %v", c.Epoch, c.Commitment != nil, c.SampleIndices)
	})
	pidBytes, err := os.ReadFile(filepath.Join(l.home, "worker-1.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidBytes)))
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	waitFor(t, "the worker to die", 30*time.Second, func() (bool, string) {
		return syscall.Kill(pid, 0) != nil, "still alive"
	})
	require.Less(t, l.worker(t, worker).lastPassedEpoch(), epoch, "killed before revealing epoch %d", epoch)
	logBefore := len(readFile(t, filepath.Join(l.home, "worker-1.log")))
	out := l.mustRun(t, "start") // node still runs: restarts only the worker
	require.Contains(t, out, "already running")
	after := l.waitPassed(t, worker, fmt.Sprintf("the restarted worker to pass epoch %d", epoch),
		func(w workerView) bool { return w.lastPassedEpoch() >= epoch })
	if after.Worker.Missed == w.Worker.Missed {
		require.Greater(t, after.passStreak(), w.passStreak(), "the run grows across epochs without a miss")
	}
	// It revealed from the rows it had persisted before committing.
	restarted := readFile(t, filepath.Join(l.home, "worker-1.log"))[logBefore:]
	require.Contains(t, restarted, fmt.Sprintf(`msg="reveal broadcast" epoch=%d`, epoch))
	require.NotContains(t, restarted, fmt.Sprintf(`msg="no local state for a commitment on chain, recomputing" epoch=%d`, epoch))

	// 3. A second provider, entirely through the CLI.
	alice := strings.TrimSpace(l.cli.Run(t, "keys", "show", "alice", "-a", "--home", l.nodeHome()))
	l.tx(t, "pool", "create-pool", "500000000umesh", "--commission", "0.1", "--from", "alice")
	home2 := filepath.Join(t.TempDir(), "worker2")
	var initOut struct {
		Address string `json:"address"`
	}
	require.NoError(t, jsonUnmarshal(l.cli.Worker(t, "init", "--home", home2, "--keyring-backend", "test", "-o", "json"), &initOut))
	worker2 := initOut.Address
	l.tx(t, "compute", "authorize-worker", worker2, "--from", "alice")
	l.tx(t, "feegrant", "grant", alice, worker2, "--spend-limit", "100000000umesh", "--from", "alice")
	l.tx(t, "compute", "register-worker", "--provider", alice, "--gpu", "cpu", "--vram-gb", "0", "--gops", "1",
		"--units", "4", "--models", "mesh-embedded-v1", "--from", "worker", "--keyring-dir", home2, "--fee-granter", alice)

	ports := freePorts(t, 1)
	cmd := exec.Command(workerBin(), "start", "--home", home2, "--grpc", "127.0.0.1:"+l.grpcPort(),
		"--chain-id", "mesh-local-1", "--fee-granter", alice, "--listen", "127.0.0.1:"+strconv.Itoa(ports[0]))
	logPath := filepath.Join(home2, "worker.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setChildAttrs(cmd)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logFile.Close() })

	var w2 workerView
	waitFor(t, "the second provider's worker to pass an epoch", 4*time.Minute, func() (bool, string) {
		w2 = l.worker(t, worker2)
		return w2.passed() >= 1, fmt.Sprintf("passed %s\n%s", w2.Worker.Passed, tail(logPath, 15))
	})
	require.Equal(t, "WORKER_STATUS_ACTIVE", w2.Worker.Status)
}
