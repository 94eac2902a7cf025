package system

import (
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFourValidatorsLivenessAndRecovery runs the network `meshd testnet
// init-files` writes: four equal validators on one host. With one of them
// SIGKILLed the other three hold 75% > 2/3 of the power and must keep
// committing; restarted on the same home, the killed one must replay, catch
// up and follow the chain again.
func TestFourValidatorsLivenessAndRecovery(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	const numVals = 4
	const chainID = "mesh-system-4"
	cli := NewCLI(t)

	base := freePortBlock(t, numVals*10)
	out := filepath.Join(t.TempDir(), "testnet")
	cli.Run(t, "testnet", "init-files", "--v", strconv.Itoa(numVals), "-o", out,
		"--chain-id", chainID, "--base-port", strconv.Itoa(base), "--commit-timeout", "500ms")

	nodes := make([]*Node, numVals)
	for i := range nodes {
		name := fmt.Sprintf("node%d", i)
		// init-files: node i's RPC is base+10i+1.
		nodes[i] = NewNode(t, cli, name, filepath.Join(out, name, "meshd"), base+10*i+1)
		nodes[i].Start(t)
	}
	WaitAllForHeight(t, nodes, 3, waitTimeout)
	t.Logf("all %d validators at height >= 3 after %s", numVals, time.Since(start).Round(time.Millisecond))

	// init-files points each node's client.toml at its own RPC, so plain
	// `meshd status --home nodeN/meshd` must reach node N.
	for _, n := range nodes {
		var st NodeStatus
		cli.RunJSON(t, &st, "status", "--home", n.Home)
		require.Equal(t, n.Name, st.NodeInfo.Moniker)
		require.Equal(t, chainID, st.NodeInfo.Network)
	}

	live, victim := nodes[:numVals-1], nodes[numVals-1]
	err := victim.Stop(t, syscall.SIGKILL, 30*time.Second)
	require.Error(t, err, "a SIGKILLed node cannot exit cleanly")
	killedAt := MaxHeight(live)
	t.Logf("SIGKILLed %s at network height %d", victim.Name, killedAt)

	// Liveness without the victim: every remaining validator commits 3 more
	// blocks (rounds the victim should propose time out, hence the slack).
	WaitAllForHeight(t, live, killedAt+3, waitTimeout)
	t.Logf("3 validators reached height %d after %s", killedAt+3, time.Since(start).Round(time.Millisecond))

	// Recovery: same home, same keys; it replays and block-syncs.
	victim.Start(t)
	var caughtUp int64
	waitFor(t, victim.Name+" to catch up to within 2 blocks", waitTimeout, func() (bool, string) {
		if gone, err := victim.exited(); gone {
			t.Fatalf("%s exited after restart: %s", victim.Name, describeExit(err))
		}
		h, err := victim.Height()
		if err != nil {
			return false, err.Error()
		}
		top := MaxHeight(live)
		caughtUp = h
		return h > killedAt && h >= top-2, fmt.Sprintf("%s at %d, others at %d", victim.Name, h, top)
	})
	t.Logf("%s caught up at height %d after %s", victim.Name, caughtUp, time.Since(start).Round(time.Millisecond))

	// ... and keeps following the chain, as do the others.
	victim.WaitForHeight(t, caughtUp+3, waitTimeout)
	WaitAllForHeight(t, live, caughtUp+3, waitTimeout)
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
