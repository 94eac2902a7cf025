package system

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Fault tests (issue 20): four validators from `meshd testnet init-files`,
// each with its own meshd-worker attached to it, and the faults an operator
// meets: a validator SIGKILLed, two of four down, a validator frozen
// (SIGSTOP) and a worker's node restarted under it mid-epoch. One network
// serves every scenario in sequence, to keep the run within minutes.

const (
	faultVals    = 4
	faultChainID = "mesh-faults-4"
	faultModel   = "mesh-embedded-v1"
	faultUnits   = 4
	// Epochs: 24 s of block time, commit window 8 blocks, reveal window 24
	// blocks. At the ~1.4 s blocks four validators make on 2 loaded cores
	// the windows outlast the epoch; an epoch not yet settled settles while
	// the next one runs (x/compute README). The long reveal window lets a
	// worker whose node was down for ~15 s still reveal.
	faultEpoch        = 24 * time.Second
	faultCommitWindow = 8
	faultRevealWindow = 24
	// faultWorkerMsgs are the messages each provider's fee grant pays for.
	faultWorkerMsgs = "/mesh.compute.v1.MsgRegisterWorker,/mesh.compute.v1.MsgUpdateWorker," +
		"/mesh.compute.v1.MsgCommitPoC,/mesh.compute.v1.MsgRevealPoC,/mesh.compute.v1.MsgUnjailWorker," +
		"/mesh.inference.v1.MsgCommitResult,/mesh.inference.v1.MsgRevealResult"
	// faultEpochWait bounds a wait for a worker to pass an epoch: up to one
	// epoch until the next starts, plus its two windows, on a loaded machine.
	faultEpochWait = 3 * time.Minute
)

func TestFaultsFourValidatorsWithWorkers(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	f := newFaultNet(t)
	t.Logf("FAULTS setup: 4 validators, 4 workers passed an epoch after %s", since(start))

	f.killOneDuringJobs(t)
	t.Logf("FAULTS after kill -9 of one: %s", since(start))
	f.twoOfFourDown(t)
	t.Logf("FAULTS after two of four down: %s", since(start))
	f.freezeAndNodeRestart(t)
	t.Logf("FAULTS after SIGSTOP and node restart: %s", since(start))

	// After everything: one chain on all four nodes, every worker active,
	// never judged fraudulent, no withheld-reveal slash.
	f.requireSameChain(t, f.nodes, 1, minHeight(t, f.nodes))
	for i, w := range f.workers {
		rec := f.worker(t, 0, w.addr)
		t.Logf("worker-%d at the end: status %s passed %d missed %d frauds %d last passed epoch %d",
			i, rec.Status, rec.Passed, rec.Missed, rec.Frauds, rec.LastPassedEpoch)
		require.Equal(t, computetypes.WORKER_STATUS_ACTIVE, rec.Status, "worker-%d jailed", i)
		require.Zero(t, rec.Frauds, "worker-%d judged fraudulent", i)
	}
	// No pool was slashed (a withheld reveal, a fraud or a lying answer would
	// show as x/pool's EventSlashed in some block), and no validator was
	// jailed for downtime by x/slashing.
	top := minHeight(t, f.nodes)
	var slashes []string
	for h := int64(1); h <= top; h++ {
		var res blockResults
		require.NoError(t, rpcGet(f.nodes[0].RPCPort, fmt.Sprintf("/block_results?height=%d", h), &res))
		events := res.FinalizeBlockEvents
		for _, tx := range res.TxsResults {
			events = append(events, tx.Events...)
		}
		for _, ev := range events {
			if ev.Type == "mesh.pool.v1.EventSlashed" {
				slashes = append(slashes, fmt.Sprintf("height %d: %s %s", h, ev.attr("provider"), ev.attr("reason")))
			}
		}
	}
	require.Empty(t, slashes, "pools slashed in blocks 1..%d", top)
	var vals struct {
		Validators []struct {
			Description struct {
				Moniker string `json:"moniker"`
			} `json:"description"`
			Jailed bool   `json:"jailed"`
			Status string `json:"status"`
		} `json:"validators"`
	}
	f.cli.RunJSON(t, &vals, "q", "staking", "validators", "--home", f.nodes[0].Home, "-o", "json")
	require.Len(t, vals.Validators, faultVals)
	for _, v := range vals.Validators {
		require.False(t, v.Jailed, "%s jailed", v.Description.Moniker)
		require.Equal(t, "BOND_STATUS_BONDED", v.Status, v.Description.Moniker)
	}
	t.Logf("FAULTS total %s; blocks 1..%d identical on the four nodes, no slash, four validators bonded", since(start), top)
}

