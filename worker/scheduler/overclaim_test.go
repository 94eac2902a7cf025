package scheduler

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/state"
	"github.com/llmesh/mesh/x/compute/poc"
)

// syncBuffer is a log sink safe for the scheduler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stuckBackend stands for a machine too slow for its challenge: it proves
// until its context ends.
type stuckBackend struct {
	started, cancelled chan struct{}
	once               sync.Once
}

func (b *stuckBackend) Name() string { return "cpu" }

func (b *stuckBackend) ProvePoC(ctx context.Context, _ []byte, _ poc.Dims) ([][]byte, error) {
	b.once.Do(func() { close(b.started) })
	<-ctx.Done()
	close(b.cancelled)
	return nil, ctx.Err()
}

// renamed is a backend under another name (an "exec" that computes on the CPU).
type renamed struct {
	backends.PoC
	name string
}

func (r renamed) Name() string { return r.name }

type chainHarness struct {
	node   *chaintest.Node
	client *chain.Client
	store  *state.Store
	m      *health.Metrics
	st     *health.Status
	logs   *syncBuffer
	s      *Scheduler
}

func newChainHarness(t *testing.T, backend backends.PoC, opts ...func(*Config)) *chainHarness {
	t.Helper()
	chain.SetSDKConfig()
	enc, err := chain.NewEncoding()
	require.NoError(t, err)
	kr := keyring.NewInMemory(enc.Codec)
	_, _, err = chain.CreateKey(kr, chain.KeyName)
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &chainHarness{m: health.NewMetrics(), st: health.NewStatus("", backend.Name()), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, nil))
	h.client, err = chain.Dial(chain.Config{GRPCAddr: lis.Addr().String(), ChainID: "mesh-local-1", Keyring: kr,
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, RequestTimeout: 2 * time.Second, Logger: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.client.Close() })
	h.node, err = chaintest.New("mesh-local-1")
	require.NoError(t, err)
	h.node.AddAccount(h.client.Address())
	h.node.Serve(t, lis)
	h.node.SetHeight(2) // epoch 1, commit window to 10
	h.store, err = state.Open(t.TempDir())
	require.NoError(t, err)
	cfg := Config{Chain: h.client, Backend: backend, Store: h.store, Metrics: h.m, Status: h.st, Logger: log,
		PollInterval: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Now: func() time.Time { return pinned }}
	for _, o := range opts {
		o(&cfg)
	}
	h.s, err = New(cfg)
	require.NoError(t, err)
	return h
}

func (h *chainHarness) commitBroadcasts() int {
	var n int
	h.node.Do(func(node *chaintest.Node) { n = node.CommitBroadcasts })
	return n
}

// TestOverclaimAbandonsProof: a challenge still proving when the height
// reaches commit_end is cancelled, nothing is saved or committed, and one
// warning and one count say the claim is too large.
func TestOverclaimAbandonsProof(t *testing.T) {
	be := &stuckBackend{started: make(chan struct{}), cancelled: make(chan struct{})}
	h := newChainHarness(t, be)
	// A challenge the size a large claim gets (the backend never finishes it).
	e := chaintest.Epoch{Number: 1, Start: 1, Seed: []byte("epoch-1"), SampleSeed: []byte("sample-1"), CommitEnd: 10, RevealEnd: 20,
		Dims: poc.Dims{M: 1 << 22, N: 256, P: 64}, K: 4}
	h.node.SetEpoch(e)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	select {
	case <-be.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not start proving")
	}
	h.node.SetHeight(9) // still open: proving goes on
	time.Sleep(50 * time.Millisecond)
	select {
	case <-be.cancelled:
		t.Fatal("proof cancelled while the commit window was open")
	default:
	}
	h.node.SetHeight(10) // commit_end: a commit can no longer land
	select {
	case <-be.cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the proof was not cancelled when the commit window closed")
	}
	require.Eventually(t, func() bool { return testutil.ToFloat64(h.m.PoCOverclaims) == 1 }, 10*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // more polls: the epoch is not tried or warned about again

	require.Nil(t, h.node.Commitment(h.client.Address()))
	require.Zero(t, h.commitBroadcasts())
	_, found, err := h.store.Get(1)
	require.NoError(t, err)
	require.False(t, found, "nothing saved for an abandoned proof")
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.PoCOverclaims))

	logs := h.logs.String()
	want := regexp.MustCompile("level=WARN msg=\"epoch 1: challenge of 4194304 rows \\(6\\.872e\\+10 MACs\\) not proven before the commit window " +
		"closed at height 10: the claim of \\d+ (GOPS|compute units) is above this machine's capacity; run `meshd-worker bench`\"")
	require.Regexp(t, want, logs)
	require.Len(t, want.FindAllString(logs, -1), 1, "warned once")
	require.NotContains(t, logs, "skipping epoch")
	require.Contains(t, h.st.Snapshot().LastError, "not proven before the commit window closed")
}

