package jobs

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

type named string

func (n named) Name() string { return string(n) }
func (n named) Infer(context.Context, string, []byte) ([]byte, error) {
	return []byte(n), nil
}

func TestResolve(t *testing.T) {
	all := Backends{Embedded: named("embedded"), OpenAI: named("openai"), Exec: named("exec")}
	for _, tc := range []struct {
		m          inferencetypes.Model
		b          Backends
		be, name   string
		errContain string
	}{
		{m: inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: embedded.WeightsDigest}, b: all,
			be: "embedded", name: embedded.ModelID},
		{m: inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded"}, b: all, be: "embedded", name: embedded.ModelID},
		{m: inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: strings.Repeat("ab", 32)}, b: all,
			errContain: "upgrade meshd-worker"},
		{m: inferencetypes.Model{Id: "mesh-embedded-v2", Runtime: "int8-embedded"}, b: all, errContain: "not mesh-embedded-v2"},
		{m: inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded"}, b: Backends{}, errContain: "not served"},
		{m: inferencetypes.Model{Id: "llama", Runtime: "openai:llama-3.1-8b-instruct"}, b: all, be: "openai", name: "llama-3.1-8b-instruct"},
		{m: inferencetypes.Model{Id: "llama", Runtime: "openai:llama"}, b: Backends{}, errContain: "needs --openai-url"},
		{m: inferencetypes.Model{Id: "sd", Runtime: "exec:sdxl"}, b: all, be: "exec", name: "sd"},
		{m: inferencetypes.Model{Id: "sd", Runtime: "exec:sdxl"}, b: Backends{}, errContain: "needs --exec-cmd"},
		{m: inferencetypes.Model{Id: "x", Runtime: "onnx"}, b: all, errContain: `unknown runtime "onnx"`},
	} {
		be, name, err := tc.b.Resolve(tc.m)
		if tc.errContain != "" {
			require.ErrorContains(t, err, tc.errContain, "%+v", tc.m)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.be, be.Name())
		require.Equal(t, tc.name, name)
	}
}

// loader records the spec it was asked to load.
type loader struct {
	named
	spec *backends.ModelSpec
}

func (l loader) LoadModel(_ context.Context, m backends.ModelSpec) (backends.Inference, error) {
	*l.spec = m
	return l.named, nil
}

func TestResolveLoadsOtherEmbeddedModels(t *testing.T) {
	var got backends.ModelSpec
	b := Backends{Embedded: loader{named: "embedded", spec: &got}}
	digest := strings.Repeat("cd", 32)
	m := inferencetypes.Model{Id: "mesh-embedded-v1-t1", Runtime: "int8-embedded", WeightsDigest: digest, WeightsUri: "http://w/blobs/" + digest}
	be, name, err := b.Resolve(m)
	require.NoError(t, err)
	require.Equal(t, "embedded", be.Name())
	require.Equal(t, m.Id, name)
	require.Zero(t, got, "loaded when the inference runs, not in the loop")
	out, err := be.Infer(context.Background(), name, []byte("x"))
	require.NoError(t, err)
	require.Equal(t, "embedded", string(out))
	require.Equal(t, backends.ModelSpec{ID: m.Id, WeightsDigest: digest, WeightsURI: m.WeightsUri}, got)

	// The built-in model is still checked in the loop, and served directly.
	be, _, err = b.Resolve(inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: embedded.WeightsDigest})
	require.NoError(t, err)
	require.Equal(t, b.Embedded, be)
	_, _, err = b.Resolve(inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: digest})
	require.ErrorContains(t, err, "upgrade meshd-worker")
	_, _, err = b.Resolve(inferencetypes.Model{Id: "t2", Runtime: "int8-embedded"})
	require.ErrorContains(t, err, "no weights digest")
}

func TestJobInput(t *testing.T) {
	sum := sha256.Sum256([]byte("in"))
	in, err := jobInput(&inferencetypes.Job{Input: []byte("in"), InputDigest: sum[:]})
	require.NoError(t, err)
	require.Equal(t, "in", string(in))
	_, err = jobInput(&inferencetypes.Job{Input: []byte("in!"), InputDigest: sum[:]})
	require.ErrorContains(t, err, "does not match")
	_, err = jobInput(&inferencetypes.Job{InputDigest: sum[:], InputUri: "ipfs://bafy"})
	require.ErrorContains(t, err, "only inline inputs")
}

func TestFinishOutput(t *testing.T) {
	exact := inferencetypes.CONSENSUS_MODE_EXACT
	median := inferencetypes.CONSENSUS_MODE_MEDIAN
	for _, tc := range []struct {
		mode     inferencetypes.ConsensusMode
		in, want string
		err      string
	}{
		{exact, " as is \n", " as is \n", ""},
		{exact, "", "", "empty output"},
		{exact, strings.Repeat("x", 1025), "", "exceeds 1024"},
		{median, " +042\n", "42", ""},
		{median, "-7", "-7", ""},
		{median, "-0", "0", ""},
		{median, "9223372036854775807", "9223372036854775807", ""},
		{median, "9223372036854775808", "", "not a decimal int64"},
		{median, "4.2", "", "not a decimal int64"},
		{median, `{"label":"low"}`, "", "not a decimal int64"},
	} {
		got, err := finishOutput(tc.mode, []byte(tc.in))
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, string(got))
		if tc.mode == median {
			_, ok := inferencetypes.ParseMedianOutput(got)
			require.True(t, ok, "the chain parses %q", got)
		}
	}
}
