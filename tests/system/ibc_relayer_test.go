package system

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The IBC system test: two meshd chains on loopback, the Go relayer (rly)
// between them, and the serving chain's workers answering inference paid
// for over ICS-20.
//
//	scripts/build-relayer.sh   # build/tools/rly, ~3 min with a cold build cache (the test runs it if missing)
//	MESHD_BIN=$PWD/build/meshd go test -count=1 ./tests/system/ -run TestIBCRelayer -v
//
// RLY_BIN names another relayer binary; MESHD_SKIP_RELAYER=1 skips the test
// (for a developer without the time to build rly; CI never sets it).

const (
	// ibcSourceChainID plays Injective: a second meshd whose user holds an
	// 18-decimal denom.
	ibcSourceChainID = "inj-local-1"
	// ibcServingChainID is the localnet's chain id (networks/local/localnet.env).
	ibcServingChainID = "mesh-local-1"
	injDenom          = "inj"
	// injGenesis is the source user's balance: 5,000 INJ of 10^18 base units.
	injGenesis = "5000000000000000000000"
	// oneINJ is 10^18 base units.
	oneINJ = "1000000000000000000"
	// ibcModel is the serving chain's model, priced in umesh and, by this
	// test's genesis, in the INJ voucher.
	ibcModel = "mesh-embedded-v1"
	// ibcModelPrice is its price per assigned worker: 0.001 INJ.
	ibcModelPrice = "1000000000000000"
	// ibcPathName is the relayer's path between the two chains.
	ibcPathName = "inj-mesh"
	// ibcChannel is the transfer channel's id on both chains: `rly tx link`
	// opens the first channel of two fresh chains.
	ibcChannel = "channel-0"
	// ibcGasPrices is both chains' minimum gas price (the localnet's).
	ibcGasPrices = "0.0025umesh"
)

// voucherDenom is the ICS-20 denom of base arriving over port/channel:
// "ibc/" + upper-case hex SHA-256 of the trace path "port/channel/base".
func voucherDenom(port, channel, base string) string {
	sum := sha256.Sum256([]byte(port + "/" + channel + "/" + base))
	return "ibc/" + strings.ToUpper(hex.EncodeToString(sum[:]))
}

// relayerBinary finds rly: $RLY_BIN, else build/tools/rly, which it builds
// with scripts/build-relayer.sh when missing. A relayer that cannot be built
// fails the test: in CI a silent skip would hide the whole IBC path.
func relayerBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv("MESHD_SKIP_RELAYER") == "1" {
		t.Skip("MESHD_SKIP_RELAYER=1: skipping the relayer test (build rly with scripts/build-relayer.sh to run it)")
	}
	root, err := repoRoot()
	require.NoError(t, err)
	if p := os.Getenv("RLY_BIN"); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		_, err := os.Stat(p)
		require.NoError(t, err, "RLY_BIN")
		return p
	}
	p := filepath.Join(root, "build", "tools", "rly")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Logf("%s not found: building it with scripts/build-relayer.sh (about 3 minutes with a cold build cache)", p)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-relayer.sh"))
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "scripts/build-relayer.sh (set MESHD_SKIP_RELAYER=1 to skip this test locally):\n%s", out.String())
	return p
}

// ---------------------------------------------------------------------------
// Big balances: 18-decimal amounts do not fit in int64.

func bigInt(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	require.True(t, ok, "not an integer: %q", s)
	return n
}

