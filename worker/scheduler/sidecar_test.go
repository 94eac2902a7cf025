package scheduler

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	"github.com/llmesh/mesh/worker/sidecar"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// workerBytes stands for the worker's account address in these tests.
var workerBytes = []byte("worker-address-20-by")

// withSidecar gives h's scheduler a sidecar store served on loopback and
// returns a client of it, as the validator's meshd would dial it.
// (Set after New: no grace, the commit tx goes out at once, as these
// tests want; see grace_test.go for the grace.)
func withSidecar(t *testing.T, h *harness) abcitypes.SidecarClient {
	store := sidecar.NewStore(workerBytes)
	h.s.cfg.Sidecar = store
	return serveSidecar(t, store)
}

// serveSidecar serves store on loopback and returns a client of it.
func serveSidecar(t *testing.T, store *sidecar.Store) abcitypes.SidecarClient {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, _, err := sidecar.Serve(ctx, "127.0.0.1:0", sidecar.NewServer(store, nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return abcitypes.NewSidecarClient(conn)
}

func askPoC(t *testing.T, c abcitypes.SidecarClient, height int64) []abcitypes.PoCCommitment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	res, err := c.Commitments(ctx, &abcitypes.CommitmentsRequest{Height: height})
	require.NoError(t, err)
	require.Empty(t, res.Results)
	return res.Poc
}

// landFromVoteExtension plays the chain applying the validator's vote
// extension: the root the sidecar answers becomes the worker's commitment.
func landFromVoteExtension(t *testing.T, c abcitypes.SidecarClient) func(f *fakeChain) {
	return func(f *fakeChain) {
		poc := askPoC(t, c, f.height)
		require.Len(t, poc, 1)
		f.commitment = &computetypes.Commitment{Worker: worker, Epoch: poc[0].Epoch, Root: poc[0].Root, Rows: uint32(f.d.M), Height: f.height + 1}
	}
}

// The root is served from the moment it is on disk until the commitment is
// seen on chain.
func TestSidecarServesRootUntilCommitted(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	c := withSidecar(t, h)
	require.Empty(t, askPoC(t, c, 10), "nothing pending")

	h.f.set(func(f *fakeChain) { f.dropCommits = 1 }) // our tx never lands
	h.step(t)
	rec, found, err := h.store.Get(5)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []abcitypes.PoCCommitment{{Worker: workerBytes, Epoch: 5, Root: rec.Root}}, askPoC(t, c, 10))

	h.f.set(landFromVoteExtension(t, c))
	h.step(t)
	require.Empty(t, askPoC(t, c, 11), "dropped once on chain")
	require.Equal(t, 1, h.f.commits)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsCommitted))
}

// A root whose commit window closed is no longer served.
func TestSidecarDropsRootWhenTheWindowCloses(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	c := withSidecar(t, h)
	h.f.set(func(f *fakeChain) { f.dropCommits = 10 })
	h.step(t)
	require.Len(t, askPoC(t, c, 0), 1)

	h.f.set(func(f *fakeChain) { f.height = 20 }) // commit_end: nothing lands any more
	h.step(t)
	require.Empty(t, askPoC(t, c, 0))
	poc, _ := h.s.cfg.Sidecar.Len()
	require.Zero(t, poc)
}

// The vote extension carried the root into the block before the worker's
// commit tx, which is refused as a duplicate (code 15): the worker takes
// the commitment for its own and reveals.
func TestCommitRefusedAsDuplicateStillReveals(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	c := withSidecar(t, h)
	h.f.set(func(f *fakeChain) { f.beforeCommit = landFromVoteExtension(t, c) })
	h.step(t) // proves, publishes; the commit is refused
	require.Equal(t, 1, h.f.commits)
	require.NotNil(t, h.f.commitment)
	require.Empty(t, h.st.Snapshot().LastError, "a duplicate is not an error")

	h.f.set(func(f *fakeChain) { f.height = 21 })
	h.step(t) // sees the commitment, reveals
	require.Equal(t, 1, h.f.reveals)
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.f.commitment.Outcome)
	h.step(t)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsCommitted))
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsPassed))
	require.Equal(t, 1, h.f.commits, "no resend")
}

// The same, with the next epoch already started when the worker next polls
// (no commit tx of ours ever landed): it still reveals the older epoch.
func TestCommitFromVoteExtensionRevealedInAnOlderEpoch(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.s.cfg.KeepEpochs = 1
	c := withSidecar(t, h)
	h.f.set(func(f *fakeChain) { f.beforeCommit = landFromVoteExtension(t, c) })
	h.step(t)
	rec, _, err := h.store.Get(5)
	require.NoError(t, err)
	require.Empty(t, rec.CommitTx, "no tx of ours")

	h.f.set(func(f *fakeChain) { f.height, f.beforeCommit = 21, nil })
	h.f.startEpoch(6, 31, 41)
	h.step(t)
	require.Equal(t, 1, h.f.reveals, "the reveal owed in epoch 5")
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.f.past[5].commitment.Outcome)
	h.step(t)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsPassed))
}
