package system

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	singleChainID = "mesh-system-1"
	denom         = "umesh"
	fees          = "2000" + denom
	feeAmount     = 2000
)

// keyInfo is `meshd keys add|show --output json`.
type keyInfo struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// singleNode is a one-validator chain created with the operator CLI flow.
type singleNode struct {
	*Node
	valAddr string
	// keyFlags address the node's home keyring and chain explicitly, as a
	// user would before configuring client.toml.
	keyFlags []string
}

// setupSingleNode creates a chain the way the docs tell an operator to:
// init, keys add, add-genesis-account, gentx, collect-gentxs, validate. The
// node listens on free loopback ports only.
func setupSingleNode(t *testing.T, cli *CLI) *singleNode {
	t.Helper()
	home := filepath.Join(t.TempDir(), "node")
	keyring := []string{"--keyring-backend", "test", "--home", home}

	cli.Run(t, "init", "sysnode", "--chain-id", singleChainID, "--home", home)

	var val keyInfo
	cli.RunJSON(t, &val, append([]string{"keys", "add", "validator", "--output", "json"}, keyring...)...)
	require.Regexp(t, `^mesh1[0-9a-z]+$`, val.Address)

	cli.Run(t, "genesis", "add-genesis-account", val.Address, "1000000000000"+denom, "--home", home)
	cli.Run(t, append([]string{"genesis", "gentx", "validator", "100000000" + denom, "--chain-id", singleChainID}, keyring...)...)
	cli.Run(t, "genesis", "collect-gentxs", "--home", home)
	cli.Run(t, "genesis", "validate", "--home", home)

	// Fast blocks keep the test short. pprof would listen on a fixed port
	// (localhost:6060), which parallel runs would fight over.
	cfg := filepath.Join(home, "config", "config.toml")
	// `meshd init` writes meshd's 1 s block time (the SDK would write 5 s).
	initial, err := os.ReadFile(cfg)
	require.NoError(t, err)
	require.Contains(t, string(initial), "\ntimeout_commit = \"1s\"\n")
	setTOML(t, cfg, "timeout_commit", `"500ms"`)
	setTOML(t, cfg, "pprof_laddr", `""`)

	ports := freePorts(t, 4)
	rpc, p2p, grpc, api := ports[0], ports[1], ports[2], ports[3]
	node := NewNode(t, cli, "sysnode", home, rpc,
		"--rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", rpc),
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", grpc),
		"--api.address", fmt.Sprintf("tcp://127.0.0.1:%d", api),
	)
	return &singleNode{
		Node:     node,
		valAddr:  val.Address,
		keyFlags: append([]string{"--chain-id", singleChainID, "--node", node.RPC()}, keyring...),
	}
}