// bigBalance is addr's balance of denom as a big integer; flags say which
// node to ask.
func bigBalance(t *testing.T, cli *CLI, addr, denom string, flags ...string) *big.Int {
	t.Helper()
	var res struct {
		Balances []struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"balances"`
	}
	cli.RunJSON(t, &res, append([]string{"q", "bank", "balances", addr, "-o", "json"}, flags...)...)
	for _, b := range res.Balances {
		if b.Denom == denom {
			return bigInt(t, b.Amount)
		}
	}
	return new(big.Int)
}

// waitBigBalance waits until addr holds exactly want of denom.
func waitBigBalance(t *testing.T, cli *CLI, what, addr, denom string, want *big.Int, flags ...string) {
	t.Helper()
	waitEvery(t, what, waitTimeout, func() (bool, string) {
		got := bigBalance(t, cli, addr, denom, flags...)
		return got.Cmp(want) == 0, fmt.Sprintf("%s %s, want %s", got, denom, want)
	}, time.Second)
}

// ---------------------------------------------------------------------------
// The source chain

// sourceChain is a one-validator meshd playing Injective: chain id
// inj-local-1, a user holding injGenesis inj, a funded relayer key.
type sourceChain struct {
	*Node
	user, relayerMnemonic string
	// flags address the chain's keyring and node from the CLI.
	flags []string
}

func setupSourceChain(t *testing.T, cli *CLI) *sourceChain {
	t.Helper()
	home := filepath.Join(t.TempDir(), "inj")
	keyring := []string{"--keyring-backend", "test", "--home", home}
	cli.Run(t, "init", "inj", "--chain-id", ibcSourceChainID, "--home", home)

	type key struct {
		Address  string `json:"address"`
		Mnemonic string `json:"mnemonic"`
	}
	var val, user, rly key
	cli.RunJSON(t, &val, append([]string{"keys", "add", "validator", "--output", "json"}, keyring...)...)
	cli.RunJSON(t, &user, append([]string{"keys", "add", "user", "--output", "json"}, keyring...)...)
	cli.RunJSON(t, &rly, append([]string{"keys", "add", "relayer", "--output", "json"}, keyring...)...)
	require.NotEmpty(t, rly.Mnemonic)
	cli.Run(t, "genesis", "add-genesis-account", val.Address, "1000000000000umesh", "--home", home)
	cli.Run(t, "genesis", "add-genesis-account", user.Address, injGenesis+injDenom+",1000000000000umesh", "--home", home)
	cli.Run(t, "genesis", "add-genesis-account", rly.Address, "1000000000000umesh", "--home", home)
	cli.Run(t, append([]string{"genesis", "gentx", "validator", "100000000umesh", "--chain-id", ibcSourceChainID}, keyring...)...)
	cli.Run(t, "genesis", "collect-gentxs", "--home", home)
	cli.Run(t, "genesis", "validate", "--home", home)
	cli.Run(t, "config", "set", "app", "minimum-gas-prices", ibcGasPrices, "--home", home)
	// pprof would listen on a fixed port (localhost:6060).
	setTOML(t, filepath.Join(home, "config", "config.toml"), "pprof_laddr", `""`)

	ports := freePorts(t, 4)
	node := NewNode(t, cli, "inj", home, ports[0],
		"--rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]),
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", ports[1]),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", ports[2]),
		"--api.address", fmt.Sprintf("tcp://127.0.0.1:%d", ports[3]),
	)
	return &sourceChain{
		Node: node, user: user.Address, relayerMnemonic: rly.Mnemonic,
		flags: append([]string{"--chain-id", ibcSourceChainID, "--node", node.RPC()}, keyring...),
	}
}

// transfer sends an ICS-20 transfer from the source's user over channel-0
// (memo may be empty) and returns the tx and the packet's sequence.
func (s *sourceChain) transfer(t *testing.T, cli *CLI, receiver, amount, memo string) (TxResponse, string) {
	t.Helper()
	args := []string{"tx", "ibc-transfer", "transfer", "transfer", ibcChannel, receiver, amount,
		"--from", "user", "--gas", "400000", "--fees", "1000umesh"}
	if memo != "" {
		args = append(args, "--memo", memo)
	}
	res := cli.SubmitTx(t, append(args, s.flags...), "--node", s.RPC())
	var seq string
	for _, ev := range txEventsAt(t, cli, res.TxHash, "--node", s.RPC()) {
		if ev.Type == "send_packet" {
			seq = ev.attr("packet_sequence")
		}
	}
	require.NotEmpty(t, seq, "send_packet event in tx %s", res.TxHash)
	return res, seq
}

// ackResult is what the source chain saw when the acknowledgement of one of
// its packets was relayed back.
type ackResult struct {
	Height int64
	// Success is the acknowledgement's result bytes (the "success" attribute
	// of the result-only fungible_token_packet event); empty on an error ack.
	Success string
	// Error is the error acknowledgement's text; empty on success.
	Error string
}

// waitAck waits for the MsgAcknowledgement of packet seq on channel-0 in a
// source block and returns what its transfer events say.
func (s *sourceChain) waitAck(t *testing.T, cli *CLI, seq string, timeout time.Duration) ackResult {
	t.Helper()
	query := fmt.Sprintf("acknowledge_packet.packet_sequence='%s' AND acknowledge_packet.packet_src_channel='%s'", seq, ibcChannel)
	var found struct {
		Txs []struct {
			Height string      `json:"height"`
			TxHash string      `json:"txhash"`
			Code   uint32      `json:"code"`
			Events []abciEvent `json:"events"`
		} `json:"txs"`
	}
	waitEvery(t, "the acknowledgement of packet "+seq+" on "+ibcSourceChainID, timeout, func() (bool, string) {
		out, stderr, err := cli.Exec("q", "txs", "--query", query, "-o", "json", "--node", s.RPC())
		if err != nil {
			return false, lastLine(stderr)
		}
		found.Txs = nil
		if err := jsonUnmarshal(out, &found); err != nil {
			return false, "bad JSON: " + out
		}
		for _, tx := range found.Txs {
			if tx.Code == 0 {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d txs, none succeeded", len(found.Txs))
	}, time.Second)
	for _, tx := range found.Txs {
		if tx.Code != 0 {
			continue
		}
		h, err := strconv.ParseInt(tx.Height, 10, 64)
		require.NoError(t, err)
		// A relayer tx may carry several messages; the ack's transfer events
		// share its acknowledge_packet's msg_index.
		idx := ""
		for _, ev := range tx.Events {
			if ev.Type == "acknowledge_packet" && ev.attr("packet_sequence") == seq {
				idx = ev.attr("msg_index")
			}
		}
		res := ackResult{Height: h}
		for _, ev := range tx.Events {
			if ev.Type != "fungible_token_packet" || ev.has("receiver") || ev.attr("msg_index") != idx {
				continue
			}
			if ev.has("success") {
				res.Success = ev.attr("success")
			}
			if ev.has("error") {
				res.Error = ev.attr("error")
			}
		}
		return res
	}
	t.Fatal("unreachable")
	return ackResult{}
}

// ---------------------------------------------------------------------------
// The serving chain

// ibcGenesisJQ adds the INJ voucher to the localnet's genesis: listed in
// x/inference's fee_denoms and as a second price of the embedded model
// (x/inference has no conversion between denoms; see its README, "Fee
// denom").
const ibcGenesisJQ = `
.app_state.inference.params.fee_denoms = ((.app_state.inference.params.fee_denoms // []) + [$denom])
| .app_state.inference.models |= map(
    if .id == $model then .prices = (.prices + [{"denom": $denom, "amount": $price}] | sort_by(.denom)) else . end)
`

// servingMeshd writes a meshd wrapper for scripts/localnet.sh: before the
// script's `genesis validate` (right after it applied
// networks/local/genesis.jq) it applies ibcGenesisJQ, then it runs the real
// meshd. The localnet (workers, providers, keys) is then exactly `make
// localnet`'s, with the voucher's price added.
func servingMeshd(t *testing.T, voucher string) string {
	t.Helper()
	dir := t.TempDir()
	jq := filepath.Join(dir, "ibc-genesis.jq")
	require.NoError(t, os.WriteFile(jq, []byte(ibcGenesisJQ), 0o644))
	script := fmt.Sprintf(`#!/usr/bin/env bash
set -euo pipefail
if [[ ${1:-} == genesis && ${2:-} == validate ]]; then
  home="" prev=""
  for a in "$@"; do [[ $prev == --home ]] && home=$a; prev=$a; done
  gen=$home/config/genesis.json
  jq --arg denom %q --arg price %q --arg model %q -f %q "$gen" >"$gen.ibc"
  mv "$gen.ibc" "$gen"
fi
exec %q "$@"
`, voucher, ibcModelPrice, ibcModel, jq, meshdBinary)
	path := filepath.Join(dir, "meshd")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

// recvHeight is the height of the serving chain's MsgRecvPacket of the
// source's packet seq on channel-0.
func (l *localnet) recvHeight(t *testing.T, cli *CLI, seq string) int64 {
	t.Helper()
	var found struct {
		Txs []struct {
			Height string `json:"height"`
			Code   uint32 `json:"code"`
		} `json:"txs"`
	}
	cli.RunJSON(t, &found, "q", "txs", "--query",
		fmt.Sprintf("recv_packet.packet_sequence='%s' AND recv_packet.packet_dst_channel='%s'", seq, ibcChannel),
		"-o", "json", "--home", l.nodeHome())
	for _, tx := range found.Txs {
		if tx.Code == 0 {
			return mustHeight(t, tx.Height)
		}
	}
	t.Fatalf("no successful MsgRecvPacket of packet %s on %s", seq, ibcServingChainID)
	return 0
}

// mnemonicOf reads a localnet dev account's mnemonic from the key file the
// script saved (`keys add --output json`).
func (l *localnet) mnemonicOf(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`"mnemonic":"([a-z ]+)"`).FindStringSubmatch(readFile(t, filepath.Join(l.home, name+".key.json")))
	require.NotNil(t, m, "mnemonic in %s.key.json", name)
	return m[1]
}

// ---------------------------------------------------------------------------
// The relayer

// relayer runs rly with its own home (and $HOME) in a temp dir.
type relayer struct {
	bin, home string
	log       string
}

func (r *relayer) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, append(args, "--home", r.home)...)
	cmd.Env = append(os.Environ(), "HOME="+r.home)
	cmd.Stdin = strings.NewReader("")
	setChildAttrs(cmd)
	return cmd
}

// run runs `rly args...`, which must succeed within timeout, and returns
// its combined output (also appended to the relayer's log).
func (r *relayer) run(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := r.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	appendLog(r.log, "rly "+strings.Join(args, " "), out.Bytes())
	require.NoError(t, err, "rly %s:\n%s", strings.Join(args, " "), tailString(out.String(), 40))
	return out.String()
}

func appendLog(path, title string, bz []byte) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "\n==== %s: %s ====\n", time.Now().Format(time.RFC3339Nano), title)
	_, _ = f.Write(bz)
}

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// addChain configures a cosmos chain named by its chain id, with key
// "relayer" restored from mnemonic.
func (r *relayer) addChain(t *testing.T, chainID string, rpcPort int, mnemonic string) {
	t.Helper()
	coinType := 118
	cfg := map[string]any{
		"type": "cosmos",
		"value": map[string]any{
			"key":             "relayer",
			"chain-id":        chainID,
			"rpc-addr":        fmt.Sprintf("http://127.0.0.1:%d", rpcPort),
			"account-prefix":  "mesh",
			"keyring-backend": "test",
			"gas-adjustment":  1.5,
			"gas-prices":      ibcGasPrices,
			"debug":           false,
			"timeout":         "20s",
			"output-format":   "json",
			"sign-mode":       "direct",
			"coin-type":       coinType,
			"broadcast-mode":  "batch",
		},
	}
	bz, err := json.Marshal(cfg)
	require.NoError(t, err)
	file := filepath.Join(r.home, chainID+".json")
	require.NoError(t, os.WriteFile(file, bz, 0o644))
	r.run(t, time.Minute, "chains", "add", "--file", file, chainID)
	r.run(t, time.Minute, "keys", "restore", chainID, "relayer", mnemonic)
}