// killOneDuringJobs: node3 is SIGKILLed right after its worker committed to
// the running epoch, inference jobs are requested while it is down, and it
// is restarted. The chain goes on, the jobs finalize, the node catches up and
// its worker reveals the epoch it had committed to.
func (f *faultNet) killOneDuringJobs(t *testing.T) {
	victim, w := f.nodes[3], f.workers[3]
	live := f.nodes[:3]
	ch := f.waitCommitted(t, 3)
	epoch := ch.Epoch
	logMark := w.logSize()
	require.Error(t, victim.Stop(t, syscall.SIGKILL, 30*time.Second), "a SIGKILLed node cannot exit cleanly")
	killedAt := MaxHeight(live)
	t0 := time.Now()
	t.Logf("kill -9 %s at height %d, its worker committed to epoch %d (commit_end %d, reveal_end %d)",
		victim.Name, killedAt, epoch, ch.CommitEnd, ch.RevealEnd)

	WaitAllForHeight(t, live, killedAt+3, waitTimeout)
	t.Logf("FAULT kill-9: 3 validators made 3 blocks in %s", since(t0))

	// Three requests at once, from the three live validators' accounts.
	jobs := make([]uint64, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jobs[i], errs[i] = f.requestE(i, 3, fmt.Sprintf("fault test: job %d sent with node3 down", i))
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	downFor := time.Since(t0)
	victim.Start(t)
	for _, id := range jobs {
		j := f.waitJobEnded(t, id)
		require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status, "job %d", id)
		require.GreaterOrEqual(t, agreed(j), 2, "job %d: a quorum of 2 of 3 agreed", id)
		t.Logf("job %d: created %d ended %d, assigned %v", id, j.CreatedHeight, j.EndedHeight, seats(j))
	}
	caught := f.waitCaughtUp(t, victim, killedAt)
	t.Logf("FAULT kill-9: %s down %s, caught up at height %d %s after the kill", victim.Name,
		downFor.Round(100*time.Millisecond), caught, since(t0))
	f.requireSameChain(t, f.nodes, killedAt-2, caught)

	// Its worker reconnected to the restarted node and revealed.
	rec := f.waitWorker(t, 0, w.addr, fmt.Sprintf("worker-3 to pass epoch %d after its node's restart", epoch),
		func(r computetypes.Worker) bool { return r.LastPassedEpoch >= epoch })
	require.Equal(t, computetypes.WORKER_STATUS_ACTIVE, rec.Status)
	revealLine := fmt.Sprintf(`msg="reveal broadcast" epoch=%d`, epoch)
	require.Contains(t, w.logSince(logMark), revealLine)
	t.Logf("FAULT kill-9: worker-3 revealed epoch %d %s after the kill and passed it", epoch,
		logTime(t, w.logSince(logMark), revealLine).Sub(t0).Round(100*time.Millisecond))
}

// twoOfFourDown: with node2 and node3 SIGKILLed, 50% of the power is left,
// less than the 2/3 a commit needs: no height advances, and the two live
// nodes hold the same block at every height. One validator back (75%) and
// the chain resumes.
func (f *faultNet) twoOfFourDown(t *testing.T) {
	live, down := f.nodes[:2], f.nodes[2:]
	for _, n := range down {
		require.Error(t, n.Stop(t, syscall.SIGKILL, 30*time.Second))
	}
	// A block whose precommits were already out may still land: let it.
	time.Sleep(3 * time.Second)
	stalled := MaxHeight(live)
	t0 := time.Now()
	const stallFor = 12 * time.Second
	for time.Since(t0) < stallFor {
		for _, n := range live {
			h, err := n.Height()
			require.NoError(t, err, "%s must stay up while the chain stalls", n.Name)
			require.LessOrEqual(t, h, stalled, "%s advanced to %d with half the power down", n.Name, h)
		}
		time.Sleep(time.Second)
	}
	for _, n := range live {
		h, err := n.Height()
		require.NoError(t, err)
		require.Equal(t, stalled, h, "%s at the stall height", n.Name)
	}
	f.requireSameChain(t, live, 1, stalled)
	t.Logf("FAULT two-down: stalled at height %d for %s; node0 and node1 agree on blocks 1..%d", stalled, stallFor, stalled)

	down[0].Start(t)
	t1 := time.Now()
	three := f.nodes[:3]
	WaitAllForHeight(t, three, stalled+3, 3*time.Minute)
	t.Logf("FAULT two-down: %s back, 3 blocks past the stall in %s", down[0].Name, since(t1))
	f.requireSameChain(t, three, stalled-3, stalled+3)

	down[1].Start(t)
	caught := f.waitCaughtUp(t, down[1], stalled)
	t.Logf("FAULT two-down: %s back and caught up at %d %s after the first", down[1].Name, caught, since(t1))
}

