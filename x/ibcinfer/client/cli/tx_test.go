package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/ibcinfer/client/cli"
	"github.com/llmesh/mesh/x/ibcinfer/types"
)

// The memo the CLI writes is one meshd reads back as the same request.
func TestMemoRoundTrip(t *testing.T) {
	in := types.InferMemo{Model: "mesh-embedded-v1", Input: `it's "quoted" & <tagged>`, Redundancy: 2, Mode: "median", Tolerance: 5, MaxBlocks: 30, TrustSingleWorker: true}
	memo, err := cli.Memo(in)
	require.NoError(t, err)
	out, ours, err := types.ParseMemo(memo, 8192)
	require.NoError(t, err)
	require.True(t, ours)
	require.Equal(t, in, *out)

	_, err = cli.Memo(types.InferMemo{Model: "m"})
	require.ErrorIs(t, err, types.ErrInvalidMemo, "no input")
}

// Without --from, request-ibc prints the memo and the source chain's command.
func TestRequestIBCPrints(t *testing.T) {
	cmd := cli.NewRequestIBCCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"channel-77", "mesh-embedded-v1", "it's a test", "5000000000000000000inj", "--redundancy", "2"})
	require.NoError(t, cmd.Execute())
	s := out.String()
	require.Contains(t, s, `memo: {"mesh":{"infer":{"model":"mesh-embedded-v1","input":"it's a test","redundancy":2}}}`)
	require.Contains(t, s, "injectived tx ibc-transfer transfer transfer channel-77 ibcinfer 5000000000000000000inj --memo '")
	require.Contains(t, s, `"input":"it'\''s a test"`, "the single quote is shell-escaped")
	require.True(t, strings.Contains(s, "--packet-timeout-timestamp 600000000000"))
}
