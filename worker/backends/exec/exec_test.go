package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/internal/testbin"
	"github.com/llmesh/mesh/x/compute/poc"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// buildWorker returns the real meshd-worker binary, whose hidden exec-cpu
// subcommand speaks the exec contract with the CPU backend and the
// embedded model.
func buildWorker(t *testing.T) string { return testbin.MeshdWorker(t) }

func TestAgainstRealBinary(t *testing.T) {
	bin := buildWorker(t)
	seed := poc.ChallengeSeed([]byte("exec"), []byte("worker"))

	t.Run("rows match the spec", func(t *testing.T) {
		for _, d := range []poc.Dims{{M: 1, N: 1, P: 1}, {M: 67, N: 129, P: 7}, {M: 256, N: 256, P: 64}} {
			b := &Backend{Argv: []string{bin, "exec-cpu"}, Timeout: 30 * time.Second}
			got, err := b.ProvePoC(context.Background(), seed, d)
			require.NoError(t, err)
			want, _, err := poc.Prove(seed, d)
			require.NoError(t, err)
			require.Equal(t, want, got, "%+v", d)
		}
	})

	t.Run("program error is reported", func(t *testing.T) {
		// Reach the program with a shape it refuses: the worker validates
		// dims itself, so speak to the binary directly.
		cmd := osexec.Command(bin, "exec-cpu")
		cmd.Stdin = strings.NewReader(`{"op":"poc_gemm","seed":"00","m":1,"n":0,"p":1}`)
		out, err := cmd.Output()
		require.Error(t, err, "non-zero exit")
		var resp Response
		require.NoError(t, json.Unmarshal(out, &resp))
		require.Contains(t, resp.Error, "invalid dimensions")
		require.Empty(t, resp.RowsB64)

		cmd = osexec.Command(bin, "exec-cpu")
		cmd.Stdin = strings.NewReader(`{"op":"train"}`)
		out, _ = cmd.Output()
		require.NoError(t, json.Unmarshal(out, &resp))
		require.Contains(t, resp.Error, `unknown op "train"`)
	})

	t.Run("timeout", func(t *testing.T) {
		// About 70 G multiply-accumulates: far more than 200ms anywhere.
		b := &Backend{Argv: []string{bin, "exec-cpu"}, Timeout: 200 * time.Millisecond}
		start := time.Now()
		_, err := b.ProvePoC(context.Background(), seed, poc.Dims{M: 1 << 14, N: 4096, P: 1024})
		require.ErrorContains(t, err, "timed out after 200ms")
		require.Less(t, time.Since(start), 5*time.Second)
	})

	t.Run("malformed output", func(t *testing.T) {
		// A program that prints something else entirely.
		b := &Backend{Argv: []string{bin, "version"}}
		_, err := b.ProvePoC(context.Background(), seed, poc.Dims{M: 1, N: 1, P: 1})
		require.ErrorContains(t, err, "malformed response")
	})

	t.Run("output limit", func(t *testing.T) {
		b := &Backend{Argv: []string{bin, "exec-cpu"}, MaxOutput: 100}
		_, err := b.ProvePoC(context.Background(), seed, poc.Dims{M: 64, N: 8, P: 8})
		require.ErrorContains(t, err, "output exceeds 100 bytes")
	})
}

// script runs a shell snippet as the backend program.
func script(t *testing.T, body string) *Backend {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
	return &Backend{Argv: []string{"sh", "-c", body}, Timeout: 5 * time.Second}
}

func TestTimeoutKillsTheProgram(t *testing.T) {
	b := script(t, "sleep 30 & sleep 30; wait") // a child too: the group must die
	b.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, err := b.ProvePoC(context.Background(), []byte{1}, poc.Dims{M: 1, N: 1, P: 1})
	require.ErrorContains(t, err, "timed out after 300ms")
	// Well under waitDelay: the sleeping grandchild, which holds stdout,
	// died with its process group instead of being waited for.
	require.Less(t, time.Since(start), waitDelay*3/4)
}