// freezeAndNodeRestart: node1 is frozen with SIGSTOP for 10 s; after
// SIGCONT it catches up, its worker takes a job again (a redundancy-4 job
// seats all four workers) and passes the next epoch. Meanwhile node0, the
// node worker-0 talks to, is stopped (SIGTERM) and restarted right after
// worker-0 committed: worker-0 reconnects and reveals.
func (f *faultNet) freezeAndNodeRestart(t *testing.T) {
	frozen := f.nodes[1]
	others := []*Node{f.nodes[0], f.nodes[2], f.nodes[3]}
	require.NoError(t, frozen.Signal(syscall.SIGSTOP))
	stoppedAt := MaxHeight(others)
	t0 := time.Now()
	time.Sleep(6 * time.Second)
	frozenAt, err := frozen.Height() // times out after 3 s
	require.Error(t, err, "a stopped node does not answer (height %d)", frozenAt)
	time.Sleep(10*time.Second - time.Since(t0))
	// The chain goes on without it: its proposer turns time out, the others commit. A round
	// with a timed-out proposer can take longer on a loaded machine, so the freeze lasts until
	// the others made two blocks, at most 30 s more (stop 29's CI saw one block in 10 s).
	during := MaxHeight(others)
	for wait := time.Now().Add(30 * time.Second); during < stoppedAt+2 && time.Now().Before(wait); during = MaxHeight(others) {
		time.Sleep(500 * time.Millisecond)
	}
	require.NoError(t, frozen.Signal(syscall.SIGCONT))
	tCont := time.Now()
	require.GreaterOrEqual(t, during, stoppedAt+2, "the other three committed while %s was frozen", frozen.Name)
	WaitAllForHeight(t, others, stoppedAt+3, waitTimeout) // the other three went on
	caught := f.waitCaughtUp(t, frozen, stoppedAt)
	contEpoch := f.epoch(t, 2).Number
	t.Logf("FAULT sigstop: %s frozen at height %d for %s (the others reached %d meanwhile), caught up at %d %s after SIGCONT (epoch %d)",
		frozen.Name, stoppedAt, tCont.Sub(t0).Round(100*time.Millisecond), during, caught, since(tCont), contEpoch)
	f.requireSameChain(t, f.nodes, stoppedAt-2, caught)

	// It takes jobs again: a job that seats every provider's worker. A worker
	// is seated only with reputation > 0, which a missed epoch (worker-3's
	// node was down in the last scenario) sets to 0 until its next pass.
	for i, w := range f.workers {
		f.waitWorker(t, 2, w.addr, fmt.Sprintf("worker-%d to be seatable (active, reputation > 0)", i),
			func(r computetypes.Worker) bool {
				return r.Status == computetypes.WORKER_STATUS_ACTIVE && r.ReputationBps > 0
			})
	}
	id := f.request(t, 2, 4, "fault test: a job for all four workers after SIGCONT")
	j := f.waitJobEnded(t, id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status)
	require.True(t, hasAgreed(j, f.workers[1].addr), "worker-1 answered job %d and agreed: %v", id, seats(j))
	t.Logf("FAULT sigstop: job %d with all four workers finalized in %d blocks", id, j.EndedHeight-j.CreatedHeight)

	// Node restart under worker-0, between its commit and its reveal.
	w0 := f.workers[0]
	ch := f.waitCommitted(t, 0)
	epoch := ch.Epoch
	mark := w0.logSize()
	t1 := time.Now()
	require.NoError(t, f.nodes[0].Stop(t, syscall.SIGTERM, time.Minute), "node0 stops cleanly on SIGTERM")
	stoppedIn := time.Since(t1)
	// Down for longer than the worker client's own retries of one call
	// (about 8 s), so that the worker's loops see the node gone.
	time.Sleep(10 * time.Second)
	f.nodes[0].Start(t)
	restarted := time.Now()
	caught0 := f.waitCaughtUp(t, f.nodes[0], 0)
	t.Logf("FAULT node restart: node0 stopped in %s, restarted, caught up at %d %s after the restart (worker-0 committed to epoch %d, reveal_end %d)",
		stoppedIn.Round(10*time.Millisecond), caught0, since(restarted), epoch, ch.RevealEnd)
	rec := f.waitWorker(t, 2, w0.addr, fmt.Sprintf("worker-0 to pass epoch %d after its node's restart", epoch),
		func(r computetypes.Worker) bool { return r.LastPassedEpoch >= epoch })
	require.Equal(t, computetypes.WORKER_STATUS_ACTIVE, rec.Status)
	after := w0.logSince(mark)
	require.Contains(t, after, "unreachable", "worker-0 saw its node go away")
	require.Contains(t, after, fmt.Sprintf(`msg="reveal broadcast" epoch=%d`, epoch), "worker-0 revealed after reconnecting")
	t.Logf("FAULT node restart: worker-0 passed epoch %d; its reveal left %s after node0's restart",
		epoch, logTime(t, after, fmt.Sprintf(`msg="reveal broadcast" epoch=%d`, epoch)).Sub(restarted).Round(100*time.Millisecond))

	// And the frozen node's worker passed an epoch that began after SIGCONT.
	rec = f.waitWorker(t, 2, f.workers[1].addr, fmt.Sprintf("worker-1 to pass an epoch after %d", contEpoch),
		func(r computetypes.Worker) bool { return r.LastPassedEpoch > contEpoch })
	require.Equal(t, computetypes.WORKER_STATUS_ACTIVE, rec.Status)
	t.Logf("FAULT sigstop: worker-1 passed epoch %d, begun after SIGCONT", rec.LastPassedEpoch)
}

