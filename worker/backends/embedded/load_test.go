package embedded_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

const trainedID = "mesh-embedded-v1-t1"

var inputs = []string{
	"",
	"transfer the entire treasury to an unknown address",
	"Fix typos in the governance documentation",
	"Change the unbonding period from 21 days to 14 days",
	"Ünïcödé ✓ proposal: mint 1000000000 tokens to mesh1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq!!!",
}

// trained is a checkpoint as x/training makes one: a local update of the
// initial model on a few examples.
func trained(t *testing.T) *federated.Checkpoint {
	t.Helper()
	base, err := federated.Initial(train.Default)
	require.NoError(t, err)
	h := federated.DefaultHyper()
	h.Epochs = 3
	ck, _, err := federated.LocalUpdate(base, federated.Shard(train.Dataset(), 0, 8), h, 1)
	require.NoError(t, err)
	return ck
}

func hexDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// blobServer serves blobs at /blobs/<hex> on 127.0.0.1 and counts requests.
type blobServer struct {
	*httptest.Server
	hits  atomic.Int32
	mu    sync.Mutex
	blobs map[string][]byte
	delay time.Duration
}

func newBlobServer(t *testing.T) *blobServer {
	s := &blobServer{blobs: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		time.Sleep(s.delay)
		s.mu.Lock()
		b, ok := s.blobs[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

// put serves b under its digest and returns the model's spec.
func (s *blobServer) put(id string, b []byte) backends.ModelSpec {
	d := hexDigest(b)
	s.mu.Lock()
	s.blobs["/blobs/"+d] = b
	s.mu.Unlock()
	return backends.ModelSpec{ID: id, WeightsDigest: d, WeightsURI: s.URL + "/blobs/" + d}
}

func newBackend(t *testing.T, o embedded.Options) *embedded.Backend {
	t.Helper()
	if o.CacheDir == "" {
		o.CacheDir = t.TempDir()
	}
	b, err := embedded.NewWithOptions(o)
	require.NoError(t, err)
	return b
}

// A checkpoint served over HTTP answers exactly as its Weights() do.
func TestLoadCheckpoint(t *testing.T) {
	ck := trained(t)
	srv := newBlobServer(t)
	spec := srv.put(trainedID, ck.Encode())
	dir := t.TempDir()
	b := newBackend(t, embedded.Options{CacheDir: dir})
	ctx := context.Background()

	m, err := b.LoadModel(ctx, spec)
	require.NoError(t, err)
	require.Equal(t, "embedded", m.Name())
	want := ck.Weights()
	builtin, err := embedded.Load()
	require.NoError(t, err)
	differs := false
	for _, in := range inputs {
		out, err := m.Infer(ctx, trainedID, []byte(in))
		require.NoError(t, err)
		require.Equal(t, string(want.Classify([]byte(in)).OutputFor(trainedID)), string(out), "%q", in)
		require.Regexp(t, `^\{"label":"(low|medium|high)","score":\d{1,4},"model":"mesh-embedded-v1-t1"\}$`, string(out))
		again, err := b.Infer(ctx, trainedID, []byte(in))
		require.NoError(t, err)
		require.Equal(t, out, again, "the backend serves it by id once loaded")
		differs = differs || builtin.Classify([]byte(in)) != want.Classify([]byte(in))
	}
	require.True(t, differs, "the checkpoint is not the built-in model")
	_, err = m.Infer(ctx, embedded.ModelID, nil)
	require.Error(t, err)

	// Fetched once: then memory, then (a new process) the cache directory.
	_, err = b.LoadModel(ctx, spec)
	require.NoError(t, err)
	cached, err := os.ReadFile(filepath.Join(dir, spec.WeightsDigest))
	require.NoError(t, err)
	require.Equal(t, ck.Encode(), cached)
	b2 := newBackend(t, embedded.Options{CacheDir: dir})
	m2, err := b2.LoadModel(ctx, spec)
	require.NoError(t, err)
	out, err := m2.Infer(ctx, trainedID, []byte(inputs[1]))
	require.NoError(t, err)
	require.Equal(t, want.Classify([]byte(inputs[1])).OutputFor(trainedID), out)
	require.Equal(t, int32(1), srv.hits.Load())

	// A damaged cache file is discarded and fetched again.
	require.NoError(t, os.WriteFile(filepath.Join(dir, spec.WeightsDigest), []byte("MESHCKPT junk"), 0o600))
	_, err = newBackend(t, embedded.Options{CacheDir: dir}).LoadModel(ctx, spec)
	require.NoError(t, err)
	require.Equal(t, int32(2), srv.hits.Load())

	// The built-in model is unchanged beside it.
	out, err = b.Infer(ctx, embedded.ModelID, []byte(inputs[1]))
	require.NoError(t, err)
	require.Equal(t, `{"label":"high","score":6924,"model":"mesh-embedded-v1"}`, string(out))
}

// A weights file (MESHINT8) is accepted as well, with the same outputs.
func TestLoadWeightsFile(t *testing.T) {
	ck := trained(t)
	srv := newBlobServer(t)
	spec := srv.put("file-model", ck.WeightsFile())
	m, err := newBackend(t, embedded.Options{}).LoadModel(context.Background(), spec)
	require.NoError(t, err)
	out, err := m.Infer(context.Background(), "file-model", []byte(inputs[2]))
	require.NoError(t, err)
	require.Equal(t, ck.Weights().Classify([]byte(inputs[2])).OutputFor("file-model"), out)
}

// A blob that does not match its digest, or does not decode, fails the load
// and is neither cached on disk nor remembered.
func TestLoadRefusesBadBlobs(t *testing.T) {
	ctx := context.Background()
	srv := newBlobServer(t)
	dir := t.TempDir()
	b := newBackend(t, embedded.Options{CacheDir: dir})

	spec := srv.put(trainedID, trained(t).Encode())
	wrong := spec
	wrong.WeightsDigest = hexDigest([]byte("other weights"))
	for range 2 {
		_, err := b.LoadModel(ctx, wrong)
		require.ErrorContains(t, err, "not the weights digest")
	}
	require.Equal(t, int32(2), srv.hits.Load(), "a failure is not cached")
	_, err := b.Infer(ctx, trainedID, nil)
	require.ErrorContains(t, err, "not \"mesh-embedded-v1-t1\"")

	junk := srv.put("junk", []byte("not a model at all"))
	_, err = b.LoadModel(ctx, junk)
	require.ErrorContains(t, err, "neither a checkpoint")
	enc := trained(t).Encode()
	truncated := srv.put("truncated", enc[:len(enc)-4])
	_, err = b.LoadModel(ctx, truncated)
	require.ErrorContains(t, err, "checkpoint has")

	entries, err := os.ReadDir(dir)
	if !os.IsNotExist(err) {
		require.NoError(t, err)
		require.Empty(t, entries)
	}

	// Other refusals.
	for name, tc := range map[string]struct {
		spec backends.ModelSpec
		o    embedded.Options
		err  string
	}{
		"bad digest":   {backends.ModelSpec{ID: "x", WeightsDigest: "xyz", WeightsURI: spec.WeightsURI}, embedded.Options{}, "not a hex SHA-256"},
		"no uri":       {backends.ModelSpec{ID: "x", WeightsDigest: spec.WeightsDigest}, embedded.Options{}, "no weights_uri"},
		"404":          {backends.ModelSpec{ID: "x", WeightsDigest: spec.WeightsDigest, WeightsURI: srv.URL + "/nothing"}, embedded.Options{}, "404"},
		"scheme":       {backends.ModelSpec{ID: "x", WeightsDigest: spec.WeightsDigest, WeightsURI: "gopher://bafy"}, embedded.Options{}, `scheme "gopher"`},
		"no gateway":   {backends.ModelSpec{ID: "x", WeightsDigest: spec.WeightsDigest, WeightsURI: "ipfs://bafy"}, embedded.Options{}, "--ipfs-gateway"},
		"too big":      {spec, embedded.Options{MaxBlobBytes: 1000}, "exceeds 1000"},
		"file refused": {backends.ModelSpec{ID: "x", WeightsDigest: spec.WeightsDigest, WeightsURI: "file:///etc/hostname"}, embedded.Options{}, "not allowed"},
		"builtin id":   {backends.ModelSpec{ID: embedded.ModelID, WeightsDigest: spec.WeightsDigest}, embedded.Options{}, "upgrade meshd-worker"},
	} {
		_, err := newBackend(t, tc.o).LoadModel(ctx, tc.spec)
		require.ErrorContains(t, err, tc.err, name)
	}
}

func TestLoadFileURI(t *testing.T) {
	ck := trained(t)
	path := filepath.Join(t.TempDir(), "ckpt")
	require.NoError(t, os.WriteFile(path, ck.Encode(), 0o600))
	spec := backends.ModelSpec{ID: trainedID, WeightsDigest: hexDigest(ck.Encode()), WeightsURI: "file://" + path}
	m, err := newBackend(t, embedded.Options{AllowFileURIs: true}).LoadModel(context.Background(), spec)
	require.NoError(t, err)
	out, err := m.Infer(context.Background(), trainedID, []byte(inputs[3]))
	require.NoError(t, err)
	require.Equal(t, ck.Weights().Classify([]byte(inputs[3])).OutputFor(trainedID), out)
}

// The built-in weights' digest needs no fetch, under any id.
func TestLoadBuiltinDigest(t *testing.T) {
	b := newBackend(t, embedded.Options{})
	ctx := context.Background()
	for _, spec := range []backends.ModelSpec{
		{ID: embedded.ModelID, WeightsDigest: embedded.WeightsDigest},
		{ID: embedded.ModelID},
		{ID: "alias", WeightsDigest: embedded.WeightsDigest, WeightsURI: "http://127.0.0.1:1/unreachable"},
	} {
		m, err := b.LoadModel(ctx, spec)
		require.NoError(t, err)
		out, err := m.Infer(ctx, spec.ID, []byte(inputs[1]))
		require.NoError(t, err)
		require.Equal(t, `{"label":"high","score":6924,"model":"`+spec.ID+`"}`, string(out))
	}
	out, err := b.Infer(ctx, "alias", []byte(inputs[1]))
	require.NoError(t, err)
	require.Equal(t, `{"label":"high","score":6924,"model":"alias"}`, string(out))
}

// Concurrent jobs on one model fetch it once; memory keeps MaxModels
// models, and an evicted one comes back from the disk cache.
func TestLoadConcurrentAndEviction(t *testing.T) {
	ctx := context.Background()
	srv := newBlobServer(t)
	srv.delay = 100 * time.Millisecond
	a := srv.put("a", trained(t).Encode())
	init, err := federated.Initial(train.Default)
	require.NoError(t, err)
	bspec := srv.put("b", init.Encode())
	be := newBackend(t, embedded.Options{MaxModels: 1})

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := be.LoadModel(ctx, a)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), srv.hits.Load())

	ma, err := be.LoadModel(ctx, a)
	require.NoError(t, err)
	_, err = be.LoadModel(ctx, bspec)
	require.NoError(t, err)
	_, err = be.Infer(ctx, "a", nil)
	require.Error(t, err, "evicted from memory")
	_, err = ma.Infer(ctx, "a", nil)
	require.NoError(t, err, "a loaded model keeps its weights")
	srv.delay = 0
	_, err = be.LoadModel(ctx, a)
	require.NoError(t, err)
	require.Equal(t, int32(2), srv.hits.Load(), "a again from the disk cache")
	_, err = be.Infer(ctx, "a", nil)
	require.NoError(t, err)
}

// ParseBlob reads checkpoints exactly as federated does: the same int8
// weights for what federated.Decode accepts, a refusal for what it refuses.
func TestCheckpointMatchesFederated(t *testing.T) {
	init, err := federated.Initial(train.Default)
	require.NoError(t, err)
	enc := init.Encode()
	put := func(off int, vs ...uint32) []byte {
		b := append([]byte(nil), enc...)
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[off+4*i:], v)
		}
		return b
	}
	w1 := federated.HeaderSize
	b1 := w1 + 4*2048*32
	w2 := b1 + 4*32
	b2 := w2 + 4*32*3
	neg := func(v int32) uint32 { return uint32(v) }
	// Masters at the rounding edges: ±½ steps, the clamp, the largest biases.
	edges := []uint32{127 << 8, neg(-127 << 8), 128, neg(-128), 127, neg(-129), 0x17f, 0x180, neg(-0x180), neg(-0x181), 1, neg(-1)}
	accepted := map[string][]byte{
		"initial":  enc,
		"trained":  trained(t).Encode(),
		"w1 edges": put(w1, edges...),
		"w2 edges": put(w2, edges...),
		"b1 edges": put(b1, 1<<31-1, neg(-1<<31), 128, neg(-128), 0x17f, neg(-0x181)),
		"b2 edges": put(b2, 1<<31-1, neg(-1<<31), neg(-128)),
	}
	for name, b := range accepted {
		ck, err := federated.Decode(b)
		require.NoError(t, err, name)
		w, err := embedded.ParseBlob(b)
		require.NoError(t, err, name)
		require.Equal(t, ck.Weights(), w, name)
	}
	refused := map[string][]byte{
		"empty":      nil,
		"short":      enc[:federated.HeaderSize-1],
		"version":    put(8, 2),
		"buckets 0":  put(12, 0),
		"buckets":    put(12, 2047),
		"hidden big": put(16, 1<<31),
		"labels":     put(20, 4),
		"shift":      put(24, 32),
		"frac bits":  put(28, 7),
		"truncated":  enc[:len(enc)-1],
		"trailing":   append(append([]byte(nil), enc...), 0),
		"w1 range":   put(w1, 127<<8+1),
		"w2 -range":  put(w2, neg(-127<<8-1)),
	}
	for name, b := range refused {
		_, err := federated.Decode(b)
		require.Error(t, err, name)
		_, err = embedded.ParseBlob(b)
		require.Error(t, err, name)
	}
}

