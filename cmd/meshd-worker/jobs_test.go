package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

const riskyProposal = "Mint one billion tokens to an anonymous wallet and remove the timelock"

// worker runs `meshd-worker start` against a fake node that makes a block
// every 20ms, until the test ends.
type worker struct {
	node   *chaintest.Node
	addr   string
	listen string
	cancel context.CancelFunc
	done   chan error
	// beforeBlock, when set (by setup), runs before every block.
	beforeBlock func()
}

func startWorker(t *testing.T, setup func(w *worker), args ...string) *worker {
	home, addr := initHome(t)
	node, err := chaintest.New("mesh-local-1")
	require.NoError(t, err)
	node.AddAccount(addr)
	w := &worker{node: node, addr: addr, listen: freePort(t), done: make(chan error, 1)}
	setup(w)
	grpcAddr := node.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if w.beforeBlock != nil {
					w.beforeBlock()
				}
				node.Advance(1)
			}
		}
	}()
	go func() {
		_, err := run(t, ctx, "", append([]string{"start", "--home", home, "--grpc", grpcAddr, "--chain-id", "mesh-local-1",
			"--listen", w.listen, "--poll-interval", "10ms"}, args...)...)
		w.done <- err
	}()
	return w
}

// addJob assigns a job to the worker alone: it finalizes on its answer,
// so the generous windows (20 s to commit) cost nothing and leave room for
// slow machines and the race detector (3 s was too short on a 2-core
// machine at load 15 for TestStartServesSidecar).
func (w *worker) addJob(model string) uint64 {
	return w.node.AddJob(inferencetypes.Job{ModelId: model, Input: []byte(riskyProposal), CommitEnd: w.node.Height() + 1000,
		Deadline: w.node.Height() + 2000, Assignments: chaintest.Assign(w.addr)})
}

func (w *worker) waitFinalized(t *testing.T, id uint64) inferencetypes.Job {
	t.Helper()
	require.Eventually(t, func() bool { return w.node.Job(id).Status == inferencetypes.JOB_STATUS_FINALIZED },
		60*time.Second, 10*time.Millisecond, "job %d: %+v", id, w.node.Job(id))
	return w.node.Job(id)
}

func (w *worker) stop(t *testing.T) {
	w.cancel()
	select {
	case err := <-w.done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("start did not stop on cancel")
	}
}

func embeddedAnswer(t *testing.T) string {
	model, err := embedded.New()
	require.NoError(t, err)
	out, err := model.Infer(context.Background(), embedded.ModelID, []byte(riskyProposal))
	require.NoError(t, err)
	return string(out)
}

func get(t *testing.T, url string) []byte {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

// TestStartAnswersInferenceJobs: an int8-embedded job and an
// openai:mesh-embedded-v1 job answered through an in-process `meshd-worker
// serve` finalize with the same bytes.
func TestStartAnswersInferenceJobs(t *testing.T) {
	serveAddr := freePort(t)
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	serveDone := make(chan error, 1)
	go func() {
		_, err := run(t, sctx, "", "serve", "--listen", serveAddr)
		serveDone <- err
	}()

	var embeddedJob, openaiJob uint64
	w := startWorker(t, func(w *worker) {
		w.node.AddModel(inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: embedded.WeightsDigest,
			Deterministic: true, Status: inferencetypes.MODEL_STATUS_ACTIVE})
		w.node.AddModel(inferencetypes.Model{Id: "risk-openai", Runtime: "openai:" + embedded.ModelID, Status: inferencetypes.MODEL_STATUS_ACTIVE})
		embeddedJob, openaiJob = w.addJob(embedded.ModelID), w.addJob("risk-openai")
	}, "--openai-url", "http://"+serveAddr, "--models", "mesh-embedded-v1,risk-openai")

	want := embeddedAnswer(t)
	require.Equal(t, want, string(w.waitFinalized(t, embeddedJob).Result))
	require.Equal(t, want, string(w.waitFinalized(t, openaiJob).Result))

	metrics := string(get(t, "http://"+w.listen+"/metrics"))
	require.Contains(t, metrics, "meshd_worker_jobs_committed_total")
	require.Contains(t, metrics, "meshd_worker_jobs_revealed_total")
	require.Contains(t, metrics, `meshd_worker_inference_duration_seconds_bucket{backend="openai"`)
	require.Contains(t, metrics, `meshd_worker_inference_duration_seconds_bucket{backend="embedded"`)
	var snap health.Snapshot
	require.NoError(t, json.Unmarshal(get(t, "http://"+w.listen+"/healthz"), &snap))
	require.Equal(t, []string{"mesh-embedded-v1", "risk-openai"}, snap.Models)
	require.Contains(t, string(get(t, "http://"+w.listen+"/healthz")), `"open_jobs":`)

	w.stop(t)
	scancel()
	require.NoError(t, <-serveDone)
}

// TestStartAnswersExecJobs: an exec:<name> job answered by this test binary
// playing `meshd-worker exec-cpu` (op "infer" with the embedded model).
func TestStartAnswersExecJobs(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	t.Setenv(envBeWorker, "1") // inherited by the exec program only
	var id uint64
	w := startWorker(t, func(w *worker) {
		// The program gets the model id, and exec-cpu serves mesh-embedded-v1.
		w.node.AddModel(inferencetypes.Model{Id: embedded.ModelID, Runtime: "exec:meshd-worker-exec-cpu", Status: inferencetypes.MODEL_STATUS_ACTIVE})
		id = w.addJob(embedded.ModelID)
	}, "--exec-cmd", self+" exec-cpu")
	require.Equal(t, embeddedAnswer(t), string(w.waitFinalized(t, id).Result))
	require.Contains(t, string(get(t, "http://"+w.listen+"/metrics")), `meshd_worker_inference_duration_seconds_bucket{backend="exec"`)
	w.stop(t)
}