// ---------------------------------------------------------------------------
// The network

type faultNet struct {
	cli       *CLI
	base      int
	cfg       faultNetConfig
	nodes     []*Node
	providers []string // node i's account (key "nodeI"): the provider of worker i
	workers   []*faultWorker
}

// faultNetConfig is what a 4-validator network of newFaultNetWith changes
// from the faults test's.
type faultNetConfig struct {
	chainID string
	// veHeight is the genesis vote_extensions_enable_height (0: off).
	veHeight int64
	// sidecars makes each worker serve the Sidecar on sidecarAddr and points
	// its node's app.toml [mesh] worker_sidecar at it.
	sidecars bool
	// extensionOnly are workers whose fee grant leaves out MsgCommitPoC and
	// MsgCommitResult: their commitments reach the chain only through their
	// validator's vote extension.
	extensionOnly []int
}

// newFaultNet writes a 4-validator testnet with the localnet's genesis
// changes (short epochs, the embedded model), starts it, creates one pool
// per validator and one registered worker per pool, each worker attached to
// its own validator's node, and waits until every worker passed an epoch.
func newFaultNet(t *testing.T) *faultNet {
	f := newFaultNetWith(t, faultNetConfig{chainID: faultChainID})
	f.addWorkers(t)
	f.startNodes(t)
	f.startWorkers(t)
	return f
}

// newFaultNetWith writes the homes of a 4-validator testnet (as
// newFaultNet, with cfg's changes) and describes its nodes; it starts
// nothing.
func newFaultNetWith(t *testing.T, cfg faultNetConfig) *faultNet {
	root, err := repoRoot()
	require.NoError(t, err)
	f := &faultNet{cli: NewCLI(t), base: freePortBlock(t, faultVals*10), cfg: cfg}
	out := filepath.Join(t.TempDir(), "testnet")
	f.cli.Run(t, "testnet", "init-files", "--v", strconv.Itoa(faultVals), "-o", out,
		"--chain-id", cfg.chainID, "--base-port", strconv.Itoa(f.base), "--commit-timeout", "500ms")

	// networks/local/genesis.jq on node0's genesis, copied to every node.
	gen0 := filepath.Join(out, "node0", "meshd", "config", "genesis.json")
	jq := exec.Command("jq",
		"--arg", "compute_epoch", faultEpoch.String(),
		"--arg", "commit_window", strconv.Itoa(faultCommitWindow),
		"--arg", "reveal_window", strconv.Itoa(faultRevealWindow),
		// 500 ms blocks: the commit window lasts half as many seconds.
		"--arg", "poc_commit_seconds", strconv.Itoa(max(1, faultCommitWindow/2)),
		"--arg", "dao_voting_period", "60s", "--arg", "dao_timelock", "30s",
		"--arg", "dao_analysis_model", faultModel,
		"--slurpfile", "training_dataset", filepath.Join(root, "networks", "local", "training-dataset.json"),
		"-f", filepath.Join(root, "networks", "local", "genesis.jq"), gen0)
	var stderr bytes.Buffer
	jq.Stderr = &stderr
	gen, err := jq.Output()
	require.NoError(t, err, "jq (needed by the localnet too): %s", stderr.String())
	if cfg.veHeight > 0 {
		// A string in the genesis JSON, like every int64 of the consensus params.
		jq = exec.Command("jq", "--arg", "h", strconv.FormatInt(cfg.veHeight, 10),
			".consensus.params.abci.vote_extensions_enable_height = $h")
		stderr.Reset()
		jq.Stdin, jq.Stderr = bytes.NewReader(gen), &stderr
		gen, err = jq.Output()
		require.NoError(t, err, "jq: %s", stderr.String())
	}
	for i := 0; i < faultVals; i++ {
		require.NoError(t, os.WriteFile(filepath.Join(out, fmt.Sprintf("node%d", i), "meshd", "config", "genesis.json"), gen, 0o644))
	}
	f.cli.Run(t, "genesis", "validate", "--home", filepath.Join(out, "node0", "meshd"))

	for i := 0; i < faultVals; i++ {
		name := fmt.Sprintf("node%d", i)
		home := filepath.Join(out, name, "meshd")
		if cfg.sidecars {
			setTOML(t, filepath.Join(home, "config", "app.toml"), "worker_sidecar", strconv.Quote(f.sidecarAddr(i)))
		}
		f.nodes = append(f.nodes, NewNode(t, f.cli, name, home, f.base+10*i+1))
	}
	return f
}

