package types_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestCommitmentVector pins the commitment format shared with meshd-worker:
// SHA-256(be64(job id) ‖ worker address bytes ‖ SHA-256(output) ‖ salt).
func TestCommitmentVector(t *testing.T) {
	worker := make([]byte, 20)
	for i := range worker {
		worker[i] = byte(i + 1)
	}
	salt := bytes.Repeat([]byte{0xab}, 32)
	digest := types.Digest([]byte("42"))
	require.Equal(t, "73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049", hex.EncodeToString(digest))
	require.Equal(t, "6240f5bbf76a77ecca86490f271ea148a51c8343c8f131e22f0737d15ce1a588",
		hex.EncodeToString(types.Commitment(7, worker, digest, salt)))
	other := bytes.Clone(worker)
	other[0] = 0xff
	require.NotEqual(t, types.Commitment(7, worker, digest, salt), types.Commitment(7, other, digest, salt), "binds the worker")
	require.NotEqual(t, types.Commitment(7, worker, digest, salt), types.Commitment(8, worker, digest, salt), "binds the job")
}

func TestQuorum(t *testing.T) {
	want := map[uint32]uint32{1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 32: 22}
	for r, q := range want {
		require.Equal(t, q, types.Quorum(r), "r=%d", r)
		require.Greater(t, 2*q, r, "q > r/2: at most one agreeing group")
		require.GreaterOrEqual(t, 3*q, 2*r, "q ≥ 2r/3")
	}
}

func TestPlurality(t *testing.T) {
	id := func(b []byte) []byte { return b }
	a, b := []byte("a"), []byte("b")
	for _, c := range []struct {
		in          [][]byte
		best, count int
	}{
		{nil, -1, 0},
		{[][]byte{nil, {}}, -1, 0},
		{[][]byte{nil, a, b, b}, 2, 2},
		{[][]byte{a, b, a, b}, 0, 2}, // a tie goes to the first
		{[][]byte{nil, b, nil, nil}, 1, 1},
	} {
		best, count := types.Plurality(c.in, id)
		require.Equal(t, []int{c.best, c.count}, []int{best, count}, "%q", c.in)
	}
}

func TestParseMedianOutput(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "42": 42, "-7": -7, "007": 7,
		"9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63} {
		v, ok := types.ParseMedianOutput([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, want, v, in)
	}
	for _, in := range []string{"", "-", "+1", " 1", "1 ", "1.5", "0x10", "9223372036854775808", "12345678901234567890", "--1"} {
		_, ok := types.ParseMedianOutput([]byte(in))
		require.False(t, ok, in)
	}
	require.Equal(t, []byte("-12"), types.FormatMedianOutput(-12))
}

func TestParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	for name, mutate := range map[string]func(p *types.Params){
		"umesh listed":       func(p *types.Params) { p.FeeDenoms = []string{"umesh"} },
		"duplicate denom":    func(p *types.Params) { p.FeeDenoms = []string{"ibc/X", "ibc/X"} },
		"invalid denom":      func(p *types.Params) { p.FeeDenoms = []string{"1x"} },
		"zero input":         func(p *types.Params) { p.MaxInputBytes = 0 },
		"huge output":        func(p *types.Params) { p.MaxOutputBytes = types.MaxInlineBytesBound + 1 },
		"min 0":              func(p *types.Params) { p.MinRedundancy = 0 },
		"default > max":      func(p *types.Params) { p.DefaultRedundancy = 8 },
		"min > default":      func(p *types.Params) { p.MinRedundancy = 4 },
		"max above bound":    func(p *types.Params) { p.MaxRedundancy = 33 },
		"commit 0":           func(p *types.Params) { p.CommitBlocks = 0 },
		"reveal huge":        func(p *types.Params) { p.RevealBlocks = types.MaxPhaseBlocks + 1 },
		"open cap 0":         func(p *types.Params) { p.MaxOpenJobsPerWorker = 0 },
		"bps over 100 %":     func(p *types.Params) { p.FeeBurnBps, p.ProtocolFeeBps = 6000, 5000 },
		"bonus over 100 %":   func(p *types.Params) { p.SpeedBonusBps = 10_001 },
		"slash 1":            func(p *types.Params) { p.LiarSlashFraction = math.LegacyOneDec() },
		"slash negative":     func(p *types.Params) { p.LiarSlashFraction = math.LegacyNewDec(-1) },
		"slash nil":          func(p *types.Params) { p.LiarSlashFraction = math.LegacyDec{} },
		"expirations 0":      func(p *types.Params) { p.MaxExpirationsPerBlock = 0 },
		"expirations huge":   func(p *types.Params) { p.MaxExpirationsPerBlock = types.MaxExpirationsBound + 1 },
		"retention negative": func(p *types.Params) { p.JobRetentionBlocks = -1 },
	} {
		p := types.DefaultParams()
		mutate(&p)
		require.Error(t, p.Validate(), name)
	}
	p := types.DefaultParams()
	require.True(t, p.FeeDenomAllowed("umesh"))
	require.False(t, p.FeeDenomAllowed("ibc/X"))
	p.FeeDenoms = []string{"ibc/X"}
	require.True(t, p.FeeDenomAllowed("ibc/X"))
	r, err := p.Redundancy(0, false)
	require.NoError(t, err)
	require.Equal(t, uint32(3), r)
	_, err = p.Redundancy(8, false)
	require.Error(t, err)
	d, err := p.DeadlineBlocks(0)
	require.NoError(t, err)
	require.Equal(t, int64(20), d)
	_, err = p.DeadlineBlocks(19)
	require.Error(t, err)
}

func TestValidateModel(t *testing.T) {
	good := types.Model{
		Id: "mesh-embedded-v1", Runtime: "int8-embedded", Deterministic: true,
		Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000)), Status: types.MODEL_STATUS_ACTIVE,
		WeightsDigest: hex.EncodeToString(types.Digest([]byte("w"))), WeightsUri: "https://x/w.bin",
	}
	require.NoError(t, types.ValidateModel(good))
	two := good
	two.Prices = sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000), sdk.NewCoin("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", math.NewIntWithDecimal(5, 21)))
	require.NoError(t, types.ValidateModel(two), "two prices, one above 2^64")
	for _, rt := range []string{"openai:llama-3-8b", "exec:mesh-echo"} {
		m := good
		m.Runtime = rt
		require.NoError(t, types.ValidateModel(m), rt)
	}
	for name, mutate := range map[string]func(m *types.Model){
		"empty id":        func(m *types.Model) { m.Id = "" },
		"long id":         func(m *types.Model) { m.Id = string(bytes.Repeat([]byte{'a'}, 65)) },
		"space in id":     func(m *types.Model) { m.Id = "a b" },
		"runtime unknown": func(m *types.Model) { m.Runtime = "docker:x" },
		"openai no name":  func(m *types.Model) { m.Runtime = "openai:" },
		"exec space":      func(m *types.Model) { m.Runtime = "exec:a b" },
		"zero price":      func(m *types.Model) { m.Prices = sdk.Coins{sdk.NewInt64Coin("umesh", 0)} },
		"no prices":       func(m *types.Model) { m.Prices = nil },
		"empty coin":      func(m *types.Model) { m.Prices = sdk.Coins{{}} },
		"negative price":  func(m *types.Model) { m.Prices = sdk.Coins{{Denom: "umesh", Amount: math.NewInt(-1)}} },
		"bad price denom": func(m *types.Model) { m.Prices = sdk.Coins{{Denom: "1x", Amount: math.NewInt(1)}} },
		"denom twice": func(m *types.Model) {
			m.Prices = sdk.Coins{sdk.NewInt64Coin("uinj", 1), sdk.NewInt64Coin("uinj", 2), sdk.NewInt64Coin("umesh", 1)}
		},
		"unsorted": func(m *types.Model) { m.Prices = sdk.Coins{sdk.NewInt64Coin("umesh", 1), sdk.NewInt64Coin("ibc/X", 1)} },
		"too many prices": func(m *types.Model) {
			m.Prices = nil
			for i := range types.MaxModelPrices + 1 {
				m.Prices = append(m.Prices, sdk.NewInt64Coin(fmt.Sprintf("denom%02d", i), 1))
			}
		},
		"deprecated price": func(m *types.Model) { c := sdk.NewInt64Coin("umesh", 1000); m.Price = &c }, //nolint:staticcheck // refused
		"no status":        func(m *types.Model) { m.Status = types.MODEL_STATUS_UNSPECIFIED },
		"bad digest":       func(m *types.Model) { m.WeightsDigest = "abc" },
		"upper digest":     func(m *types.Model) { m.WeightsDigest = "AB" + m.WeightsDigest[2:] },
		"bad uri":          func(m *types.Model) { m.WeightsUri = "a b" },
	} {
		m := good
		mutate(&m)
		require.Error(t, types.ValidateModel(m), name)
	}
}