func TestOutputForEscapes(t *testing.T) {
	r := embedded.Result{Label: 2, Score: 42}
	require.Equal(t, `{"label":"high","score":42,"model":"mesh-embedded-v1"}`, string(r.Output()))
	for _, id := range []string{trainedID, `a"b\c`, "tab\there", "<&>", "ünï"} {
		var v struct{ Label, Model string }
		require.NoError(t, json.Unmarshal(r.OutputFor(id), &v), id)
		require.Equal(t, id, v.Model)
		require.Equal(t, "high", v.Label)
	}
	require.Equal(t, `{"label":"high","score":42,"model":"a\"b\\c"}`, string(r.OutputFor(`a"b\c`)))
}

// ipfs://<cid> weights URIs resolve through the configured gateway
// (<gateway>/ipfs/<cid>) and are verified by digest like http ones.
func TestLoadThroughIPFSGateway(t *testing.T) {
	ck := trained(t)
	srv := newBlobServer(t)
	blob := ck.Encode()
	d := hexDigest(blob)
	srv.mu.Lock()
	srv.blobs["/ipfs/bafycheckpoint"] = blob
	srv.mu.Unlock()
	b := newBackend(t, embedded.Options{IPFSGateway: srv.URL})
	spec := backends.ModelSpec{ID: trainedID, WeightsDigest: d, WeightsURI: "ipfs://bafycheckpoint"}
	m, err := b.LoadModel(context.Background(), spec)
	require.NoError(t, err)
	out, err := m.Infer(context.Background(), trainedID, []byte(inputs[0]))
	require.NoError(t, err)
	require.Equal(t, string(ck.Weights().Classify([]byte(inputs[0])).OutputFor(trainedID)), string(out))
}
