package system

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ceremony runs networks/testnet/ceremony.sh with the test's meshd and env.
func ceremony(t *testing.T, cli *CLI, env []string, args ...string) string {
	t.Helper()
	root, err := repoRoot()
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(root, "networks", "testnet", "ceremony.sh"), args...)
	cmd.Env = append(append(cli.env(), "MESHD="+cli.bin()), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ceremony.sh %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

// TestTestnetCeremonyAndStateSync runs the public-testnet kit the way its
// README tells operators to, on loopback: a coordinator's pre-genesis, three
// validators' gentxs from separate homes, the collected genesis, each
// validator configured with the others as persistent peers; the three make
// blocks together. Then a fourth node joins by state sync from their
// snapshots, without replaying the chain from genesis.
func TestTestnetCeremonyAndStateSync(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	cli := NewCLI(t)
	const numVals = 3
	base := freePortBlock(t, 10*(numVals+1))
	dir := filepath.Join(t.TempDir(), "testnet")
	// Snapshots every 5 blocks, kept long enough (20) for the joiner to fetch one.
	env := []string{"TESTNET_SNAPSHOT_INTERVAL=5", "TESTNET_SNAPSHOT_KEEP=20", "TESTNET_TRUST_OFFSET=2"}
	ceremony(t, cli, env, "rehearse", strconv.Itoa(numVals), dir, strconv.Itoa(base))

	genesis := filepath.Join(dir, "genesis.json")
	var gen struct {
		ChainID  string `json:"chain_id"`
		AppState struct {
			Genutil struct {
				GenTxs []struct {
					Body struct {
						Memo string `json:"memo"`
					} `json:"body"`
				} `json:"gen_txs"`
			} `json:"genutil"`
		} `json:"app_state"`
	}
	bz, err := os.ReadFile(genesis)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(bz, &gen))
	require.Equal(t, "mesh-testnet-1", gen.ChainID)
	require.Len(t, gen.AppState.Genutil.GenTxs, numVals)
	var peers []string
	for _, tx := range gen.AppState.Genutil.GenTxs {
		require.Regexp(t, `^[0-9a-f]{40}@127\.0\.0\.1:\d+$`, tx.Body.Memo)
		peers = append(peers, tx.Body.Memo)
	}

	nodes := make([]*Node, numVals)
	for i := range nodes {
		home := filepath.Join(dir, fmt.Sprintf("val%d", i))
		got, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		require.NoError(t, err)
		require.Equal(t, string(bz), string(got), "val%d runs the published genesis", i)
		nodes[i] = NewNode(t, cli, fmt.Sprintf("val%d", i), home, base+10*i)
		nodes[i].Start(t)
	}
	WaitAllForHeight(t, nodes, 3, waitTimeout)
	var vals struct {
		Validators []struct {
			Status string `json:"status"`
		} `json:"validators"`
	}
	cli.RunJSON(t, &vals, "q", "staking", "validators", "--node", nodes[0].RPC(), "-o", "json")
	require.Len(t, vals.Validators, numVals)
	for _, v := range vals.Validators {
		require.Equal(t, "BOND_STATUS_BONDED", v.Status)
	}
	t.Logf("%d validators from %d gentxs make blocks after %s", numVals, numVals, time.Since(start).Round(time.Second))

	// Snapshots at heights 5 and 10 exist once the chain passes 11.
	WaitAllForHeight(t, nodes, 12, waitTimeout)
	full := filepath.Join(dir, "full")
	rpc := fmt.Sprintf("http://127.0.0.1:%d", base)
	ceremony(t, cli, env, "join", full, "full", genesis, strings.Join(peers, ","), rpc)
	ceremony(t, cli, env, "local-ports", full, strconv.Itoa(base+10*numVals))
	joiner := NewNode(t, cli, "full", full, base+10*numVals)
	joiner.Start(t)
	target := MaxHeight(nodes)
	joiner.WaitForHeight(t, target, waitTimeout)
	waitFor(t, "full to finish catching up", waitTimeout, func() (bool, string) {
		st, err := joiner.Status()
		return err == nil && !st.SyncInfo.CatchingUp, fmt.Sprintf("%+v %v", st.SyncInfo, err)
	})
	earliest := earliestHeight(t, joiner)
	require.Greater(t, earliest, int64(1), "a state-synced node has no blocks before its snapshot")
	logBz, err := os.ReadFile(joiner.logPath)
	require.NoError(t, err)
	require.Contains(t, string(logBz), "Snapshot restored")
	// It follows the chain: its latest block is the validators' block.
	h, err := joiner.Height()
	require.NoError(t, err)
	require.Equal(t, blockHash(t, nodes[0], h), blockHash(t, joiner, h))
	t.Logf("full node state-synced (earliest block %d) and followed to %d after %s", earliest, h, time.Since(start).Round(time.Second))
}

// earliestHeight is /status's earliest_block_height: the first block the node
// stores.
func earliestHeight(t *testing.T, n *Node) int64 {
	t.Helper()
	var st struct {
		Result struct {
			SyncInfo struct {
				Earliest string `json:"earliest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	getRPC(t, n, "/status", &st)
	h, err := strconv.ParseInt(st.Result.SyncInfo.Earliest, 10, 64)
	require.NoError(t, err)
	return h
}

// blockHash is the hash of block height on node n.
func blockHash(t *testing.T, n *Node, height int64) string {
	t.Helper()
	var b struct {
		Result struct {
			BlockID struct {
				Hash string `json:"hash"`
			} `json:"block_id"`
		} `json:"result"`
	}
	getRPC(t, n, fmt.Sprintf("/block?height=%d", height), &b)
	require.NotEmpty(t, b.Result.BlockID.Hash)
	return b.Result.BlockID.Hash
}

// getRPC decodes the JSON of a CometBFT RPC GET on n.
func getRPC(t *testing.T, n *Node, path string, v any) {
	t.Helper()
	resp, err := rpcClient.Get(fmt.Sprintf("http://127.0.0.1:%d%s", n.RPCPort, path))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s", path)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