// sidecarAddr is where worker i serves the Sidecar: a port of node i's
// block that init-files leaves unused (it takes +0..+3).
func (f *faultNet) sidecarAddr(i int) string {
	return fmt.Sprintf("127.0.0.1:%d", f.base+10*i+5)
}

// addWorkers creates one worker home and key per validator, beside the
// node's home, and reads each validator's account (the worker's provider).
func (f *faultNet) addWorkers(t *testing.T) {
	for i, n := range f.nodes {
		f.providers = append(f.providers, strings.TrimSpace(f.cli.Run(t, "keys", "show", n.Name, "-a", "--home", n.Home)))
		w := newFaultWorker(t, f.cli, fmt.Sprintf("worker-%d", i), filepath.Join(filepath.Dir(n.Home), "worker"))
		f.workers = append(f.workers, w)
	}
}

// startNodes starts every node and waits for height 2.
func (f *faultNet) startNodes(t *testing.T) {
	for _, n := range f.nodes {
		n.Start(t)
	}
	WaitAllForHeight(t, f.nodes, 2, waitTimeout)
}

// startWorkers provisions every provider's pool and worker, starts the
// workers (each serving the Sidecar if cfg.sidecars) and waits until every
// worker passed an epoch.
func (f *faultNet) startWorkers(t *testing.T) {
	// Provisioning, the four providers in parallel (each signs its own txs).
	errs := make([]error, faultVals)
	var wg sync.WaitGroup
	for i := range f.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.provision(i)
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))

	for i, w := range f.workers {
		args := []string{"--grpc", fmt.Sprintf("127.0.0.1:%d", f.base+10*i+2), "--chain-id", f.cfg.chainID,
			"--fee-granter", f.providers[i], "--gas-prices", "0.0025umesh", "--listen", "", "--train", "off"}
		if f.cfg.sidecars {
			args = append(args, "--sidecar-listen", f.sidecarAddr(i))
		}
		w.Start(t, args...)
	}
	for i, w := range f.workers {
		f.waitWorker(t, i, w.addr, fmt.Sprintf("worker-%d to pass its first epoch", i),
			func(r computetypes.Worker) bool { return r.Passed >= 1 && r.VerifiedUnits > 0 })
	}
}