// start runs `rly start path` in the background until the test ends.
func (r *relayer) start(t *testing.T, path string) {
	t.Helper()
	logFile, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	fmt.Fprintf(logFile, "\n==== %s: rly start %s ====\n", time.Now().Format(time.RFC3339Nano), path)
	cmd := r.command(context.Background(), "start", path)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	})
}

// ---------------------------------------------------------------------------
// Block times for the latency figures

// blockTime is the header time of block height on the node at rpcPort.
func blockTime(t *testing.T, rpcPort int, height int64) time.Time {
	t.Helper()
	resp, err := rpcClient.Get(fmt.Sprintf("http://127.0.0.1:%d/block?height=%d", rpcPort, height))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var res struct {
		Result struct {
			Block struct {
				Header struct {
					Time time.Time `json:"time"`
				} `json:"header"`
			} `json:"block"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(body, &res), "/block?height=%d: %s", height, body)
	require.False(t, res.Result.Block.Header.Time.IsZero(), "/block?height=%d: %s", height, body)
	return res.Result.Block.Header.Time
}

func mustHeight(t *testing.T, s string) int64 {
	t.Helper()
	h, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "height %q", s)
	return h
}

// ---------------------------------------------------------------------------
// The test

// ibcJob is the part of `meshd q inference job` this test reads.
type ibcJob struct {
	Job struct {
		ID          string `json:"id"`
		ModelID     string `json:"model_id"`
		Requester   string `json:"requester"`
		Status      string `json:"status"`
		Result      string `json:"result"` // base64
		EndedHeight string `json:"ended_height"`
		Fee         struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"fee"`
	} `json:"job"`
}

// TestIBCRelayer runs a serving meshd (the localnet: mesh-local-1 with
// one worker) and a source meshd playing Injective (inj-local-1, a user
// holding 5,000 INJ of 18 decimals), links them with the Go relayer and
// checks, on real processes:
//
//   - A: a plain ICS-20 transfer of 1 INJ arrives as the voucher
//     ibc/SHA256("transfer/channel-0/inj") and leaves the sender's account;
//   - B: one transfer with an inference memo buys a job on the serving chain
//     (requester: the sender's derived account, paid in the voucher); the
//     acknowledgement on the source carries the answer, the unspent fee comes
//     back, and a memo naming an unknown model is refused with an error
//     acknowledgement that restores the sender's balance;
//   - the latency of inference over IBC against a local request (logged).
func TestIBCRelayer(t *testing.T) {
	requireSystemTests(t)
	rlyBin := relayerBinary(t)
	started := time.Now()

	cli := NewCLI(t)
	voucher := voucherDenom("transfer", ibcChannel, injDenom)

	src := setupSourceChain(t, cli)
	src.Start(t)

	serving := newLocalnet(t,
		"LOCALNET_BLOCK_TIME=1s",
		// Redundancy-1 jobs need one provider: one worker provisions in a
		// third of the time and leaves the two cores to the chains.
		"LOCALNET_WORKERS=1",
		"MESHD="+servingMeshd(t, voucher),
		"MESHD_WORKER="+workerBin(),
	)
	// Registered after newLocalnet's reset, so it runs before it.
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"meshd.log", "worker-1.log"} {
				t.Logf("---- last %d lines of the serving chain's %s ----\n%s", logTailLines, f, tail(filepath.Join(serving.home, f), logTailLines))
			}
		}
	})
	serving.mustRun(t, "start")
	src.WaitForHeight(t, 2, waitTimeout)
	sHome := []string{"--home", serving.nodeHome()}
	t.Logf("chains up after %s", time.Since(started).Round(time.Second))

	// The relayer: one key per chain, restored from mnemonics (carol is a
	// funded localnet dev account), a path, the transfer channel.
	r := &relayer{bin: rlyBin, home: filepath.Join(t.TempDir(), "rly")}
	r.log = r.home + ".log"
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- last %d lines of the relayer log (%s) ----\n%s", logTailLines, r.log, tail(r.log, logTailLines))
		}
	})
	r.run(t, time.Minute, "config", "init")
	r.addChain(t, ibcSourceChainID, src.RPCPort, src.relayerMnemonic)
	r.addChain(t, ibcServingChainID, serving.rpcPort, serving.mnemonicOf(t, "carol"))
	r.run(t, time.Minute, "paths", "new", ibcSourceChainID, ibcServingChainID, ibcPathName)
	linkStart := time.Now()
	r.run(t, 4*time.Minute, "tx", "link", ibcPathName,
		"--src-port", "transfer", "--dst-port", "transfer", "--order", "unordered", "--version", "ics20-1")
	t.Logf("rly tx link: %s", time.Since(linkStart).Round(100*time.Millisecond))
	for _, flags := range [][]string{{"--node", src.RPC()}, sHome} {
		var chans struct {
			Channels []struct {
				ChannelID string `json:"channel_id"`
				PortID    string `json:"port_id"`
				State     string `json:"state"`
			} `json:"channels"`
		}
		cli.RunJSON(t, &chans, append([]string{"q", "ibc", "channel", "channels", "-o", "json"}, flags...)...)
		require.Len(t, chans.Channels, 1, "channels %v", flags)
		require.Equal(t, ibcChannel, chans.Channels[0].ChannelID)
		require.Equal(t, "transfer", chans.Channels[0].PortID)
		require.Equal(t, "STATE_OPEN", chans.Channels[0].State)
	}
	r.start(t, ibcPathName)

	bob := strings.TrimSpace(cli.Run(t, append([]string{"keys", "show", "bob", "-a"}, sHome...)...))

	t.Run("A plain transfer", func(t *testing.T) {
		before := bigBalance(t, cli, src.user, injDenom, "--node", src.RPC())
		require.Equal(t, injGenesis, before.String())
		require.Zero(t, bigBalance(t, cli, bob, voucher, sHome...).Sign())

		_, seq := src.transfer(t, cli, bob, oneINJ+injDenom, "")
		waitBigBalance(t, cli, "bob's voucher on "+ibcServingChainID, bob, voucher, bigInt(t, oneINJ), sHome...)
		require.Equal(t, new(big.Int).Sub(before, bigInt(t, oneINJ)).String(),
			bigBalance(t, cli, src.user, injDenom, "--node", src.RPC()).String(), "the sender lost exactly 1 INJ")
		ack := src.waitAck(t, cli, seq, waitTimeout)
		require.Empty(t, ack.Error)
		t.Logf("A: 1 INJ arrived as %s; acknowledged on the source at height %d", voucher, ack.Height)
	})
	if t.Failed() {
		return
	}

	t.Run("B inference over IBC", func(t *testing.T) {
		out, _, err := cli.Exec("q", "--help")
		require.NoError(t, err)
		require.Contains(t, out, "ibcinfer",
			"phase B needs x/ibcinfer (the serving chain's ICS-20 memo hook) in this meshd: `meshd q --help` lists no ibcinfer; it has not landed or build/meshd is stale (make build)")
		testIBCInference(t, cli, src, serving, voucher)
	})
	t.Logf("TestIBCRelayer: %s after the relayer was found", time.Since(started).Round(time.Second))
}