// TestOverclaimBeyondMemoryIsNotAttempted: a challenge whose rows and tree
// exceed MaxProofBytes (--poc-max-memory-mb) is never started — a claim of
// GPU size under the default shape would otherwise allocate terabytes —
// nothing is committed, and it is warned about and counted once.
func TestOverclaimBeyondMemoryIsNotAttempted(t *testing.T) {
	be := &stuckBackend{started: make(chan struct{}), cancelled: make(chan struct{})}
	h := newChainHarness(t, be, func(c *Config) { c.MaxProofBytes = 1 << 30 })
	d := poc.Dims{M: 1 << 24, N: 256, P: 64} // 16.8 M rows: 5 GiB
	require.Equal(t, uint64(5<<30), ProofBytes(d))
	h.node.SetEpoch(chaintest.Epoch{Number: 1, Start: 1, Seed: []byte("epoch-1"), SampleSeed: []byte("sample-1"), CommitEnd: 10,
		RevealEnd: 20, Dims: d, K: 4})
	for i := 0; i < 5; i++ {
		require.NoError(t, h.s.Step(context.Background()))
	}
	select {
	case <-be.started:
		t.Fatal("a proof beyond the memory cap was started")
	default:
	}
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.PoCOverclaims))
	require.Zero(t, h.commitBroadcasts())
	want := regexp.MustCompile("epoch 1: challenge of 16777216 rows \\(2\\.749e\\+11 MACs\\) needs 5120 MiB of memory for its rows and tree, " +
		"above --poc-max-memory-mb 1024: the claim of \\d+ (GOPS|compute units) is above this machine's capacity")
	require.Len(t, want.FindAllString(h.logs.String(), -1), 1, "warned once:\n%s", h.logs.String())
}

// TestSizedBackendPerEpoch: with an exec backend the challenge's size
// picks the backend, and the log says which proved the epoch.
func TestSizedBackendPerEpoch(t *testing.T) {
	exec := renamed{PoC: cpu.Backend{}, name: "exec"}
	// chaintest's challenge: 64×32×8 = 16384 MACs.
	for _, tc := range []struct {
		minMACs float64
		want    string
	}{{backends.DefaultMinLargeMACs, "cpu"}, {16384, "exec"}} {
		h := newChainHarness(t, backends.Sized{Small: cpu.Backend{}, Large: exec, MinMACs: tc.minMACs})
		require.NoError(t, h.s.Step(context.Background()))
		require.NotNil(t, h.node.Commitment(h.client.Address()))
		logs := h.logs.String()
		require.Contains(t, logs, "msg=proving epoch=1 m=64 n=32 p=8 macs=1.638e+04 backend="+tc.want+"\n")
		require.Regexp(t, "msg=\"proof ready\" epoch=1 backend="+tc.want+" ", logs)
		require.Equal(t, 1, strings.Count(logs, "msg=proving"))
	}
}
