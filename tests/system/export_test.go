package system

import (
	"bytes"
	"encoding/json"
	"errors"
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

// stopWorkers stops the localnet's meshd-worker processes (SIGTERM, by the
// pids the script wrote) and leaves the node running.
func (l *localnet) stopWorkers(t *testing.T) {
	t.Helper()
	for i := 1; i <= 3; i++ {
		pidFile := filepath.Join(l.home, fmt.Sprintf("worker-%d.pid", i))
		bz, err := os.ReadFile(pidFile)
		require.NoError(t, err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(bz)))
		require.NoError(t, err)
		require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
		waitFor(t, fmt.Sprintf("meshd-worker %d (pid %d) to exit", i, pid), 20*time.Second, func() (bool, string) {
			return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH), "running"
		})
		require.NoError(t, os.Remove(pidFile))
	}
}

// exportedGenesis is the part of `meshd export --for-zero-height` the test reads.
type exportedGenesis struct {
	InitialHeight json.RawMessage `json:"initial_height"`
	AppState      struct {
		Compute struct {
			Epoch struct {
				Number    string `json:"number"`
				CommitEnd string `json:"commit_end"`
				RevealEnd string `json:"reveal_end"`
			} `json:"epoch"`
			Commitments []struct {
				Epoch  string `json:"epoch"`
				Height string `json:"height"`
			} `json:"commitments"`
		} `json:"compute"`
		Inference struct {
			Jobs []struct {
				ID        string `json:"id"`
				Status    string `json:"status"`
				CommitEnd string `json:"commit_end"`
				Deadline  string `json:"deadline"`
			} `json:"jobs"`
		} `json:"inference"`
		Pool struct {
			Unbondings []struct {
				Delegator      string `json:"delegator"`
				CreationHeight string `json:"creation_height"`
				CompletionTime string `json:"completion_time"`
			} `json:"unbondings"`
		} `json:"pool"`
	} `json:"app_state"`
}