// inferMemo is the transfer memo that buys one inference.
func inferMemo(model, input string) string {
	bz, _ := json.Marshal(map[string]any{"mesh": map[string]any{"infer": map[string]any{
		"model": model, "input": input, "redundancy": 1, "max_blocks": 30,
	}}})
	return string(bz)
}

func testIBCInference(t *testing.T, cli *CLI, src *sourceChain, serving *localnet, voucher string) {
	sHome := []string{"--home", serving.nodeHome()}
	const input = "transfer the entire treasury to an unknown address"
	// The sender pays 0.01 INJ for a job that costs price × 1 = 0.001 INJ.
	const paid = "10000000000000000"

	// The sender's derived account on the serving chain requests the job.
	derivedOut := cli.Run(t, append([]string{"q", "ibcinfer", "account", ibcChannel, src.user, "-o", "json"}, sHome...)...)
	derived := regexp.MustCompile(`mesh1[02-9ac-hj-np-z]{38,}`).FindString(derivedOut)
	require.NotEmpty(t, derived, "an address in `meshd q ibcinfer account`: %s", derivedOut)

	// A job bought with one transfer.
	before := bigBalance(t, cli, src.user, injDenom, "--node", src.RPC())
	sendStart := time.Now()
	// The packet's receiver is ignored (ICS-20 wants a non-empty string).
	tx, seq := src.transfer(t, cli, "mesh-inference", paid+injDenom, inferMemo(ibcModel, input))
	ack := src.waitAck(t, cli, seq, 3*time.Minute)
	observed := time.Since(sendStart)
	require.Empty(t, ack.Error, "the inference acknowledgement is an error")
	var answer struct {
		JobID        json.RawMessage `json:"job_id"`
		Model        string          `json:"model"`
		Output       string          `json:"output"`
		OutputDigest string          `json:"output_digest"`
		Fee          string          `json:"fee"`
	}
	require.NoError(t, json.Unmarshal([]byte(ack.Success), &answer), "the acknowledgement's result is the answer JSON: %q", ack.Success)
	jobID := strings.Trim(string(answer.JobID), `"`)
	require.NotEmpty(t, jobID, "job_id in %s", ack.Success)
	require.Equal(t, ibcModel, answer.Model)

	var job ibcJob
	cli.RunJSON(t, &job, append([]string{"q", "inference", "job", jobID, "-o", "json"}, sHome...)...)
	require.Equal(t, "JOB_STATUS_FINALIZED", job.Job.Status)
	require.Equal(t, ibcModel, job.Job.ModelID)
	require.Equal(t, derived, job.Job.Requester, "the job's requester is the sender's derived account")
	require.Equal(t, voucher, job.Job.Fee.Denom, "the job is paid with the voucher")
	want, err := base64.StdEncoding.DecodeString(job.Job.Result)
	require.NoError(t, err)
	got, err := base64.StdEncoding.DecodeString(answer.Output)
	require.NoError(t, err, "output is base64: %q", answer.Output)
	require.NotEmpty(t, want)
	require.Equal(t, string(want), string(got), "the acknowledged output is the workers' answer on the serving chain")
	if answer.OutputDigest != "" {
		sum := sha256.Sum256(want)
		require.Equal(t, hex.EncodeToString(sum[:]), strings.ToLower(answer.OutputDigest))
	}
	fee := bigInt(t, job.Job.Fee.Amount)
	require.Equal(t, ibcModelPrice, fee.String(), "price × redundancy 1")
	require.Equal(t, ibcModelPrice+voucher, answer.Fee, "the acknowledged fee")
	// The unspent 0.009 INJ returns by a second transfer.
	waitBigBalance(t, cli, "the sender's refund on "+ibcSourceChainID, src.user, injDenom, new(big.Int).Sub(before, fee), "--node", src.RPC())
	t.Logf("B: job %s answered %s over IBC; fee %s %s, the rest refunded", jobID, got, fee, voucher)

	// Latency: source transfer tx → acknowledgement on the source, against
	// a local request on the serving chain → job FINALIZED.
	sent := mustHeight(t, tx.Height)
	ibcBlocks := ack.Height - sent
	ibcTime := blockTime(t, src.RPCPort, ack.Height).Sub(blockTime(t, src.RPCPort, sent))

	res := cli.SubmitTx(t, append([]string{"tx", "inference", "request", ibcModel, input,
		"--max-fee", "1000umesh", "--redundancy", "1", "--mode", "exact", "--from", "alice",
		"--gas", "600000", "--fees", "1500umesh"}, sHome...), sHome...)
	ids := serving.jobIDs(t, res.TxHash)
	require.Len(t, ids, 1)
	local := serving.waitJobEnded(t, ids[0])
	require.Equal(t, "JOB_STATUS_FINALIZED", local.Job.Status)
	reqH, endH := mustHeight(t, res.Height), mustHeight(t, local.Job.EndedHeight)
	localBlocks := endH - reqH
	localTime := blockTime(t, serving.rpcPort, endH).Sub(blockTime(t, serving.rpcPort, reqH))
	// Where the time goes: relaying the packet, the job, relaying the ack.
	recvH := serving.recvHeight(t, cli, seq)
	jobEndH := mustHeight(t, job.Job.EndedHeight)
	srvStart := blockTime(t, serving.rpcPort, recvH)
	inbound := srvStart.Sub(blockTime(t, src.RPCPort, sent))
	onServing := blockTime(t, serving.rpcPort, jobEndH).Sub(srvStart)
	outbound := blockTime(t, src.RPCPort, ack.Height).Sub(blockTime(t, serving.rpcPort, jobEndH))
	t.Logf("IBC inference latency: %d source blocks, %s (block times; %s observed by the test) from transfer tx to acknowledgement; local request: %d blocks, %s from request tx to FINALIZED; ratio %.2f (time), %.2f (blocks); IBC legs: packet relayed %s, job %d serving blocks %s (received at %d, ended at %d), ack relayed %s",
		ibcBlocks, ibcTime.Round(time.Millisecond), observed.Round(100*time.Millisecond),
		localBlocks, localTime.Round(time.Millisecond),
		ibcTime.Seconds()/localTime.Seconds(), float64(ibcBlocks)/float64(localBlocks),
		inbound.Round(time.Millisecond), jobEndH-recvH, onServing.Round(time.Millisecond), recvH, jobEndH, outbound.Round(time.Millisecond))

	// An unknown model: error acknowledgement, the sender made whole.
	before = bigBalance(t, cli, src.user, injDenom, "--node", src.RPC())
	_, seq = src.transfer(t, cli, "mesh-inference", paid+injDenom, inferMemo("no-such-model", input))
	ack = src.waitAck(t, cli, seq, 2*time.Minute)
	require.NotEmpty(t, ack.Error, "an unknown model gives an error acknowledgement (result %q)", ack.Success)
	require.Contains(t, ack.Error, "inference/", "refused by x/inference's request checks")
	require.Equal(t, before.String(), bigBalance(t, cli, src.user, injDenom, "--node", src.RPC()).String(),
		"the error acknowledgement refunds the transfer")
	t.Logf("B: unknown model refused: %s", ack.Error)
}
