package system

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// capacityView is the part of `meshd q compute worker` the capacity test reads.
type capacityView struct {
	Worker struct {
		Status        string `json:"status"`
		Passed        string `json:"passed"`
		Missed        string `json:"missed"`
		Frauds        string `json:"frauds"`
		VerifiedUnits int64  `json:"verified_units"`
		VerifiedGops  string `json:"verified_gops"`
		Spec          struct {
			Int8Gops string `json:"int8_gops"`
		} `json:"spec"`
	} `json:"worker"`
}

func (l *localnet) capacity(t *testing.T, addr string) capacityView {
	t.Helper()
	var w capacityView
	l.cli.RunJSON(t, &w, "q", "compute", "worker", addr, "--home", l.nodeHome(), "-o", "json")
	return w
}

func (l *localnet) computeEpoch(t *testing.T, worker string) int64 {
	t.Helper()
	var c challengeView
	l.cli.RunJSON(t, &c, "q", "compute", "challenge", worker, "--home", l.nodeHome(), "-o", "json")
	return atoi(c.Epoch)
}

// A capacity-bound epoch on the localnet (issue 17): `meshd-worker bench`
// measures this CPU; worker-3 then claims 10× that. Its challenge is sized
// from the claim, so it cannot commit before the commit window closes: it
// misses, loses its verified capacity and is jailed after max_missed, while
// the honest workers (1 GOPS claims, below what the CPU does) pass every
// epoch.
func TestCapacityBoundProofOfCompute(t *testing.T) {
	requireSystemTests(t)
	l := newLocalnet(t,
		"LOCALNET_BLOCK_TIME=500ms",
		"LOCALNET_COMPUTE_EPOCH=12s",
		"LOCALNET_COMMIT_WINDOW=8",
		"LOCALNET_REVEAL_WINDOW=8",
	)
	l.mustRun(t, "start")

	// What this machine proves, at the chain's shape.
	var bench struct {
		Backend     string  `json:"backend"`
		GOPS        float64 `json:"gops"`
		AdvisedGOPS uint64  `json:"advised_gops"`
	}
	out := l.cli.Worker(t, "bench", "--grpc", "127.0.0.1:"+l.grpcPort(), "--seconds", "2", "--json")
	require.NoError(t, jsonUnmarshal(out, &bench), out)
	require.Equal(t, "cpu", bench.Backend)
	require.Positive(t, bench.GOPS)
	require.LessOrEqual(t, float64(bench.AdvisedGOPS), bench.GOPS, "the advice keeps headroom")
	overClaim := uint64(math.Ceil(10 * bench.GOPS))
	t.Logf("bench: %.2f GOPS, advised claim %d; worker-3 claims %d", bench.GOPS, bench.AdvisedGOPS, overClaim)

	addr := func(i int) string {
		return strings.TrimSpace(l.cli.Worker(t, "address", "--home", filepath.Join(l.home, fmt.Sprintf("worker-%d", i))))
	}
	honest, cheat := addr(1), addr(3)

	// Everyone passes with the localnet's honest claim first.
	waitFor(t, "worker-1 and worker-3 to pass an epoch", 3*time.Minute, func() (bool, string) {
		h, c := l.capacity(t, honest), l.capacity(t, cheat)
		return atoi(h.Worker.Passed) >= 1 && atoi(c.Worker.Passed) >= 1 && c.Worker.VerifiedUnits > 0,
			fmt.Sprintf("passed %s / %s, worker-3 verified units %d", h.Worker.Passed, c.Worker.Passed, c.Worker.VerifiedUnits)
	})
	before := l.capacity(t, cheat)
	require.Positive(t, atoi(before.Worker.VerifiedGops), "a pass verifies the claimed GOPS")

	// worker-3 claims 10× its CPU.
	provider3 := strings.TrimSpace(l.cli.Run(t, "keys", "show", "provider-3", "-a", "--home", l.nodeHome()))
	l.tx(t, "compute", "update-worker", "--gops", strconv.FormatUint(overClaim, 10),
		"--from", "worker", "--keyring-dir", filepath.Join(l.home, "worker-3"), "--fee-granter", provider3)
	require.Equal(t, strconv.FormatUint(overClaim, 10), l.capacity(t, cheat).Worker.Spec.Int8Gops)
	start := l.computeEpoch(t, honest)
	honestStart := l.capacity(t, honest)

	// It misses until jailed; its verified capacity is gone.
	var c capacityView
	waitFor(t, "the over-claimer to be jailed for misses", 4*time.Minute, func() (bool, string) {
		c = l.capacity(t, cheat)
		return c.Worker.Status == "WORKER_STATUS_JAILED",
			fmt.Sprintf("status %s, missed %s, passed %s\nworker-3 log:\n%s", c.Worker.Status, c.Worker.Missed,
				c.Worker.Passed, tail(filepath.Join(l.home, "worker-3.log"), 10))
	})
	require.Equal(t, "0", orZero(c.Worker.Frauds), "it never committed a root, so there is nothing to find wrong")
	require.GreaterOrEqual(t, atoi(c.Worker.Missed)-atoi(before.Worker.Missed), int64(2))
	require.LessOrEqual(t, atoi(c.Worker.Passed)-atoi(before.Worker.Passed), int64(1),
		"at most the epoch already committed when the claim changed passes")
	require.Zero(t, c.Worker.VerifiedUnits)
	require.Equal(t, "0", orZero(c.Worker.VerifiedGops))
	require.Contains(t, readFile(t, filepath.Join(l.home, "worker-3.log")), "meshd-worker bench",
		"the worker tells its operator why it did not commit")

	// The honest worker passed every epoch meanwhile.
	end := l.computeEpoch(t, honest)
	h := l.capacity(t, honest)
	require.Equal(t, honestStart.Worker.Missed, h.Worker.Missed, "the honest worker missed no epoch")
	require.GreaterOrEqual(t, atoi(h.Worker.Passed)-atoi(honestStart.Worker.Passed), end-start-1,
		"epochs %d..%d", start, end)
	require.Positive(t, h.Worker.VerifiedUnits)
}