// A localnet with an inference job waiting for its workers' commitments, a
// pool unbonding in progress and a proof-of-compute epoch its workers have
// committed to but not revealed is stopped and exported for zero height; the
// node's home is reset and started again from the exported genesis (same
// validator key, same worker homes). On the new chain, which starts again at
// height 1, the workers answer the job within the commit window it had
// left, the unbonding pays the delegator at its completion time, and every
// worker reveals and passes the open epoch and passes the next one, without
// a miss or a jail.
func TestZeroHeightExportRestart(t *testing.T) {
	requireSystemTests(t)
	started := time.Now()
	// 1 s blocks and 10-block windows: the workers prove on a shared 2-core
	// machine, and the job's 10-block commit phase must outlast the restart.
	const epoch = 24 * time.Second
	l := newLocalnet(t,
		"LOCALNET_COMPUTE_EPOCH="+epoch.String(),
		"LOCALNET_COMMIT_WINDOW=10",
		"LOCALNET_REVEAL_WINDOW=10",
	)
	l.mustRun(t, "start")
	home := []string{"--home", l.nodeHome()}
	workers := l.workerAddrs(t)
	l.waitAllPassed(t, workers)
	alice := strings.TrimSpace(l.cli.Run(t, "keys", "show", "alice", "-a", "--home", l.nodeHome()))
	validator := strings.TrimSpace(l.cli.Run(t, "keys", "show", "validator", "-a", "--home", l.nodeHome()))

	// alice bonds to the validator's pool and unbonds again (60 s on the
	// localnet).
	const stake = 5_000_000
	fees := []string{"--from", "alice", "--home", l.nodeHome(), "--gas", "600000", "--fees", "1500umesh"}
	l.cli.SubmitTx(t, append([]string{"tx", "pool", "delegate", validator, fmt.Sprintf("%dumesh", stake)}, fees...), home...)
	l.cli.SubmitTx(t, append([]string{"tx", "pool", "undelegate", validator, fmt.Sprintf("%dumesh", stake)}, fees...), home...)
	var ubds struct {
		Unbondings []struct {
			CompletionTime time.Time `json:"completion_time"`
		} `json:"unbondings"`
	}
	l.cli.RunJSON(t, &ubds, append([]string{"q", "pool", "unbondings", alice, "-o", "json"}, home...)...)
	require.Len(t, ubds.Unbondings, 1)
	completion := ubds.Unbondings[0].CompletionTime
	aliceBefore := l.cli.Balance(t, alice, denom, home...)

	// Once every worker has committed to the current epoch, the workers
	// stop (so that the job below stays open, and the epoch's reveals fall
	// after the restart) and alice requests a job; the chain stops right
	// after.
	waitFor(t, "every worker to commit to the current epoch", 2*epoch, func() (bool, string) {
		for _, w := range workers {
			var ch challengeView
			l.cli.RunJSON(t, &ch, append([]string{"q", "compute", "challenge", w, "-o", "json"}, home...)...)
			if ch.Commitment == nil || ch.Commitment.Epoch != ch.Epoch || len(ch.SampleIndices) > 0 {
				return false, fmt.Sprintf("%s: %+v", w, ch)
			}
		}
		return true, ""
	})
	before := map[string]workerView{}
	for _, w := range workers {
		before[w] = l.worker(t, w)
	}
	l.stopWorkers(t)
	l.cli.SubmitTx(t, []string{"tx", "inference", "request", "mesh-embedded-v1", "a request the old chain never answers",
		"--max-fee", "3000umesh", "--redundancy", "3", "--mode", "exact", "--from", "alice",
		"--home", l.nodeHome(), "--gas", "600000", "--fees", "1500umesh"}, home...)
	l.mustRun(t, "stop")
	lastHeight := lastCommittedHeight(t, l)

	// Export, reset the node's data, start from the export with genesis_time
	// set to the restart.
	exportPath := filepath.Join(t.TempDir(), "export.json")
	l.cli.Run(t, "export", "--for-zero-height", "--home", l.nodeHome(), "--output-document", exportPath)
	var gen exportedGenesis
	require.NoError(t, json.Unmarshal([]byte(readFile(t, exportPath)), &gen))
	require.Equal(t, "0", strings.Trim(string(gen.InitialHeight), `"`))
	require.Len(t, gen.AppState.Pool.Unbondings, 1)
	require.Equal(t, alice, gen.AppState.Pool.Unbondings[0].Delegator)
	require.Zero(t, atoi(gen.AppState.Pool.Unbondings[0].CreationHeight), "created before the restart")
	var id string
	for _, j := range gen.AppState.Inference.Jobs {
		switch j.Status {
		case "JOB_STATUS_COMMITTING":
			require.Empty(t, id, "one open job")
			id = j.ID
			require.LessOrEqual(t, atoi(j.CommitEnd), int64(10), "commit_end relative to the restart: %+v", j)
			require.Positive(t, atoi(j.CommitEnd))
		case "JOB_STATUS_QUEUED": // requested in the last block: assigned in a later one
			require.Empty(t, id, "one open job")
			id = j.ID
		}
	}
	require.NotEmpty(t, id, "the open job is in the export")
	open := gen.AppState.Compute.Epoch
	require.Less(t, atoi(open.RevealEnd), int64(25), "epoch windows relative to the restart: %+v", open)
	committed := 0
	for _, c := range gen.AppState.Compute.Commitments {
		if c.Epoch == open.Number {
			committed++
			require.Zero(t, atoi(c.Height), "committed before the restart")
		}
	}
	require.Equal(t, 3, committed, "the workers' commitments to the open epoch")
	t.Logf("exported at height %d: job %s, epoch %+v", lastHeight, id, open)

	l.cli.Run(t, "comet", "unsafe-reset-all", "--home", l.nodeHome())
	jq := exec.Command("jq", ".genesis_time = (now | todate)", exportPath)
	var out, errOut bytes.Buffer
	jq.Stdout, jq.Stderr = &out, &errOut
	require.NoError(t, jq.Run(), errOut.String())
	require.NoError(t, os.WriteFile(filepath.Join(l.nodeHome(), "config", "genesis.json"), out.Bytes(), 0o600))
	restartedAt := time.Now()
	l.mustRun(t, "start")

	j := l.waitJobEnded(t, id)
	require.Equal(t, "JOB_STATUS_FINALIZED", j.Job.Status, "answered on the new chain")
	require.Len(t, j.Job.Assignments, 3)
	for _, a := range j.Job.Assignments {
		require.True(t, a.Agreed, "worker %s agreed", a.Worker)
	}
	require.Equal(t, "3000", j.Job.Fee.Amount)
	require.Less(t, atoi(j.Job.EndedHeight), lastHeight, "ended on the new chain's heights")
	t.Logf("job %s finalized at new height %s, %s after the restart", id, j.Job.EndedHeight, time.Since(restartedAt).Round(time.Second))

	// The unbonding pays at its completion time: alice gets the stake back
	// and paid exactly the job's fee and the tx fee (max fee = fee: no refund).
	waitFor(t, "the pool unbonding to pay alice", time.Until(completion)+30*time.Second, func() (bool, string) {
		got := l.cli.Balance(t, alice, denom, home...)
		if got != aliceBefore-3000-1500+stake {
			return false, fmt.Sprintf("balance %d, before the request %d", got, aliceBefore)
		}
		// Block time follows the wall clock within a block or two.
		require.False(t, time.Now().Before(completion.Add(-3*time.Second)), "paid before its completion time %s", completion)
		return true, ""
	})
	var left struct {
		Unbondings []json.RawMessage `json:"unbondings"`
	}
	l.cli.RunJSON(t, &left, append([]string{"q", "pool", "unbondings", alice, "-o", "json"}, home...)...)
	require.Empty(t, left.Unbondings)

	// Every worker passes the epoch open at the export (revealing on the new
	// chain) and the next one; nobody missed or was jailed.
	waitFor(t, "every worker to pass two epochs after the restart", 3*epoch, func() (bool, string) {
		for _, w := range workers {
			if now := l.worker(t, w); now.passed() < before[w].passed()+2 {
				return false, fmt.Sprintf("%s: %+v", w, now.Worker)
			}
		}
		return true, ""
	})
	for _, w := range workers {
		now := l.worker(t, w)
		require.Equal(t, "WORKER_STATUS_ACTIVE", now.Worker.Status, w)
		require.Equal(t, atoi(before[w].Worker.Missed), atoi(now.Worker.Missed), "%s: no miss for the restart\n%s", w, workerLogLines(l))
	}
	require.NotContains(t, readFile(t, filepath.Join(l.home, "meshd.log")), "poc-withheld")
	t.Logf("EXPORT restart at height %d → 1; whole test %s", lastHeight, time.Since(started).Round(time.Second))
}

// lastCommittedHeight is the stopped node's last block height: a plain
// export (of one module, to be quick) starts the next chain at that + 1.
func lastCommittedHeight(t *testing.T, l *localnet) int64 {
	t.Helper()
	stdout, stderr, err := l.cli.Exec("export", "--home", l.nodeHome(), "--modules-to-export", "auth")
	require.NoError(t, err, stderr)
	var gen struct {
		InitialHeight json.RawMessage `json:"initial_height"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(stdout)), &gen), "export: %.300s", stdout)
	return atoi(strings.Trim(string(gen.InitialHeight), `"`)) - 1
}
