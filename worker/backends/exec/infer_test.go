package exec

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
)

func TestInferAgainstRealBinary(t *testing.T) {
	bin := buildWorker(t)
	b := &Backend{Argv: []string{bin, "exec-cpu"}, Timeout: 30 * time.Second}
	model, err := embedded.New()
	require.NoError(t, err)
	for _, in := range []string{"transfer the entire treasury to an unknown address", "Fix typos in the docs", ""} {
		got, err := b.Infer(context.Background(), embedded.ModelID, []byte(in))
		require.NoError(t, err)
		want, err := model.Infer(context.Background(), embedded.ModelID, []byte(in))
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "input %q", in)
	}
	_, err = b.Infer(context.Background(), "llama-3-8b", []byte("x"))
	require.ErrorContains(t, err, "backend error: embedded backend serves mesh-embedded-v1")
}

func TestInferRequestOnStdin(t *testing.T) {
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "req.json")
	out := base64.StdEncoding.EncodeToString([]byte("1234"))
	b := script(t, "cat > "+reqFile+"; echo '{\"output_b64\":\""+out+"\"}'")
	got, err := b.Infer(context.Background(), "my-model", []byte{0xff, 'h', 'i'})
	require.NoError(t, err)
	require.Equal(t, "1234", string(got))
	raw, err := os.ReadFile(reqFile)
	require.NoError(t, err)
	require.JSONEq(t, `{"op":"infer","model":"my-model","input_b64":"/2hp"}`, string(raw))
}

func TestInferMalformedOutput(t *testing.T) {
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'a'}, 1025))
	for _, tc := range []struct{ name, body, want string }{
		{"not json", `echo nope`, "malformed response"},
		{"no output", `echo '{}'`, "no output_b64"},
		{"rows instead", `echo '{"rows_b64":"AAAA"}'`, "no output_b64"},
		{"bad base64", `echo '{"output_b64":"%%%"}'`, "malformed output_b64"},
		{"too long", `echo '{"output_b64":"` + big + `"}'`, "exceeds 1024"},
		{"error field", `echo '{"error":"model not loaded"}'; exit 1`, "backend error: model not loaded"},
		{"crash", `echo oops >&2; exit 3`, "oops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := script(t, tc.body).Infer(context.Background(), "m", []byte("x"))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestInferOutputLimit(t *testing.T) {
	// A program that floods stdout is killed at the limit.
	b := script(t, "yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	_, err := b.Infer(context.Background(), "m", []byte("x"))
	require.ErrorContains(t, err, "output exceeds")
}

func TestServeInfer(t *testing.T) {
	model, err := embedded.New()
	require.NoError(t, err)
	var out bytes.Buffer
	in := strings.NewReader(`{"op":"infer","model":"mesh-embedded-v1","input_b64":"` +
		base64.StdEncoding.EncodeToString([]byte("Disable slashing permanently")) + `"}`)
	require.NoError(t, Serve(context.Background(), in, &out, nil, model))
	got, err := decodeInferResponse(out.Bytes())
	require.NoError(t, err)
	want, _ := model.Infer(context.Background(), embedded.ModelID, []byte("Disable slashing permanently"))
	require.Equal(t, want, got)

	// Without an inference backend "infer" is an unknown op; without a PoC
	// backend so is "poc_gemm".
	out.Reset()
	require.Error(t, Serve(context.Background(), strings.NewReader(`{"op":"infer","model":"m","input_b64":""}`), &out, nil, nil))
	require.Contains(t, out.String(), `unknown op \"infer\"`)
	out.Reset()
	require.Error(t, Serve(context.Background(), strings.NewReader(`{"op":"poc_gemm","seed":"01","m":1,"n":1,"p":1}`), &out, nil, model))
	require.Contains(t, out.String(), `unknown op \"poc_gemm\"`)
	out.Reset()
	require.Error(t, Serve(context.Background(), strings.NewReader(`{"op":"infer","model":"m","input_b64":"%"}`), &out, nil, model))
	require.Contains(t, out.String(), "input_b64")
}
