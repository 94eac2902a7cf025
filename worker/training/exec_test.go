package training_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	"github.com/llmesh/mesh/worker/backends/exec"
	"github.com/llmesh/mesh/worker/internal/testbin"
	"github.com/llmesh/mesh/worker/training"
)

func TestMain(m *testing.M) { testbin.Main(m) }

func embeddedBase(t *testing.T) *federated.Checkpoint {
	w, err := embedded.Load()
	require.NoError(t, err)
	base, err := federated.FromWeights(w)
	require.NoError(t, err)
	return base
}

// TestExecTrainerMatchesCPU: the exec trainer running the real
// `meshd-worker exec-train` process gives the built-in trainer's bytes,
// samples and losses, for updates and for aggregates under every rule.
func TestExecTrainerMatchesCPU(t *testing.T) {
	bin := testbin.MeshdWorker(t)
	ex := &training.ExecTrainer{Program: &exec.Backend{Argv: []string{bin, "exec-train"}, Timeout: time.Minute}, Dir: t.TempDir()}
	cpu := training.CPUTrainer{}
	ctx := context.Background()
	base := embeddedBase(t)
	trainSet, test := federated.HeldOut(train.Dataset())

	var updates []federated.Weighted
	for i := range 3 {
		req := training.TrainRequest{Task: 1, Round: 2, Runtime: embedded.Runtime, BaseModel: embedded.ModelID, Base: base,
			Examples: federated.Shard(trainSet, i, 3), HeldOut: test, Hyperparams: testHyper}
		want, err := cpu.Train(ctx, req)
		require.NoError(t, err)
		got, err := ex.Train(ctx, req)
		require.NoError(t, err)
		require.Equal(t, want, got, "shard %d", i)
		ck, err := federated.Decode(got.Blob)
		require.NoError(t, err)
		updates = append(updates, federated.Weighted{Ckpt: ck, Samples: got.Samples + uint64(i)})
	}
	for _, rule := range []federated.Rule{federated.FedAvg, federated.TrimmedMean, federated.Median} {
		req := training.AggregateRequest{Task: 1, Round: 2, Rule: rule, Base: base, Updates: updates, HeldOut: test}
		want, err := cpu.Aggregate(ctx, req)
		require.NoError(t, err)
		got, err := ex.Aggregate(ctx, req)
		require.NoError(t, err)
		require.Equal(t, want.Blob, got.Blob, rule.String())
		require.Equal(t, want.EvalLoss, got.EvalLoss, rule.String())
		require.Equal(t, -1, got.Correct)
	}
	// Empty hyperparams are the defaults on both sides.
	req := training.TrainRequest{Task: 1, Round: 1, Base: base, Examples: trainSet[:8]}
	want, err := cpu.Train(ctx, req)
	require.NoError(t, err)
	got, err := ex.Train(ctx, req)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// The temporary files are gone.
	left, err := os.ReadDir(ex.Dir)
	require.NoError(t, err)
	require.Empty(t, left)

	t.Run("program error", func(t *testing.T) {
		_, err := ex.Train(ctx, training.TrainRequest{Task: 1, Round: 1, Base: base, Examples: trainSet[:8],
			Hyperparams: `{"epochs":-1}`})
		require.ErrorContains(t, err, "backend error:")
		require.ErrorContains(t, err, "epochs")
	})
}

// script writes an executable shell script.
func script(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	p := filepath.Join(t.TempDir(), "trainer.sh")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return p
}

// outPath pulls "out" from the request on stdin (paths have no quotes).
const outPath = `out=$(sed -n 's/.*"out":"\([^"]*\)".*/\1/p')`

func TestExecTrainerErrors(t *testing.T) {
	ctx := context.Background()
	base := embeddedBase(t)
	trainSet, _ := federated.HeldOut(train.Dataset())
	req := training.TrainRequest{Task: 1, Round: 1, Base: base, Examples: trainSet[:4]}
	trainer := func(body string, timeout time.Duration) *training.ExecTrainer {
		return &training.ExecTrainer{Program: &exec.Backend{Argv: []string{script(t, body)}, Timeout: timeout}}
	}

	t.Run("timeout kills the process group", func(t *testing.T) {
		// A wrapper whose child holds stdout open: only a group kill ends it.
		start := time.Now()
		_, err := trainer("sleep 30 & wait", 200*time.Millisecond).Train(ctx, req)
		require.ErrorContains(t, err, "timed out after 200ms")
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("malformed response", func(t *testing.T) {
		_, err := trainer(`echo not json`, time.Minute).Train(ctx, req)
		require.ErrorContains(t, err, "malformed response")
	})
	t.Run("missing fields", func(t *testing.T) {
		_, err := trainer(`echo '{"loss":1}'`, time.Minute).Train(ctx, req)
		require.ErrorContains(t, err, "want samples and loss")
		_, err = trainer(`echo '{}'`, time.Minute).Aggregate(ctx, training.AggregateRequest{Base: base})
		require.ErrorContains(t, err, "want eval_loss")
	})
	t.Run("missing out file", func(t *testing.T) {
		_, err := trainer(`echo '{"samples":4,"loss":7}'`, time.Minute).Train(ctx, req)
		require.ErrorContains(t, err, "out file")
	})
	t.Run("out file not a checkpoint", func(t *testing.T) {
		_, err := trainer(outPath+`; echo garbage > "$out"; echo '{"samples":4,"loss":7}'`, time.Minute).Train(ctx, req)
		require.ErrorContains(t, err, "out file")
	})
	t.Run("error field beats exit status", func(t *testing.T) {
		_, err := trainer(`echo '{"error":"no GPU"}'; exit 3`, time.Minute).Train(ctx, req)
		require.ErrorContains(t, err, "backend error: no GPU")
	})
	t.Run("exit status with stderr", func(t *testing.T) {
		_, err := trainer(`echo oops >&2; exit 2`, time.Minute).Train(ctx, req)
		require.ErrorContains(t, err, "exit status 2")
		require.ErrorContains(t, err, "oops")
	})
	t.Run("request on stdin", func(t *testing.T) {
		// A trainer that copies the base as its update: the worker reads
		// what the program wrote, whatever it is, if it is a checkpoint.
		body := `req=$(cat); out=$(echo "$req" | sed -n 's/.*"out":"\([^"]*\)".*/\1/p')
base=$(echo "$req" | sed -n 's/.*"base":"\([^"]*\)".*/\1/p')
case "$req" in *'"op":"train"'*'"examples":[{"text":'*) ;; *) echo '{"error":"bad request"}'; exit 1;; esac
cp "$base" "$out"; echo '{"samples":4,"loss":7}'`
		res, err := trainer(body, time.Minute).Train(ctx, req)
		require.NoError(t, err)
		require.Equal(t, base.Encode(), res.Blob)
		require.Equal(t, uint64(4), res.Samples)
		require.Equal(t, uint64(7), res.Loss)
	})
}