func TestMsgValidate(t *testing.T) {
	ac := addresscodec.NewBech32Codec("mesh")
	worker, err := ac.BytesToString(make([]byte, 20))
	require.NoError(t, err)
	salt := bytes.Repeat([]byte{1}, 16)
	ok := []*types.MsgRevealResult{
		{Worker: worker, JobId: 1, Output: []byte("4"), Salt: salt},
		{Worker: worker, JobId: 1, Output: []byte("4"), OutputDigest: types.Digest([]byte("4")), Salt: salt},
		{Worker: worker, JobId: 1, OutputDigest: types.Digest([]byte("big")), OutputUri: "ipfs://x", Salt: salt},
		{Worker: worker, JobId: 1, Salt: salt}, // an empty output, inline
		{Worker: worker, JobId: 1, OutputDigest: types.Digest(nil), Salt: salt},
	}
	for i, m := range ok {
		require.NoError(t, m.ValidateBasic(), "case %d", i)
	}
	require.Equal(t, types.Digest(nil), ok[3].RevealedDigest())
	require.Equal(t, types.Digest([]byte("big")), ok[2].RevealedDigest())
	bad := []*types.MsgRevealResult{
		{Worker: worker, JobId: 1, Output: []byte("4"), Salt: salt[:15]},
		{Worker: worker, JobId: 1, Output: []byte("4"), Salt: bytes.Repeat([]byte{1}, 65)},
		{Worker: worker, JobId: 1, OutputDigest: types.Digest([]byte("x")), Salt: salt},
		{Worker: worker, JobId: 1, OutputUri: "ipfs://x", Salt: salt},
		{Worker: worker, JobId: 1, Output: []byte("4"), OutputUri: "ipfs://x", Salt: salt},
		{Worker: worker, JobId: 1, OutputDigest: []byte{1}, OutputUri: "ipfs://x", Salt: salt},
		{Worker: "nope", JobId: 1, Output: []byte("4"), Salt: salt},
	}
	for i, m := range bad {
		require.Error(t, m.ValidateBasic(), "case %d", i)
	}
	require.ErrorIs(t, (&types.MsgCommitResult{Worker: worker, Commitment: []byte{1}}).ValidateBasic(), types.ErrInvalidCommitment)
	require.NoError(t, (&types.MsgCommitResult{Worker: worker, Commitment: make([]byte, 32)}).ValidateBasic())
	require.ErrorIs(t, (&types.MsgUpdateParams{Authority: worker}).ValidateBasic(), types.ErrInvalidParams)
	require.NoError(t, (&types.MsgUpdateParams{Authority: worker, Params: types.DefaultParams()}).ValidateBasic())
}