func TestCancelStopsTheProgram(t *testing.T) {
	b := script(t, "sleep 30")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// The parent's deadline, not the backend's, ended it.
	_, err := b.ProvePoC(ctx, []byte{1}, poc.Dims{M: 1, N: 1, P: 1})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotContains(t, err.Error(), "timed out after")
}

func TestMalformedOutput(t *testing.T) {
	d := poc.Dims{M: 2, N: 3, P: 1}
	for _, tc := range []struct{ name, body, want string }{
		{"not json", `echo not-json`, "malformed response"},
		{"truncated json", `printf '{"rows_b64":"AAAA'`, "malformed response"},
		{"bad base64", `echo '{"rows_b64":"%%%"}'`, "malformed rows_b64"},
		{"wrong size", `echo '{"rows_b64":"AAAAAA=="}'`, "holds 4 bytes, want 8"},
		{"empty", `true`, "malformed response"},
		{"error field", `echo '{"error":"CUDA out of memory"}'`, "backend error: CUDA out of memory"},
		{"error and exit status", `echo '{"error":"no GPU"}'; exit 3`, "backend error: no GPU"},
		{"crash with stderr", `echo boom >&2; exit 2`, "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := script(t, tc.body).ProvePoC(context.Background(), []byte{1}, d)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestRequestOnStdin(t *testing.T) {
	// The program sees exactly the documented request.
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "req.json")
	b := script(t, "cat > "+reqFile+"; echo '{\"rows_b64\":\"AAAAAA==\"}'")
	_, err := b.ProvePoC(context.Background(), []byte{0xab, 0x01}, poc.Dims{M: 1, N: 5, P: 1})
	require.NoError(t, err)
	raw, err := os.ReadFile(reqFile)
	require.NoError(t, err)
	require.JSONEq(t, `{"op":"poc_gemm","seed":"ab01","m":1,"n":5,"p":1}`, string(raw))
}

func TestServe(t *testing.T) {
	var out bytes.Buffer
	in := strings.NewReader(`{"op":"poc_gemm","seed":"0102","m":3,"n":4,"p":2}`)
	require.NoError(t, Serve(context.Background(), in, &out, cpu.Backend{}, nil))
	rows, err := decodeResponse(out.Bytes(), poc.Dims{M: 3, N: 4, P: 2})
	require.NoError(t, err)
	want, _, err := poc.Prove([]byte{1, 2}, poc.Dims{M: 3, N: 4, P: 2})
	require.NoError(t, err)
	require.Equal(t, want, rows)

	out.Reset()
	require.Error(t, Serve(context.Background(), strings.NewReader(`{"op":"poc_gemm","seed":"zz","m":1,"n":1,"p":1}`), &out, cpu.Backend{}, nil))
	require.Contains(t, out.String(), "seed must be non-empty hex")
}

func TestNewSplitsCommandLine(t *testing.T) {
	b, err := New("  python3 gemm.py --device cuda:0 ", time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{"python3", "gemm.py", "--device", "cuda:0"}, b.Argv)
	_, err = New("   ", 0)
	require.Error(t, err)
}

// The Python reference in examples/ speaks the contract as documented: a
// check of the documentation for backend authors.
func TestPythonExample(t *testing.T) {
	py, err := osexec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	b := &Backend{Argv: []string{py, filepath.Join("examples", "poc_gemm.py")}, Timeout: 30 * time.Second}
	seed := poc.ChallengeSeed([]byte("py"), []byte("worker"))
	d := poc.Dims{M: 9, N: 70, P: 5}
	got, err := b.ProvePoC(context.Background(), seed, d)
	require.NoError(t, err)
	want, _, err := poc.Prove(seed, d)
	require.NoError(t, err)
	require.Equal(t, want, got)
}