// TestSingleNodeCLI runs one validator and exercises the CLI against it:
// a bank send with exact balance accounting, client.toml under --home, and
// a graceful SIGTERM shutdown.
func TestSingleNodeCLI(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	cli := NewCLI(t)
	sn := setupSingleNode(t, cli)

	sn.Start(t)
	sn.WaitForHeight(t, 2, waitTimeout)
	t.Logf("node up at height >= 2 after %s", time.Since(start).Round(time.Millisecond))

	t.Run("bank send", func(t *testing.T) {
		var recipient keyInfo
		cli.RunJSON(t, &recipient, "keys", "add", "recipient", "--output", "json",
			"--keyring-backend", "test", "--home", sn.Home)

		const amount = 1_234_567
		senderBefore := cli.Balance(t, sn.valAddr, denom, "--node", sn.RPC())
		require.Zero(t, cli.Balance(t, recipient.Address, denom, "--node", sn.RPC()))

		res := cli.SubmitTx(t, append([]string{"tx", "bank", "send", "validator", recipient.Address,
			strconv.Itoa(amount) + denom, "--fees", fees}, sn.keyFlags...), "--node", sn.RPC())
		t.Logf("send included at height %s", res.Height)

		require.EqualValues(t, amount, cli.Balance(t, recipient.Address, denom, "--node", sn.RPC()),
			"recipient must hold exactly the amount sent")
		require.EqualValues(t, amount+feeAmount, senderBefore-cli.Balance(t, sn.valAddr, denom, "--node", sn.RPC()),
			"sender must lose exactly amount + fee")
	})

	t.Run("client config under --home", func(t *testing.T) {
		testClientConfigHome(t, cli, sn)
	})

	// SIGTERM is how process managers stop a node: it must shut down cleanly
	// and promptly.
	err := sn.Stop(t, syscall.SIGTERM, 60*time.Second)
	require.NoError(t, err, "meshd should exit with status 0 on SIGTERM, got %s", describeExit(err))
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// testClientConfigHome covers the wasmd --home pitfall: values written with
// `meshd config set client ... --home H` must be what commands run with only
// --home H use, never those of the default home ~/.meshd. A decoy client.toml
// in ~/.meshd points at a dead node, a wrong chain-id and the os keyring, so
// any command that reads the default home instead of H fails.
func testClientConfigHome(t *testing.T, cli *CLI, sn *singleNode) {
	// The decoy, in the default home of the child processes.
	deadNode := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
	decoyDir := filepath.Join(cli.UserHome, ".meshd", "config")
	require.NoError(t, os.MkdirAll(decoyDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(decoyDir, "client.toml"), []byte(fmt.Sprintf(
		"chain-id = \"wrong-chain\"\nkeyring-backend = \"os\"\nkeyring-default-keyname = \"\"\n"+
			"output = \"text\"\nnode = %q\nbroadcast-mode = \"sync\"\n", deadNode)), 0o644))
	// Control: without --home the decoy is in force, so the checks below
	// would fail if --home were ignored.
	_, _, err := cli.Exec("status")
	require.Error(t, err, "`meshd status` without --home should use the decoy's dead node")

	// A client-only home, as on a wallet machine: nothing but client.toml
	// and a keyring. chain-id goes first: confix validates the whole file
	// on every set and rejects an empty chain-id.
	h := filepath.Join(t.TempDir(), "client")
	cli.Run(t, "config", "set", "client", "chain-id", singleChainID, "--home", h)
	cli.Run(t, "config", "set", "client", "keyring-backend", "test", "--home", h)
	cli.Run(t, "config", "set", "client", "node", sn.RPC(), "--home", h)

	// keyring-backend: keys land in H's test keyring and are listed from it.
	var carol keyInfo
	cli.RunJSON(t, &carol, "keys", "add", "carol", "--output", "json", "--home", h)
	require.DirExists(t, filepath.Join(h, "keyring-test"), "keys add must use the test backend under --home")
	var listed []keyInfo
	cli.RunJSON(t, &listed, "keys", "list", "--output", "json", "--home", h)
	require.Len(t, listed, 1)
	require.Equal(t, carol.Address, listed[0].Address)

	// node: status and queries reach our node.
	var st NodeStatus
	cli.RunJSON(t, &st, "status", "--home", h)
	require.Equal(t, singleChainID, st.NodeInfo.Network)
	direct, err := sn.Status()
	require.NoError(t, err)
	require.Equal(t, direct.NodeInfo.ID, st.NodeInfo.ID, "`status --home` must reach the configured node")

	const funding = 50_000
	cli.SubmitTx(t, append([]string{"tx", "bank", "send", "validator", carol.Address,
		strconv.Itoa(funding) + denom, "--fees", fees}, sn.keyFlags...), "--node", sn.RPC())
	require.EqualValues(t, funding, cli.Balance(t, carol.Address, denom, "--home", h))

	// chain-id too: a tx signed for the decoy's chain-id would be rejected.
	const back = 1_000
	validatorBefore := cli.Balance(t, sn.valAddr, denom, "--home", h)
	res := cli.SubmitTx(t, []string{"tx", "bank", "send", "carol", sn.valAddr,
		strconv.Itoa(back) + denom, "--fees", fees, "--home", h}, "--home", h)
	require.NotEmpty(t, res.TxHash)
	require.EqualValues(t, funding-back-feeAmount, cli.Balance(t, carol.Address, denom, "--home", h))
	require.EqualValues(t, back, cli.Balance(t, sn.valAddr, denom, "--home", h)-validatorBefore)
}
