package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
)

// envBeWorker makes the test binary run meshd-worker's main instead of the
// tests: the exec backend's end-to-end test uses it as its program.
const envBeWorker = "MESHD_WORKER_TEST_BE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envBeWorker) == "1" {
		main()
		os.Exit(0)
	}
	chain.SetSDKConfig()
	os.Exit(m.Run())
}

// run executes the CLI in-process and returns stdout.
func run(t *testing.T, ctx context.Context, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err != nil || testing.Verbose() {
		t.Logf("stderr of %v:\n%s", args, errOut.String())
	}
	return out.String(), err
}

func initHome(t *testing.T) (home, addr string) {
	home = t.TempDir()
	out, err := run(t, context.Background(), "", "init", "--home", home, "--keyring-backend", "test", "-o", "json")
	require.NoError(t, err)
	var res map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Regexp(t, `^mesh1[0-9a-z]{38}$`, res["address"])
	require.Len(t, strings.Fields(res["mnemonic"]), 24)
	return home, res["address"]
}

func TestInitKeysAddress(t *testing.T) {
	home, addr := initHome(t)
	ctx := context.Background()

	out, err := run(t, ctx, "", "address", "--home", home)
	require.NoError(t, err)
	require.Equal(t, addr, strings.TrimSpace(out))

	out, err = run(t, ctx, "", "keys", "show", "--home", home, "-o", "json")
	require.NoError(t, err)
	var show map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &show))
	require.Equal(t, addr, show["address"])
	require.Equal(t, "worker", show["name"])

	_, err = run(t, ctx, "", "init", "--home", home)
	require.ErrorContains(t, err, "already exists")
	_, err = run(t, ctx, "", "address", "--home", t.TempDir())
	require.ErrorContains(t, err, "run meshd-worker init")
}

func TestVersionAndBench(t *testing.T) {
	out, err := run(t, context.Background(), "", "version")
	require.NoError(t, err)
	require.NotEmpty(t, strings.TrimSpace(out))

	out, err = run(t, context.Background(), "", "bench", "--poc-dim", "64", "--poc-cols", "16", "--seconds", "0.2", "--json")
	require.NoError(t, err)
	var res benchResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, "cpu", res.Backend)
	require.Equal(t, 64, res.N)
	require.Greater(t, res.GOPS, 0.0)
	require.InDelta(t, 2*res.MACsPerSecond/1e9, res.GOPS, 1e-9)
	require.Equal(t, uint64(res.GOPS*0.8), res.AdvisedGOPS)

	out, err = run(t, context.Background(), "", "bench", "--poc-dim", "64", "--poc-cols", "16", "--seconds", "0.2")
	require.NoError(t, err)
	require.Contains(t, out, "GOPS:")
	require.Contains(t, out, "advice:")

	_, err = run(t, context.Background(), "", "bench", "--seconds", "0")
	require.ErrorContains(t, err, "--seconds")
	_, err = run(t, context.Background(), "", "bench", "--poc-target-fraction-bps", "20000")
	require.ErrorContains(t, err, "want 1..10000")
}

func TestBenchAdviceText(t *testing.T) {
	r := benchResult{Backend: "exec", Threads: 16, N: 256, P: 64, Rows: 1 << 20, Challenges: 3, Seconds: 3,
		GOPS: 100, AdvisedGOPS: 80, SecondsAtAdvisedClaim: 20, AdvisedMACs: 1e12, AdvisedRows: 61035157,
		CommitSeconds: 50, TargetFractionBps: 5000, ParamsFrom: "flags", AdvisedBackend: "exec", Command: "meshd tx compute update-worker --gops 80"}
	text := benchText(r)
	require.Contains(t, text, "claim at most --gops 80 (80% of the measured 100.00 GOPS")
	require.Contains(t, text, "proven here in about 20.0 s of the 50 s commit window")
	require.NotContains(t, text, "below --poc-exec-min-macs")
	r.AdvisedBackend = "cpu"
	require.Contains(t, benchText(r), "with the cpu backend, below --poc-exec-min-macs")
	r.AdvisedGOPS = 0
	require.Contains(t, benchText(r), "too little to claim")
}

func TestExecCPU(t *testing.T) {
	out, err := run(t, context.Background(), `{"op":"poc_gemm","seed":"01","m":2,"n":3,"p":1}`, "exec-cpu")
	require.NoError(t, err)
	require.Contains(t, out, `"rows_b64"`)
	out, err = run(t, context.Background(), `{"op":"nope"}`, "exec-cpu")
	require.Error(t, err)
	require.Contains(t, out, `"error"`)
}

func TestStartRejectsBadFlags(t *testing.T) {
	home, _ := initHome(t)
	_, err := run(t, context.Background(), "", "start", "--home", home, "--backend", "gpu")
	require.ErrorContains(t, err, "want cpu or exec")
	_, err = run(t, context.Background(), "", "start", "--home", home, "--backend", "exec")
	require.ErrorContains(t, err, "needs --exec-cmd")
	_, err = run(t, context.Background(), "", "start", "--home", home, "--gas-prices", "cheap")
	require.ErrorContains(t, err, "gas prices")
	_, err = run(t, context.Background(), "", "start", "--home", home, "--openai-url", "ftp://models")
	require.ErrorContains(t, err, "--openai-url")
}

func freePort(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// TestStartProvesEpochs runs `meshd-worker start` against a fake node whose
// blocks come every 20ms and waits for two epochs to pass verification.
func TestStartProvesEpochs(t *testing.T) {
	home, addr := initHome(t)
	node, err := chaintest.New("mesh-local-1")
	require.NoError(t, err)
	node.AddAccount(addr)
	grpcAddr := node.Listen(t)
	listen := freePort(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				node.Advance(1)
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := run(t, ctx, "", "start", "--home", home, "--grpc", grpcAddr, "--chain-id", "mesh-local-1",
			"--listen", listen, "--poll-interval", "10ms")
		done <- err
	}()

	var snap health.Snapshot
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + listen + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if json.NewDecoder(resp.Body).Decode(&snap) != nil {
			return false
		}
		return snap.LastEpochRevealed >= 2 && snap.LastOutcome == "PROOF_OUTCOME_PASS"
	}, 20*time.Second, 20*time.Millisecond, "last status: %+v", snap)
	require.True(t, snap.Healthy)
	require.Equal(t, addr, snap.Address)

	resp, err := http.Get("http://" + listen + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, string(body), "meshd_worker_epochs_passed_total")
	require.Contains(t, string(body), "meshd_worker_prove_duration_seconds_bucket")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("start did not stop on cancel")
	}
}
