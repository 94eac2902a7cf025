package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// TestStartTrains: `start --train auto` joins a two-round task alone,
// trains, commits, reveals and aggregates each round, and serves the
// checkpoint at /blobs/<sha256> beside /healthz.
func TestStartTrains(t *testing.T) {
	var id uint64
	w := startWorker(t, func(w *worker) {
		base, err := hex.DecodeString(embedded.WeightsDigest)
		require.NoError(t, err)
		// Generous phases (3 s) for slow machines and the race detector;
		// each ends as soon as the only worker acted.
		w.node.SetTrainingPhases(chaintest.TrainingPhases{Commit: 150, Reveal: 150, Aggregate: 150})
		ds := w.node.AddDataset() // empty: the built-in data set is used
		id = w.node.AddTrainingTask(trainingtypes.Task{BaseModelId: embedded.ModelID, Runtime: embedded.Runtime,
			BaseDigest: base, DatasetIds: []uint64{ds}, Rounds: 2, ParticipantsPerRound: 1, AggregatorsPerRound: 1,
			Aggregation: trainingtypes.AGGREGATION_MEDIAN, Hyperparams: `{"epochs":1}`})
	}, "--train", "auto")

	require.Eventually(t, func() bool {
		task, _ := w.node.TrainingTask(id)
		return task.Status == trainingtypes.TASK_STATUS_COMPLETED
	}, 30*time.Second, 20*time.Millisecond)
	task, workers := w.node.TrainingTask(id)
	require.Equal(t, []string{w.addr}, workers)
	for n := uint32(1); n <= 2; n++ {
		r, ok := w.node.TrainingRound(id, n)
		require.True(t, ok)
		require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, r.Phase)
	}
	require.Contains(t, task.CheckpointUri, "http://"+w.listen+"/blobs/"+hex.EncodeToString(task.CheckpointDigest))
	blob := get(t, task.CheckpointUri)
	sum := sha256.Sum256(blob)
	require.Equal(t, task.CheckpointDigest, sum[:])
	resp, err := http.Get("http://" + w.listen + "/blobs/" + hex.EncodeToString(make([]byte, 32)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, string(get(t, "http://"+w.listen+"/healthz")), `"address"`)
	// The last submission is counted once the worker sees the task ended.
	require.Eventually(t, func() bool {
		return strings.Contains(string(get(t, "http://"+w.listen+"/metrics")), "meshd_worker_training_aggregates_submitted_total 2")
	}, 10*time.Second, 20*time.Millisecond)
	w.stop(t)
}

// TestStartTrainsExec: `start --train-exec` hands each update and
// aggregate of a one-round task to this test binary playing `meshd-worker
// exec-train`, and the round's checkpoint is the built-in trainer's.
func TestStartTrainsExec(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	if runtime.GOOS == "windows" {
		t.Skip("shell wrapper")
	}
	t.Setenv(envBeWorker, "1") // inherited by the exec program only
	// A wrapper that counts the calls.
	dir := t.TempDir()
	calls, wrapper := filepath.Join(dir, "calls"), filepath.Join(dir, "trainer.sh")
	require.NoError(t, os.WriteFile(wrapper, []byte("#!/bin/sh\necho call >> "+calls+"\nexec "+self+" exec-train\n"), 0o755))
	var id uint64
	w := startWorker(t, func(w *worker) {
		base, err := hex.DecodeString(embedded.WeightsDigest)
		require.NoError(t, err)
		w.node.SetTrainingPhases(chaintest.TrainingPhases{Commit: 150, Reveal: 150, Aggregate: 150})
		ds := w.node.AddDataset() // empty: the built-in data set is used
		id = w.node.AddTrainingTask(trainingtypes.Task{BaseModelId: embedded.ModelID, Runtime: embedded.Runtime,
			BaseDigest: base, DatasetIds: []uint64{ds}, Rounds: 1, ParticipantsPerRound: 1, AggregatorsPerRound: 1,
			Aggregation: trainingtypes.AGGREGATION_FEDAVG, Hyperparams: `{"epochs":1}`})
	}, "--train", "auto", "--train-exec", wrapper, "--train-timeout", "1m")

	require.Eventually(t, func() bool {
		task, _ := w.node.TrainingTask(id)
		return task.Status == trainingtypes.TASK_STATUS_COMPLETED
	}, 30*time.Second, 20*time.Millisecond)
	w.stop(t)

	// The built-in trainer on the same inputs: one participant trains on
	// the whole training split; FedAvg of one update is that update.
	r, ok := w.node.TrainingRound(id, 1)
	require.True(t, ok)
	ew, err := embedded.Load()
	require.NoError(t, err)
	base, err := federated.FromWeights(ew)
	require.NoError(t, err)
	trainSet, _ := federated.HeldOut(train.Dataset())
	hyper, err := federated.ParseHyper([]byte(`{"epochs":1}`))
	require.NoError(t, err)
	ck, st, err := federated.LocalUpdate(base, federated.Shard(trainSet, 0, 1), hyper, 1)
	require.NoError(t, err)
	d := ck.Digest()
	require.Equal(t, d[:], r.Updates[0].Digest)
	require.Equal(t, st.Samples, r.Updates[0].Samples)
	require.Equal(t, st.Loss, r.Updates[0].Loss)
	require.Equal(t, d[:], r.CheckpointDigest)
	got, err := os.ReadFile(calls)
	require.NoError(t, err)
	require.Equal(t, "call\ncall\n", string(got), "one update and one aggregate, by the program")
}

func TestStartRejectsBadTrainFlags(t *testing.T) {
	home, _ := initHome(t)
	ctx := context.Background()
	_, err := run(t, ctx, "", "start", "--home", home, "--train", "some")
	require.ErrorContains(t, err, "want auto, off or task ids")
	_, err = run(t, ctx, "", "start", "--home", home, "--train", "1,0")
	require.ErrorContains(t, err, "want auto, off or task ids")
	_, err = run(t, ctx, "", "start", "--home", home, "--train", "auto", "--listen", "")
	require.ErrorContains(t, err, "needs --listen")
	_, err = run(t, ctx, "", "start", "--home", home, "--train", "3", "--blob-url", "ftp://x")
	require.ErrorContains(t, err, "--blob-url")
}

func TestParseTrain(t *testing.T) {
	for _, c := range []struct {
		in       string
		on, auto bool
		ids      []uint64
	}{
		{"off", false, false, nil}, {"", false, false, nil}, {"auto", true, true, nil},
		{"4", true, false, []uint64{4}}, {" 1, 4 ", true, false, []uint64{1, 4}},
	} {
		on, auto, ids, err := parseTrain(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.on, on, c.in)
		require.Equal(t, c.auto, auto, c.in)
		require.Equal(t, c.ids, ids, c.in)
	}
}
