package training_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/training"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

const chainID = "mesh-local-1"

// testHyper keeps rounds fast.
const testHyper = `{"epochs":2,"seed":7,"lr1":2,"lr2":2,"margin":4096}`

// worker is one meshd-worker: its key and client, its home (blobs and
// records) and its blob server on loopback.
type worker struct {
	t       *testing.T
	client  *chain.Client
	home    string
	blobs   *training.BlobStore
	records *training.Records
	srv     *httptest.Server
}

func newWorker(t *testing.T, n *chaintest.Node, grpcAddr string) *worker {
	t.Helper()
	enc, err := chain.NewEncoding()
	require.NoError(t, err)
	kr := keyring.NewInMemory(enc.Codec)
	_, _, err = chain.CreateKey(kr, chain.KeyName)
	require.NoError(t, err)
	c, err := chain.Dial(chain.Config{GRPCAddr: grpcAddr, ChainID: chainID, Keyring: kr,
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxAttempts: 20, RequestTimeout: 5 * time.Second,
		Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	n.AddAccount(c.Address())
	w := &worker{t: t, client: c, home: t.TempDir()}
	w.open()
	w.srv = httptest.NewServer(w.blobs.Handler()) // 127.0.0.1
	t.Cleanup(w.srv.Close)
	return w
}

// open (re)opens the worker's stores, as a restarted process does.
func (w *worker) open() {
	var err error
	w.blobs, err = training.OpenBlobs(filepath.Join(w.home, "blobs"))
	require.NoError(w.t, err)
	w.records, err = training.OpenRecords(filepath.Join(w.home, "data", "training"))
	require.NoError(w.t, err)
}

// loop makes a loop with fresh metrics (a new process).
func (w *worker) loop(mod func(*training.Config)) (*training.Loop, *training.Metrics) {
	m := training.NewMetrics(prometheus.NewRegistry())
	cfg := training.Config{Chain: w.client, Blobs: w.blobs, Records: w.records, BlobURL: w.srv.URL, Metrics: m,
		Models: []string{embedded.ModelID}, Logger: testLogger(w.t).With("worker", w.client.Address()[:12]),
		PollInterval: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, ScanInterval: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	l, err := training.New(cfg)
	require.NoError(w.t, err)
	return l, m
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newNode(t *testing.T) (*chaintest.Node, string) {
	n, err := chaintest.New(chainID)
	require.NoError(t, err)
	return n, n.Listen(t)
}

func baseDigest(t *testing.T) []byte {
	d, err := hex.DecodeString(embedded.WeightsDigest)
	require.NoError(t, err)
	return d
}

// addDataset adds items made from every k-th built-in example with its
// label rotated (low → medium → high → low), so that the built-in model,
// which fits the built-in labels, has something to learn. Every third item
// is LABELED with the rotated label while its JSON keeps the original one
// (the final label wins). It returns the dataset id and the examples in the
// order the workers read them.
func addDataset(t *testing.T, n *chaintest.Node, k int) (uint64, []train.Example) {
	ds := n.AddDataset()
	var want []train.Example
	for i, ex := range train.Dataset() {
		if i%k != 0 {
			continue
		}
		ex.Label = (ex.Label + 1) % embedded.NumLabels
		it := trainingtypes.Item{DatasetId: ds}
		label := embedded.Labels[ex.Label]
		if i%(3*k) == 0 {
			it.Status, it.Label = trainingtypes.ITEM_STATUS_LABELED, label
			label = embedded.Labels[(ex.Label+2)%embedded.NumLabels]
		}
		data, err := json.Marshal(map[string]string{"text": ex.Text, "label": label})
		require.NoError(t, err)
		it.Data = data
		n.AddItem(it)
		want = append(want, ex)
	}
	n.AddItem(trainingtypes.Item{DatasetId: ds, Data: []byte("no label"), Status: trainingtypes.ITEM_STATUS_DISPUTED})
	return ds, want
}

func addTask(n *chaintest.Node, ds uint64, base []byte, rounds, p, a uint32) uint64 {
	return n.AddTrainingTask(trainingtypes.Task{BaseModelId: embedded.ModelID, Runtime: embedded.Runtime, BaseDigest: base,
		DatasetIds: []uint64{ds}, Rounds: rounds, ParticipantsPerRound: p, AggregatorsPerRound: a,
		Aggregation: trainingtypes.AGGREGATION_FEDAVG, Hyperparams: testHyper})
}

// TestThreeWorkersTwoRounds runs three workers, each with its own loop,
// home and blob server, through a two-round task on the fake node: they
// join it, train and commit–reveal their shards, fetch each other's updates
// over HTTP and agree on every checkpoint, which is the one recomputed here.
func TestThreeWorkersTwoRounds(t *testing.T) {
	n, grpcAddr := newNode(t)
	// Generous phases (2 s) for slow machines and the race detector; each
	// ends as soon as every worker acted.
	n.SetTrainingPhases(chaintest.TrainingPhases{Commit: 200, Reveal: 200, Aggregate: 200})
	ds, examples := addDataset(t, n, 5) // 96 items
	id := addTask(n, ds, baseDigest(t), 2, 3, 3)

	workers := make([]*worker, 3)
	metrics := make([]*training.Metrics, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = newWorker(t, n, grpcAddr)
		var l *training.Loop
		l, metrics[i] = workers[i].loop(func(c *training.Config) {
			if i == 2 {
				c.Tasks = []uint64{id} // an explicit id; the others find it
			} else {
				c.Auto = true
			}
		})
		wg.Go(func() { _ = l.Run(ctx) })
	}
	// Blocks every 10 ms.
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				n.Advance(1)
			}
		}
	})
	require.Eventually(t, func() bool {
		task, _ := n.TrainingTask(id)
		return task.Status == trainingtypes.TASK_STATUS_COMPLETED || task.Status == trainingtypes.TASK_STATUS_FAILED
	}, 60*time.Second, 20*time.Millisecond)
	// The task ended: the loops drop its records (the blobs stay: the
	// candidate model's weights_uri points at one).
	require.Eventually(t, func() bool {
		for _, w := range workers {
			if ids, err := w.records.Tasks(); err != nil || len(ids) > 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
	cancel()
	wg.Wait()

	task, joined := n.TrainingTask(id)
	require.Equal(t, trainingtypes.TASK_STATUS_COMPLETED, task.Status)
	require.Len(t, joined, 3)
	counts := n.TrainingCounts()
	require.Equal(t, 3, counts.Joins)
	require.Equal(t, 6, counts.Commits, "one commitment per participant and round")
	require.Equal(t, 6, counts.Reveals)
	require.Equal(t, 6, counts.Aggregates)

	// Round 1, recomputed: FromWeights of the built-in model, shards of the
	// chain data's training split in the draw's order, FedAvg.
	r1, ok := n.TrainingRound(id, 1)
	require.True(t, ok)
	r2, ok := n.TrainingRound(id, 2)
	require.True(t, ok)
	require.Contains(t, counts.ItemsHeights, r1.StartHeight, "items read as of the round's start")
	require.Contains(t, counts.ItemsHeights, r2.StartHeight)
	w, err := embedded.Load()
	require.NoError(t, err)
	base, err := federated.FromWeights(w)
	require.NoError(t, err)
	hyper, err := federated.ParseHyper([]byte(testHyper))
	require.NoError(t, err)
	trainSet, test := federated.HeldOut(examples)
	var updates []federated.Weighted
	for i, u := range r1.Updates {
		ck, st, err := federated.LocalUpdate(base, federated.Shard(trainSet, i, len(r1.Updates)), hyper, 1)
		require.NoError(t, err)
		d := ck.Digest()
		require.Equal(t, d[:], u.Digest, "participant %d", i)
		require.Equal(t, st.Samples, u.Samples)
		require.Equal(t, st.Loss, u.Loss)
		updates = append(updates, federated.Weighted{Ckpt: ck, Samples: st.Samples})
	}
	want, err := federated.Aggregate(federated.FedAvg, updates)
	require.NoError(t, err)
	wantDigest := want.Digest()
	wantLoss, _, err := federated.Evaluate(want, test)
	require.NoError(t, err)

	for _, r := range []trainingtypes.Round{r1, r2} {
		require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, r.Phase, "round %d", r.Number)
		require.Len(t, r.Aggregates, 3)
		for _, a := range r.Aggregates {
			require.Equal(t, r.CheckpointDigest, a.Digest, "round %d: every aggregator has the same checkpoint", r.Number)
			require.True(t, a.Agreed)
		}
		for _, u := range r.Updates {
			require.True(t, u.Revealed)
		}
	}
	require.Equal(t, wantDigest[:], r1.CheckpointDigest)
	require.Equal(t, wantLoss, r1.EvalLoss)
	require.Equal(t, r1.CheckpointDigest, r2.BaseDigest, "round 2 starts from round 1's checkpoint")
	require.Equal(t, r2.CheckpointDigest, task.CheckpointDigest)

	// Each aggregator fetched the two other updates of each round over HTTP
	// (its own and the round-1 checkpoint came from its own store), and the
	// checkpoints are served by every worker.
	for i, m := range metrics {
		require.Equal(t, 4.0, testutil.ToFloat64(m.BlobFetches.WithLabelValues("http")), "worker %d", i)
		require.Zero(t, testutil.ToFloat64(m.BlobFetches.WithLabelValues("error")), "worker %d", i)
		require.Equal(t, 2.0, testutil.ToFloat64(m.UpdatesTrained), "worker %d", i)
		require.Equal(t, 2.0, testutil.ToFloat64(m.UpdatesRevealed), "worker %d", i)
		require.Equal(t, 2.0, testutil.ToFloat64(m.AggregatesSubmitted), "worker %d", i)
		require.Equal(t, 1.0, testutil.ToFloat64(m.TasksJoined), "worker %d", i)
		res, err := http.Get(training.BlobURI(workers[i].srv.URL, task.CheckpointDigest))
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
	}
}

// solo sets up one worker alone in a one-round task (participant and
// aggregator), with the test driving heights and steps.
func solo(t *testing.T, p uint32) (*chaintest.Node, *worker, uint64) {
	n, grpcAddr := newNode(t)
	ds, _ := addDataset(t, n, 5)
	id := addTask(n, ds, baseDigest(t), 1, p, 1)
	w := newWorker(t, n, grpcAddr)
	return n, w, id
}

func step(t *testing.T, n *chaintest.Node, l *training.Loop) {
	t.Helper()
	n.Advance(1)
	require.NoError(t, l.Step(context.Background()))
}

// TestRestartBetweenCommitAndReveal: a worker commits, stops, and a new
// process reveals from the record without training again.
func TestRestartBetweenCommitAndReveal(t *testing.T) {
	n, w, id := solo(t, 1)
	l1, m1 := w.loop(func(c *training.Config) { c.Tasks = []uint64{id} })
	step(t, n, l1) // join: round 1 starts
	step(t, n, l1) // train, save, commit: the only participant, so REVEAL
	require.Equal(t, 1.0, testutil.ToFloat64(m1.UpdatesTrained))
	r, _ := n.TrainingRound(id, 0)
	require.Equal(t, trainingtypes.ROUND_PHASE_REVEAL, r.Phase)
	rec, found, err := w.records.Update(id, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, rec.Commitment, r.Updates[0].Commitment)
	require.Len(t, rec.Salt, training.SaltBytes)

	// A new process over the same home.
	w.open()
	l2, m2 := w.loop(func(c *training.Config) { c.Tasks = []uint64{id} })
	step(t, n, l2) // reveal (the last one: AGGREGATE)
	step(t, n, l2) // aggregate and submit: FINALIZED, the task COMPLETED
	require.Zero(t, testutil.ToFloat64(m2.UpdatesTrained), "no training after the restart")
	r, _ = n.TrainingRound(id, 1)
	require.True(t, r.Updates[0].Revealed)
	require.Equal(t, rec.Digest, r.Updates[0].Digest)
	require.Equal(t, rec.Samples, r.Updates[0].Samples)
	require.Equal(t, rec.URI, r.Updates[0].Uri)
	require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, r.Phase)
	require.Equal(t, 1, n.TrainingCounts().Commits)

	// FedAvg of one update is that update.
	require.Equal(t, rec.Digest, r.CheckpointDigest)
	task, _ := n.TrainingTask(id)
	require.Equal(t, trainingtypes.TASK_STATUS_COMPLETED, task.Status)
	step(t, n, l2) // sees the end: records pruned
	ids, err := w.records.Tasks()
	require.NoError(t, err)
	require.Empty(t, ids)
}

// TestCommitRefusedThenResent: the chain refuses the first commit; the
// record stays, and the same commitment is sent again (by a restarted
// process) after ResendAfter blocks, never a new one.
func TestCommitRefusedThenResent(t *testing.T) {
	n, w, id := solo(t, 2) // a second participant keeps the round in COMMIT
	other := address(t, 9)
	l1, _ := w.loop(func(c *training.Config) { c.Tasks = []uint64{id} })
	step(t, n, l1) // join
	task, _ := n.TrainingTask(id)
	require.Equal(t, trainingtypes.TASK_STATUS_OPEN, task.Status, "p = 2: waiting for a second worker")
	n.JoinTrainingTask(id, other) // the second worker, played by the test
	r, ok := n.TrainingRound(id, 0)
	require.True(t, ok)
	require.Len(t, r.Updates, 2)

	n.Do(func(n *chaintest.Node) {
		n.RejectNext = &sdk.TxResponse{Codespace: "sdk", Code: 13, RawLog: "insufficient fee"}
	})
	step(t, n, l1) // trains, saves, the commit is refused
	rec, found, err := w.records.Update(id, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Empty(t, rec.CommitTx)
	require.Zero(t, n.TrainingCounts().Commits)

	w.open()
	l2, m2 := w.loop(func(c *training.Config) { c.Tasks = []uint64{id} })
	step(t, n, l2)
	require.Zero(t, testutil.ToFloat64(m2.UpdatesTrained))
	r, _ = n.TrainingRound(id, 0)
	mine := r.Updates[0]
	if mine.Worker != w.client.Address() {
		mine = r.Updates[1]
	}
	require.Equal(t, rec.Commitment, mine.Commitment, "the saved commitment, not a new one")
	before := n.TrainingCounts().Commits
	for range 5 {
		step(t, n, l2)
	}
	require.Equal(t, before, n.TrainingCounts().Commits, "never committed twice")
	var broadcasts int
	n.Do(func(n *chaintest.Node) { broadcasts = n.Broadcasts })
	require.Equal(t, 3, broadcasts, "join, refused commit, commit")
}

// address is a worker address the test plays.
func address(t *testing.T, b byte) string {
	s, err := chain.AddressCodec.BytesToString(bytes.Repeat([]byte{b}, 20))
	require.NoError(t, err)
	return s
}

// TestJoinOnce: in auto mode a worker joins an OPEN task once, and a task
// it cannot train (another runtime, an unknown base, a model it does not
// serve) not at all; a refused join is not sent again before RejoinAfter.
func TestJoinOnce(t *testing.T) {
	n, grpcAddr := newNode(t)
	ds, _ := addDataset(t, n, 5)
	w := newWorker(t, n, grpcAddr)
	open := addTask(n, ds, baseDigest(t), 1, 2, 2) // needs two workers: stays OPEN
	other := n.AddTrainingTask(trainingtypes.Task{BaseModelId: "llama", Runtime: "openai:llama", BaseDigest: baseDigest(t),
		DatasetIds: []uint64{ds}, Rounds: 1, ParticipantsPerRound: 1, AggregatorsPerRound: 1,
		Aggregation: trainingtypes.AGGREGATION_FEDAVG})
	unknown := sha256.Sum256([]byte("weights nobody serves"))
	candidate := n.AddTrainingTask(trainingtypes.Task{BaseModelId: embedded.ModelID, Runtime: embedded.Runtime,
		BaseDigest: unknown[:], DatasetIds: []uint64{ds}, Rounds: 1, ParticipantsPerRound: 1, AggregatorsPerRound: 1,
		Aggregation: trainingtypes.AGGREGATION_FEDAVG})
	l, m := w.loop(func(c *training.Config) { c.Auto = true; c.RejoinAfter = 5 })
	for range 6 {
		step(t, n, l)
	}
	require.Equal(t, 1, n.TrainingCounts().Joins)
	_, workers := n.TrainingTask(open)
	require.Equal(t, []string{w.client.Address()}, workers)
	require.Equal(t, 1.0, testutil.ToFloat64(m.TasksJoined))
	for _, id := range []uint64{other, candidate} {
		_, workers := n.TrainingTask(id)
		require.Empty(t, workers)
	}
	var broadcasts int
	n.Do(func(n *chaintest.Node) { broadcasts = n.Broadcasts })
	require.Equal(t, 1, broadcasts)

	// A refused join waits RejoinAfter blocks.
	refused := addTask(n, ds, baseDigest(t), 1, 2, 2)
	n.SetTrainingIneligible(w.client.Address())
	time.Sleep(10 * time.Millisecond) // past ScanInterval
	step(t, n, l)
	rec, found, err := w.records.Join(refused)
	require.NoError(t, err)
	require.True(t, found)
	require.Contains(t, rec.Refused, "not eligible")
	attempts := func() (c int) {
		n.Do(func(n *chaintest.Node) { c = n.Broadcasts })
		return c
	}
	// Refused in simulation: nothing broadcast.
	require.Equal(t, 1, attempts())
	sims := rec.RefusedHeight
	for range 3 {
		step(t, n, l)
	}
	rec, _, _ = w.records.Join(refused)
	require.Equal(t, sims, rec.RefusedHeight, "not tried again yet")
	for range 3 {
		step(t, n, l)
	}
	rec, _, _ = w.records.Join(refused)
	require.Greater(t, rec.RefusedHeight, sims, "tried again after RejoinAfter blocks")
}

// TestAggregatorWaitsForAndLeavesOutUpdates: an update that cannot be
// fetched yet is waited for; one whose blob is not a checkpoint is left out
// (as every honest aggregator would).
func TestAggregatorWaitsForAndLeavesOutUpdates(t *testing.T) {
	n, w, id := solo(t, 2)
	other := address(t, 7)
	junk := []byte("not a checkpoint")
	junkDigest := sha256.Sum256(junk)
	var serving atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !serving.Load() {
			http.NotFound(rw, r)
			return
		}
		_, _ = rw.Write(junk)
	}))
	defer srv.Close()

	l, m := w.loop(func(c *training.Config) { c.Tasks = []uint64{id} })
	step(t, n, l) // join
	n.JoinTrainingTask(id, other)
	// The other participant commits and reveals (played on the fake); we
	// are the only aggregator.
	n.UpdateTrainingRound(id, func(r *trainingtypes.Round) {
		r.Aggregates = []trainingtypes.Aggregate{{Worker: w.client.Address()}}
		for i := range r.Updates {
			if r.Updates[i].Worker == other {
				r.Updates[i].Commitment = make([]byte, 32)
				r.Updates[i].Revealed, r.Updates[i].Digest, r.Updates[i].Samples = true, junkDigest[:], 50
				r.Updates[i].Uri = training.BlobURI(srv.URL, junkDigest[:])
			}
		}
	})
	step(t, n, l) // commit: REVEAL
	step(t, n, l) // reveal: the last committer, AGGREGATE
	r, _ := n.TrainingRound(id, 0)
	require.Equal(t, trainingtypes.ROUND_PHASE_AGGREGATE, r.Phase)
	for range 3 {
		step(t, n, l)
	}
	r, _ = n.TrainingRound(id, 0)
	require.Empty(t, r.Aggregates[0].Digest, "waiting for the missing update")
	require.Equal(t, 3.0, testutil.ToFloat64(m.BlobFetches.WithLabelValues("error")))

	serving.Store(true)
	step(t, n, l)
	r, _ = n.TrainingRound(id, 1)
	require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, r.Phase)
	rec, found, err := w.records.Update(id, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, rec.Digest, r.CheckpointDigest, "the junk update left out: FedAvg of ours alone")
	agg, found, err := w.records.Aggregate(id, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, [][]byte{junkDigest[:]}, agg.Excluded)
}