// provision creates validator i's compute pool, then authorises, fee-grants
// and registers its worker (the registration signed by the worker's key). It
// runs off the test goroutine, so it returns errors instead of failing.
func (f *faultNet) provision(i int) error {
	prov, w := f.providers[i], f.workers[i]
	key := fmt.Sprintf("node%d", i)
	msgs := faultWorkerMsgs
	if slices.Contains(f.cfg.extensionOnly, i) {
		var keep []string
		for _, m := range strings.Split(msgs, ",") {
			if m != "/mesh.compute.v1.MsgCommitPoC" && m != "/mesh.inference.v1.MsgCommitResult" {
				keep = append(keep, m)
			}
		}
		msgs = strings.Join(keep, ",")
	}
	steps := [][]string{
		{"pool", "create-pool", "1000000000umesh", "--commission", "0.05", "--from", key},
		{"compute", "authorize-worker", w.addr, "--from", key},
		{"feegrant", "grant", prov, w.addr, "--spend-limit", "1000000000umesh", "--allowed-messages", msgs, "--from", key},
		{"compute", "register-worker", "--provider", prov, "--gpu", "cpu", "--vram-gb", "0", "--gops", "1",
			"--units", strconv.Itoa(faultUnits), "--models", faultModel,
			"--from", "worker", "--keyring-dir", w.home, "--fee-granter", prov},
	}
	for _, s := range steps {
		args := append(append([]string{"tx"}, s...), "--gas", "auto", "--gas-adjustment", "2", "--gas-prices", "0.0025umesh")
		if _, err := f.sendTx(i, args...); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// sendTx runs `meshd tx … --home nodeI -y -o json` against node i, then
// waits, over node i's RPC, until the tx is in a block with code 0.
func (f *faultNet) sendTx(i int, args ...string) (faultTx, error) {
	n := f.nodes[i]
	args = append(args, "--home", n.Home, "-y", "-o", "json")
	var res TxResponse
	for try := 0; ; try++ {
		stdout, stderr, err := f.cli.Exec(args...)
		if err == nil {
			err = json.Unmarshal([]byte(strings.TrimSpace(stdout)), &res)
		}
		if err == nil && res.Code == 0 {
			break
		}
		// A tx sent right after the previous one may read a stale sequence.
		if try < 4 && strings.Contains(stderr+res.RawLog, "account sequence mismatch") {
			time.Sleep(time.Second)
			continue
		}
		if err != nil {
			return faultTx{}, fmt.Errorf("meshd %s: %w\n%s%s", strings.Join(args, " "), err, stdout, stderr)
		}
		return faultTx{}, fmt.Errorf("meshd %s: CheckTx code %d: %s", strings.Join(args, " "), res.Code, res.RawLog)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		var tx faultTx
		err := rpcGet(n.RPCPort, "/tx?hash=0x"+res.TxHash, &tx)
		if err == nil {
			if tx.TxResult.Code != 0 {
				return tx, fmt.Errorf("tx %s (%s) failed in block %s: %s", res.TxHash, args[1], tx.Height, tx.TxResult.Log)
			}
			return tx, nil
		}
		if time.Now().After(deadline) {
			return faultTx{}, fmt.Errorf("tx %s (%s) not in a block after %s: %v", res.TxHash, args[1], waitTimeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// request sends an EXACT inference request of redundancy r from validator
// i's account through node i and returns the job id.
func (f *faultNet) request(t *testing.T, i, r int, input string) uint64 {
	t.Helper()
	id, err := f.requestE(i, r, input)
	require.NoError(t, err)
	return id
}

// requestE is request for use off the test goroutine.
func (f *faultNet) requestE(i, r int, input string) (uint64, error) {
	tx, err := f.sendTx(i, "tx", "inference", "request", faultModel, input,
		"--max-fee", fmt.Sprintf("%dumesh", 1000*r), "--redundancy", strconv.Itoa(r), "--mode", "exact",
		"--from", fmt.Sprintf("node%d", i), "--gas", "800000", "--fees", "2000umesh")
	if err != nil {
		return 0, err
	}
	for _, ev := range tx.TxResult.Events {
		if ev.Type == "mesh.inference.v1.EventInferenceRequested" && ev.has("job_id") {
			return strconv.ParseUint(ev.attr("job_id"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no EventInferenceRequested in tx %s: %+v", tx.Hash, tx.TxResult.Events)
}

// faultTx is the part of CometBFT's /tx result the tests read.
type faultTx struct {
	Hash     string `json:"hash"`
	Height   string `json:"height"`
	TxResult struct {
		Code   uint32      `json:"code"`
		Log    string      `json:"log"`
		Events []abciEvent `json:"events"`
	} `json:"tx_result"`
}

// ---------------------------------------------------------------------------
// Reading the chain over RPC (cheap to poll, unlike spawning the CLI)

// rpcGet GETs a CometBFT RPC path on the node's port and decodes the
// JSON-RPC result into v.
func rpcGet(port int, path string, v any) error {
	resp, err := rpcClient.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %s: %s", path, env.Error.Message, env.Error.Data)
	}
	return json.Unmarshal(env.Result, v)
}

type protoMsg interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// abciQuery asks node n's app a gRPC query (path like
// /mesh.compute.v1.Query/Worker) through CometBFT's /abci_query.
func abciQuery(n *Node, path string, req, res protoMsg) error {
	bz, err := req.Marshal()
	if err != nil {
		return err
	}
	var out struct {
		Response struct {
			Code  uint32 `json:"code"`
			Log   string `json:"log"`
			Value []byte `json:"value"`
		} `json:"response"`
	}
	q := "/abci_query?path=" + url.QueryEscape(`"`+path+`"`) + "&data=0x" + hex.EncodeToString(bz)
	if err := rpcGet(n.RPCPort, q, &out); err != nil {
		return err
	}
	if out.Response.Code != 0 {
		return fmt.Errorf("%s: code %d: %s", path, out.Response.Code, out.Response.Log)
	}
	return res.Unmarshal(out.Response.Value)
}

// worker reads a worker's record through node i.
func (f *faultNet) worker(t *testing.T, i int, addr string) computetypes.Worker {
	t.Helper()
	var res computetypes.QueryWorkerResponse
	require.NoError(t, abciQuery(f.nodes[i], "/mesh.compute.v1.Query/Worker", &computetypes.QueryWorkerRequest{Address: addr}, &res))
	return res.Worker
}

// epoch reads the current compute epoch through node i.
func (f *faultNet) epoch(t *testing.T, i int) computetypes.EpochInfo {
	t.Helper()
	var res computetypes.QueryEpochResponse
	require.NoError(t, abciQuery(f.nodes[i], "/mesh.compute.v1.Query/Epoch", &computetypes.QueryEpochRequest{}, &res))
	return res.Epoch
}

// waitWorker polls worker addr through node i until cond holds; a fraud
// verdict fails at once.
func (f *faultNet) waitWorker(t *testing.T, i int, addr, what string, cond func(computetypes.Worker) bool) computetypes.Worker {
	t.Helper()
	var rec computetypes.Worker
	waitEvery(t, what, faultEpochWait, func() (bool, string) {
		var res computetypes.QueryWorkerResponse
		if err := abciQuery(f.nodes[i], "/mesh.compute.v1.Query/Worker", &computetypes.QueryWorkerRequest{Address: addr}, &res); err != nil {
			return false, err.Error()
		}
		rec = res.Worker
		require.Zero(t, rec.Frauds, "an honest worker must never be found fraudulent")
		return cond(rec), fmt.Sprintf("%s passed %d missed %d last passed epoch %d verified units %d",
			rec.Status, rec.Passed, rec.Missed, rec.LastPassedEpoch, rec.VerifiedUnits)
	}, 2*time.Second)
	return rec
}

// waitCommitted waits, reading through a node other than worker i's, until
// worker i's commitment to the current epoch is on chain and its commit
// window is still open (no sample drawn), and returns that challenge.
func (f *faultNet) waitCommitted(t *testing.T, i int) computetypes.QueryChallengeResponse {
	t.Helper()
	via := f.nodes[(i+2)%faultVals]
	var ch computetypes.QueryChallengeResponse
	waitEvery(t, fmt.Sprintf("worker-%d to commit to an epoch", i), faultEpochWait, func() (bool, string) {
		ch = computetypes.QueryChallengeResponse{}
		if err := abciQuery(via, "/mesh.compute.v1.Query/Challenge", &computetypes.QueryChallengeRequest{Worker: f.workers[i].addr}, &ch); err != nil {
			return false, err.Error()
		}
		h, _ := via.Height()
		// Two blocks of slack: the fault must hit before the window closes.
		return ch.Commitment != nil && len(ch.SampleIndices) == 0 && h+2 < ch.CommitEnd,
			fmt.Sprintf("epoch %d committed %v samples %d height %d commit_end %d", ch.Epoch, ch.Commitment != nil, len(ch.SampleIndices), h, ch.CommitEnd)
	}, time.Second)
	return ch
}

// waitJobEnded polls a job through node 0 (or 2 when 0 is away) until it
// left the queue and its commit and reveal phases.
func (f *faultNet) waitJobEnded(t *testing.T, id uint64) inferencetypes.Job {
	t.Helper()
	var j inferencetypes.Job
	waitEvery(t, fmt.Sprintf("job %d to end", id), 2*time.Minute, func() (bool, string) {
		var res inferencetypes.QueryJobResponse
		err := abciQuery(f.nodes[2], "/mesh.inference.v1.Query/Job", &inferencetypes.QueryJobRequest{Id: id}, &res)
		if err != nil {
			return false, err.Error()
		}
		j = res.Job
		switch j.Status {
		case inferencetypes.JOB_STATUS_QUEUED, inferencetypes.JOB_STATUS_COMMITTING, inferencetypes.JOB_STATUS_REVEALING:
			return false, j.Status.String()
		}
		return true, ""
	}, time.Second)
	return j
}

func agreed(j inferencetypes.Job) int {
	n := 0
	for _, a := range j.Assignments {
		if a.Agreed {
			n++
		}
	}
	return n
}

func hasAgreed(j inferencetypes.Job, worker string) bool {
	for _, a := range j.Assignments {
		if a.Worker == worker && a.Agreed {
			return true
		}
	}
	return false
}

func seats(j inferencetypes.Job) []string {
	var out []string
	for _, a := range j.Assignments {
		out = append(out, fmt.Sprintf("%s…(agreed %v)", a.Worker[:12], a.Agreed))
	}
	return out
}

// waitCaughtUp waits until n is past height after, no longer catching up,
// and within 2 blocks of the highest other node; it returns n's height.
func (f *faultNet) waitCaughtUp(t *testing.T, n *Node, after int64) int64 {
	t.Helper()
	var h int64
	waitEvery(t, n.Name+" to catch up", 3*time.Minute, func() (bool, string) {
		if gone, err := n.exited(); gone {
			t.Fatalf("%s exited: %s", n.Name, describeExit(err))
		}
		st, err := n.Status()
		if err != nil {
			return false, err.Error()
		}
		h = st.Height()
		var others []*Node
		for _, o := range f.nodes {
			if o != n {
				others = append(others, o)
			}
		}
		top := MaxHeight(others)
		return h > after && !st.SyncInfo.CatchingUp && h >= top-2,
			fmt.Sprintf("%s at %d (catching up %v), others at %d", n.Name, h, st.SyncInfo.CatchingUp, top)
	}, time.Second)
	return h
}

func minHeight(t *testing.T, nodes []*Node) int64 {
	t.Helper()
	var m int64 = -1
	for _, n := range nodes {
		h, err := n.Height()
		require.NoError(t, err, n.Name)
		if m < 0 || h < m {
			m = h
		}
	}
	return m
}

// blockHashes are the block hashes of heights from..to as node n has them.
func blockHashes(n *Node, from, to int64) (map[int64]string, error) {
	out := map[int64]string{}
	for lo := from; lo <= to; lo += 20 {
		hi := min(lo+19, to)
		var res struct {
			BlockMetas []struct {
				BlockID struct {
					Hash string `json:"hash"`
				} `json:"block_id"`
				Header struct {
					Height string `json:"height"`
				} `json:"header"`
			} `json:"block_metas"`
		}
		if err := rpcGet(n.RPCPort, fmt.Sprintf("/blockchain?minHeight=%d&maxHeight=%d", lo, hi), &res); err != nil {
			return nil, err
		}
		for _, m := range res.BlockMetas {
			h, _ := strconv.ParseInt(m.Header.Height, 10, 64)
			out[h] = m.BlockID.Hash
		}
	}
	return out, nil
}

// requireSameChain requires every node to hold the same block hash at every
// height in from..to: no fork.
func (f *faultNet) requireSameChain(t *testing.T, nodes []*Node, from, to int64) {
	t.Helper()
	from = max(from, 1)
	var ref map[int64]string
	for _, n := range nodes {
		var hashes map[int64]string
		waitEvery(t, fmt.Sprintf("%s to serve blocks %d..%d", n.Name, from, to), waitTimeout, func() (bool, string) {
			var err error
			if hashes, err = blockHashes(n, from, to); err != nil {
				return false, err.Error()
			}
			return int64(len(hashes)) == to-from+1, fmt.Sprintf("%d blocks", len(hashes))
		}, time.Second)
		if ref == nil {
			ref = hashes
			continue
		}
		for h := from; h <= to; h++ {
			require.NotEmpty(t, hashes[h])
			require.Equal(t, ref[h], hashes[h], "block %d: %s and %s differ", h, nodes[0].Name, n.Name)
		}
	}
}

// logTime is the time= stamp of the first line of a worker log that contains substr.
func logTime(t *testing.T, log, substr string) time.Time {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, substr) {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		ts, err := time.Parse(time.RFC3339Nano, stamp)
		require.NoError(t, err, "log line %q", line)
		return ts
	}
	t.Fatalf("no log line with %q", substr)
	return time.Time{}
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// ---------------------------------------------------------------------------
// Workers

// faultWorker is one `meshd-worker start` process; its log accumulates in
// one file across restarts.
type faultWorker struct {
	name, home, addr, logPath string
	cli                       *CLI

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// newFaultWorker creates the worker's home and key (meshd-worker init) and
// registers cleanup: the process is killed and, if the test failed, the
// log tail is printed.
func newFaultWorker(t *testing.T, cli *CLI, name, home string) *faultWorker {
	t.Helper()
	w := &faultWorker{name: name, home: home, cli: cli, logPath: home + ".log"}
	out := cli.Worker(t, "init", "--home", home, "--keyring-backend", "test", "-o", "json")
	var res struct {
		Address string `json:"address"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), "meshd-worker init: %s", out)
	w.addr = res.Address
	t.Cleanup(func() {
		w.kill()
		if t.Failed() {
			t.Logf("---- last %d lines of %s (%s) ----\n%s", logTailLines, w.name, w.logPath, tail(w.logPath, logTailLines))
		}
	})
	return w
}

func (w *faultWorker) Start(t *testing.T, args ...string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Nil(t, w.cmd, "%s already runs", w.name)
	logFile, err := os.OpenFile(w.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	cmd := exec.Command(workerBin(), append([]string{"start", "--home", w.home}, args...)...)
	cmd.Env = w.cli.env()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setChildAttrs(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		require.NoError(t, err, "start %s", w.name)
	}
	done := make(chan struct{})
	w.cmd, w.done = cmd, done
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}()
}

func (w *faultWorker) kill() {
	w.mu.Lock()
	cmd, done := w.cmd, w.done
	w.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}

func (w *faultWorker) logSize() int64 {
	st, err := os.Stat(w.logPath)
	if err != nil {
		return 0
	}
	return st.Size()
}

// logSince is the worker's log after byte offset mark.
func (w *faultWorker) logSince(mark int64) string {
	bz, _ := os.ReadFile(w.logPath)
	if int64(len(bz)) < mark {
		return ""
	}
	return string(bz[mark:])
}
