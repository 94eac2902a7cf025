package types_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/ibcinfer/types"
)

func TestParseMemo(t *testing.T) {
	const max = 512
	cases := []struct {
		name string
		memo string
		ours bool
		err  *errorsmod.Error
		want *types.InferMemo
	}{
		{"empty", "", false, nil, nil},
		{"plain text", "thanks for the coffee", false, nil, nil},
		{"other middleware", `{"wasm":{"contract":"x","msg":{}}}`, false, nil, nil},
		{"mesh only as a value", `{"note":"mesh"}`, false, nil, nil},
		{"source callback only", `{"src_callback":{"address":"inj1x"}}`, false, nil, nil},
		{"our refund coming back", `{"mesh":{"refund":{"job_id":"7"}}}`, false, nil, nil},
		{"minimal request", `{"mesh":{"infer":{"model":"m1","input":"hi"}}}`, true, nil,
			&types.InferMemo{Model: "m1", Input: "hi"}},
		{"full request with a source callback", `{"src_callback":{"address":"inj1x"},"mesh":{"infer":{"model":"m1","input":"hi","redundancy":2,"mode":"median","tolerance":3,"max_blocks":40}}}`, true, nil,
			&types.InferMemo{Model: "m1", Input: "hi", Redundancy: 2, Mode: "median", Tolerance: 3, MaxBlocks: 40}},
		{"one trusted worker", `{"mesh":{"infer":{"model":"m1","input":"hi","redundancy":1,"trust_single_worker":true}}}`, true, nil,
			&types.InferMemo{Model: "m1", Input: "hi", Redundancy: 1, TrustSingleWorker: true}},
		{"whitespace is fine", "{ \"mesh\" : { \"infer\" : { \"model\" : \"m1\" , \"input\" : \"hi\" } } }\n", true, nil,
			&types.InferMemo{Model: "m1", Input: "hi"}},
		{"not json", `"mesh" please`, true, types.ErrInvalidMemo, nil},
		{"truncated", `{"mesh":{"infer":`, true, types.ErrInvalidMemo, nil},
		{"trailing data", `{"mesh":{"infer":{"model":"m1","input":"hi"}}} {}`, true, types.ErrInvalidMemo, nil},
		{"too large", `{"mesh":{"infer":{"model":"m1","input":"` + strings.Repeat("a", max) + `"}}}`, true, types.ErrMemoTooLarge, nil},
		{"duplicate top-level mesh", `{"mesh":{"infer":{"model":"a","input":"x"}},"mesh":{"infer":{"model":"b","input":"x"}}}`, true, types.ErrInvalidMemo, nil},
		{"duplicate inner key", `{"mesh":{"infer":{"model":"a","model":"b","input":"x"}}}`, true, types.ErrInvalidMemo, nil},
		{"unknown field", `{"mesh":{"infer":{"model":"a","input":"x","fee":"1"}}}`, true, types.ErrInvalidMemo, nil},
		{"unknown mesh action", `{"mesh":{"train":{}}}`, true, types.ErrInvalidMemo, nil},
		{"no action", `{"mesh":{}}`, true, types.ErrInvalidMemo, nil},
		{"infer and refund", `{"mesh":{"infer":{"model":"a","input":"x"},"refund":{"job_id":"1"}}}`, true, types.ErrInvalidMemo, nil},
		{"with forward", `{"mesh":{"infer":{"model":"a","input":"x"}},"forward":{}}`, true, types.ErrInvalidMemo, nil},
		{"with dest_callback", `{"mesh":{"infer":{"model":"a","input":"x"}},"dest_callback":{}}`, true, types.ErrInvalidMemo, nil},
		{"with wasm", `{"mesh":{"infer":{"model":"a","input":"x"}},"wasm":{}}`, true, types.ErrInvalidMemo, nil},
		{"mesh not an object", `{"mesh":"infer"}`, true, types.ErrInvalidMemo, nil},
		{"no model", `{"mesh":{"infer":{"input":"x"}}}`, true, types.ErrInvalidMemo, nil},
		{"no input", `{"mesh":{"infer":{"model":"a"}}}`, true, types.ErrInvalidMemo, nil},
		{"bad mode", `{"mesh":{"infer":{"model":"a","input":"x","mode":"fast"}}}`, true, types.ErrInvalidMemo, nil},
		{"verified generative request", `{"mesh":{"infer":{"model":"mesh-lm-v1","input":"Say hi","redundancy":4,"mode":"verify"}}}`, true, nil,
			&types.InferMemo{Model: "mesh-lm-v1", Input: "Say hi", Redundancy: 4, Mode: "verify"}},
		{"unknown mode", `{"mesh":{"infer":{"model":"a","input":"x","mode":"vote"}}}`, true, types.ErrInvalidMemo, nil},
		{"tolerance without median", `{"mesh":{"infer":{"model":"a","input":"x","tolerance":1}}}`, true, types.ErrInvalidMemo, nil},
		{"negative max_blocks", `{"mesh":{"infer":{"model":"a","input":"x","max_blocks":-1}}}`, true, types.ErrInvalidMemo, nil},
		{"negative redundancy", `{"mesh":{"infer":{"model":"a","input":"x","redundancy":-1}}}`, true, types.ErrInvalidMemo, nil},
		{"string redundancy", `{"mesh":{"infer":{"model":"a","input":"x","redundancy":"2"}}}`, true, types.ErrInvalidMemo, nil},
		{"too deep", `{"mesh":{"infer":{"model":"a","input":"x","z":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}}}`, true, types.ErrInvalidMemo, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, ours, err := types.ParseMemo(tc.memo, max)
			require.Equal(t, tc.ours, ours)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, m)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, m)
		})
	}
}

func TestRefundMemoIsNotARequest(t *testing.T) {
	m, ours, err := types.ParseMemo(types.RefundMemoString(12), 8192)
	require.NoError(t, err)
	require.False(t, ours)
	require.Nil(t, m)
}

func TestDeriveAccount(t *testing.T) {
	a := types.DeriveAccount("channel-0", "inj1abc")
	require.Len(t, a, 32)
	require.Equal(t, a, types.DeriveAccount("channel-0", "inj1abc"), "deterministic")
	require.NotEqual(t, a, types.DeriveAccount("channel-1", "inj1abc"), "per channel")
	require.NotEqual(t, a, types.DeriveAccount("channel-0", "inj1abd"), "per sender")
	// The separator keeps (channel, sender) pairs apart.
	require.NotEqual(t, types.DeriveAccount("channel-0/a", "b"), types.DeriveAccount("channel-0", "ab"))
}

func TestParamsAndGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	require.NoError(t, types.DefaultGenesis().Validate())
	p := types.DefaultParams()
	p.MaxMemoBytes = 0
	require.ErrorIs(t, p.Validate(), types.ErrInvalidParams)
	p = types.DefaultParams()
	p.MaxRefundAttempts = 0
	require.ErrorIs(t, p.Validate(), types.ErrInvalidParams)
	p = types.DefaultParams()
	p.RefundTimeoutSeconds = 1
	require.ErrorIs(t, p.Validate(), types.ErrInvalidParams)
}
