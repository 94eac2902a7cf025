package testbin_test

import (
	"bytes"
	"encoding/json"
	"math"
	osexec "os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/internal/testbin"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// benchJSON is what `meshd-worker bench --json` promises.
type benchJSON struct {
	Backend               string  `json:"backend"`
	Threads               int     `json:"threads"`
	N                     int     `json:"n"`
	P                     int     `json:"p"`
	RowsPerSecond         float64 `json:"rows_per_second"`
	MACsPerSecond         float64 `json:"macs_per_second"`
	GOPS                  float64 `json:"gops"`
	AdvisedGOPS           uint64  `json:"advised_gops"`
	SecondsAtAdvisedClaim float64 `json:"seconds_at_advised_claim"`
	CommitSeconds         uint64  `json:"commit_seconds"`
	TargetFractionBps     uint64  `json:"target_fraction_bps"`
	ParamsFrom            string  `json:"params_from"`
	Command               string  `json:"command"`
}

func bench(t *testing.T, args ...string) benchJSON {
	t.Helper()
	cmd := osexec.Command(testbin.MeshdWorker(t), append([]string{"bench", "--json", "--home", t.TempDir()}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	require.Equal(t, 1, strings.Count(strings.TrimSpace(stdout.String()), "\n")+1, "one JSON object on one line: %s", stdout.String())
	var res benchJSON
	var raw map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &raw))
	for _, k := range []string{"backend", "threads", "n", "p", "rows_per_second", "macs_per_second", "gops", "advised_gops",
		"seconds_at_advised_claim", "commit_seconds", "target_fraction_bps"} {
		require.Contains(t, raw, k)
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res))
	return res
}

// checkArithmetic: the figures agree with each other as documented.
func checkArithmetic(t *testing.T, r benchJSON) {
	t.Helper()
	require.Greater(t, r.RowsPerSecond, 0.0)
	require.InDelta(t, r.RowsPerSecond*float64(r.N*r.P), r.MACsPerSecond, r.MACsPerSecond*1e-9)
	require.InDelta(t, 2*r.MACsPerSecond/1e9, r.GOPS, r.GOPS*1e-9)
	require.Equal(t, uint64(math.Floor(0.8*r.GOPS)), r.AdvisedGOPS)
	f := float64(r.TargetFractionBps) / 10000
	require.InDelta(t, f*float64(r.CommitSeconds)*float64(r.AdvisedGOPS)/r.GOPS, r.SecondsAtAdvisedClaim, 1e-9)
	require.Contains(t, r.Command, "meshd tx compute update-worker --gops ")
}

func TestBenchJSON(t *testing.T) {
	r := bench(t, "--seconds", "0.5", "--threads", "1")
	require.Equal(t, "cpu", r.Backend)
	require.Equal(t, 1, r.Threads)
	require.Equal(t, 256, r.N)
	require.Equal(t, 64, r.P)
	require.Equal(t, uint64(5000), r.TargetFractionBps)
	require.Equal(t, uint64(50), r.CommitSeconds)
	require.Equal(t, "flags", r.ParamsFrom)
	checkArithmetic(t, r)
}

// TestBenchNode reads the shape from a node's x/compute params.
func TestBenchNode(t *testing.T) {
	chain.SetSDKConfig()
	node, err := chaintest.New("mesh-local-1")
	require.NoError(t, err)
	addr := node.Listen(t)
	params := computetypes.DefaultParams()
	params.PocDim, params.PocCols = 128, 32
	params.PocTargetFractionBps, params.PocCommitSeconds = 2000, 30
	node.SetParams(params)
	r := bench(t, "--node", addr, "--seconds", "0.3", "--poc-target-fraction-bps", "2500", "--poc-commit-seconds", "40")
	require.Equal(t, 128, r.N)
	require.Equal(t, 32, r.P)
	require.Equal(t, addr, r.ParamsFrom)
	// The node's capacity params beat the flags.
	require.Equal(t, uint64(2000), r.TargetFractionBps)
	require.Equal(t, uint64(30), r.CommitSeconds)
	checkArithmetic(t, r)
}

// TestBenchExec measures the exec backend (the binary's own exec-cpu as
// the program).
func TestBenchExec(t *testing.T) {
	bin := testbin.MeshdWorker(t)
	r := bench(t, "--backend", "exec", "--exec-cmd", bin+" exec-cpu", "--poc-dim", "64", "--poc-cols", "16",
		"--poc-exec-min-macs", "1e6", "--seconds", "0.5")
	require.Equal(t, "exec", r.Backend)
	checkArithmetic(t, r)
}
