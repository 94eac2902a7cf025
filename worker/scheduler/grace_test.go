package scheduler

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/sidecar"
	"github.com/llmesh/mesh/worker/state"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// nodeHarness runs the scheduler with the real client against chaintest's
// node (epoch 1: commit window to height 10, reveal window to 20), so that
// the commit txs it broadcasts are counted where they would cost a fee.
type nodeHarness struct {
	node    *chaintest.Node
	client  *chain.Client
	sidecar abcitypes.SidecarClient // nil: sidecar off
	m       *health.Metrics
	s       *Scheduler
}

// newNodeHarness starts at height; with sidecarOn the scheduler publishes
// to a sidecar store served on loopback and holds commit txs for grace
// blocks.
func newNodeHarness(t *testing.T, height int64, sidecarOn bool, grace int64) *nodeHarness {
	t.Helper()
	chain.SetSDKConfig()
	enc, err := chain.NewEncoding()
	require.NoError(t, err)
	kr := keyring.NewInMemory(enc.Codec)
	_, _, err = chain.CreateKey(kr, chain.KeyName)
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := chain.Dial(chain.Config{GRPCAddr: lis.Addr().String(), ChainID: "mesh-local-1", Keyring: kr,
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, RequestTimeout: 2 * time.Second, Logger: discard})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	node, err := chaintest.New("mesh-local-1")
	require.NoError(t, err)
	node.AddAccount(client.Address())
	node.Serve(t, lis)
	node.SetHeight(height)

	store, err := state.Open(t.TempDir())
	require.NoError(t, err)
	h := &nodeHarness{node: node, client: client, m: health.NewMetrics()}
	var pending *sidecar.Store
	if sidecarOn {
		addr, err := chain.AddressCodec.StringToBytes(client.Address())
		require.NoError(t, err)
		pending = sidecar.NewStore(addr)
		h.sidecar = serveSidecar(t, pending)
	}
	h.s, err = New(Config{Chain: client, Backend: cpu.Backend{}, Store: store, Metrics: h.m, Logger: discard,
		Sidecar: pending, SidecarGrace: grace, Now: func() time.Time { return pinned }})
	require.NoError(t, err)
	return h
}

func (h *nodeHarness) step(t *testing.T) {
	t.Helper()
	require.NoError(t, h.s.Step(context.Background()))
}

// block makes the next block; with apply, meshd first carries what the
// sidecar answers for the current height in its vote extension, and the
// chain applies it before the block's txs. It returns how many
// commitments were applied.
func (h *nodeHarness) block(t *testing.T, apply bool) (applied int) {
	t.Helper()
	if apply {
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		res, err := h.sidecar.Commitments(ctx, &abcitypes.CommitmentsRequest{Height: h.node.Height()})
		require.NoError(t, err)
		h.node.Do(func(n *chaintest.Node) { applied = n.ApplyVoteExtension(res) })
	}
	h.node.Advance(1)
	return applied
}

func (h *nodeHarness) commitTxs() (n int) {
	h.node.Do(func(node *chaintest.Node) { n = node.CommitBroadcasts })
	return n
}

// revealAndPass moves past the commit window and steps until the verdict
// is counted.
func (h *nodeHarness) revealAndPass(t *testing.T) {
	t.Helper()
	h.node.SetHeight(11)
	h.step(t) // reveals
	h.node.Advance(1)
	h.step(t) // the verdict
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.node.Commitment(h.client.Address()).Outcome)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsRevealed))
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsPassed))
}

// (a) The validator's vote extension carries the root into the next block:
// the worker never broadcasts MsgCommitPoC, stops serving the root and
// reveals.
func TestGraceRootLandsFromTheVoteExtension(t *testing.T) {
	h := newNodeHarness(t, 1, true, 2)
	h.step(t) // proves, publishes, holds the tx
	require.Zero(t, h.commitTxs())
	require.Len(t, askPoC(t, h.sidecar, 1), 1)

	require.Equal(t, 1, h.block(t, true))
	h.step(t) // the commitment is on chain
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsCommitted))
	require.Empty(t, askPoC(t, h.sidecar, 0), "dropped once on chain")
	for range 3 {
		h.block(t, true)
		h.step(t)
	}
	h.revealAndPass(t)
	require.Zero(t, h.commitTxs(), "no commit tx: the extension carried it")
}

// (b) Nobody carries the root (the node does not call the sidecar, or its
// validator's extension is not in the commit): after the grace the worker
// broadcasts MsgCommitPoC itself, and the epoch passes.
func TestGraceCommitTxAfterTheGrace(t *testing.T) {
	h := newNodeHarness(t, 1, true, 2)
	h.step(t) // height 1: published, held
	h.block(t, false)
	h.step(t) // 2: held
	require.Zero(t, h.commitTxs())
	h.block(t, false)
	h.step(t) // 3: the grace is over
	require.Equal(t, 1, h.commitTxs())
	require.NotNil(t, h.node.Commitment(h.client.Address()))
	h.block(t, false)
	h.step(t)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsCommitted))
	require.Empty(t, askPoC(t, h.sidecar, 0))
	h.revealAndPass(t)
	require.Equal(t, 1, h.commitTxs(), "sent once")
}

// (c) The commit window is nearly over: no grace, the tx goes out at once;
// (d) without the sidecar, it always does (the grace is ignored).
func TestGraceCommitTxAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		height    int64
		sidecarOn bool
		grace     int64
	}{
		{"two blocks left, grace 2", 8, true, 2},
		{"one block left", 9, true, 2},
		{"five blocks left, grace 5", 5, true, 5},
		{"grace 0", 1, true, 0},
		{"sidecar off", 1, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newNodeHarness(t, tc.height, tc.sidecarOn, tc.grace)
			h.step(t)
			require.Equal(t, 1, h.commitTxs())
			require.NotNil(t, h.node.Commitment(h.client.Address()))
			h.block(t, false)
			h.step(t)
			h.revealAndPass(t)
			require.Equal(t, 1, h.commitTxs())
		})
	}
}

// The grace runs while the window has more than the grace left: held at
// 3 and 4 (7 and 6 blocks left), sent at 5 (5 left) before 5 blocks of
// grace have passed.
func TestGraceCutShortByTheWindow(t *testing.T) {
	h := newNodeHarness(t, 3, true, 5)
	h.step(t)
	h.block(t, false)
	h.step(t)
	require.Zero(t, h.commitTxs())
	h.block(t, false)
	h.step(t)
	require.Equal(t, 1, h.commitTxs())
	h.block(t, false)
	h.step(t)
	h.revealAndPass(t)
}
