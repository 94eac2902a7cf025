package cli

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

func TestBuildRequest(t *testing.T) {
	from := sdk.AccAddress("requester___________")
	cmd := NewRequestCmd()
	_, err := buildRequest(from, []string{"m1", "hi"}, cmd, nil)
	require.ErrorContains(t, err, "--max-fee or --fees-denom is required")

	require.NoError(t, cmd.Flags().Set(FlagMaxFee, "3000umesh"))
	msg, err := buildRequest(from, []string{"m1", "hello world"}, cmd, nil)
	require.NoError(t, err)
	require.Equal(t, &types.MsgRequestInference{
		Requester: from.String(), ModelId: "m1", Input: []byte("hello world"),
		MaxFee: sdk.NewInt64Coin("umesh", 3000), Mode: types.CONSENSUS_MODE_EXACT,
	}, msg)

	path := filepath.Join(t.TempDir(), "prompt.txt")
	require.NoError(t, os.WriteFile(path, []byte("from a file"), 0o600))
	for flag, v := range map[string]string{FlagRedundancy: "5", FlagMode: "median", FlagTolerance: "50", FlagDeadlineBlocks: "40", FlagCallback: "dao"} {
		require.NoError(t, cmd.Flags().Set(flag, v))
	}
	msg, err = buildRequest(from, []string{"m1", "@" + path}, cmd, nil)
	require.NoError(t, err)
	require.Equal(t, []byte("from a file"), msg.Input)
	require.Equal(t, uint32(5), msg.Redundancy)
	require.Equal(t, types.CONSENSUS_MODE_MEDIAN, msg.Mode)
	require.Equal(t, int64(50), msg.Tolerance)
	require.Equal(t, int64(40), msg.DeadlineBlocks)
	require.Equal(t, "dao", msg.Callback)

	digest := types.Digest([]byte("big"))
	require.NoError(t, cmd.Flags().Set(FlagInputURI, "ipfs://bafy"))
	require.NoError(t, cmd.Flags().Set(FlagInputDigest, hex.EncodeToString(digest)))
	msg, err = buildRequest(from, []string{"m1"}, cmd, nil)
	require.NoError(t, err)
	require.Nil(t, msg.Input)
	require.Equal(t, digest, msg.InputDigest)

	require.NoError(t, cmd.Flags().Set(FlagMode, "mean"))
	_, err = buildRequest(from, []string{"m1", "x"}, cmd, nil)
	require.Error(t, err)
	_, err = buildRequest(from, []string{"m1", "@/does/not/exist"}, cmd, nil)
	require.Error(t, err)
	require.Error(t, cmd.Args(cmd, nil))
	require.NoError(t, cmd.Args(cmd, []string{"m1"}))
}

// TestBuildRequestFeesDenom: --fees-denom escrows the model's price in that
// denom × redundancy (the default_redundancy param when none is given, then
// pinned in the message), with 18-decimal amounts above 2^64.
func TestBuildRequestFeesDenom(t *testing.T) {
	const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	from := sdk.AccAddress("requester___________")
	inj, ok := math.NewIntFromString("5000000000000000000000") // 5,000 INJ, above 2^64
	require.True(t, ok)
	model := types.Model{Id: "m1", Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000), sdk.NewCoin(voucher, inj))}
	params := types.DefaultParams() // default_redundancy 3
	asked := 0
	terms := func(id string) (types.Model, types.Params, error) {
		asked++
		require.Equal(t, "m1", id)
		return model, params, nil
	}

	cmd := NewRequestCmd()
	require.NoError(t, cmd.Flags().Set(FlagFeesDenom, voucher))
	msg, err := buildRequest(from, []string{"m1", "hi"}, cmd, terms)
	require.NoError(t, err)
	require.Equal(t, "15000000000000000000000"+voucher, msg.MaxFee.String(), "5,000 INJ × 3")
	require.Equal(t, uint32(3), msg.Redundancy, "the default, pinned")

	require.NoError(t, cmd.Flags().Set(FlagRedundancy, "5"))
	require.NoError(t, cmd.Flags().Set(FlagFeesDenom, "umesh"))
	msg, err = buildRequest(from, []string{"m1", "hi"}, cmd, terms)
	require.NoError(t, err)
	require.Equal(t, sdk.NewInt64Coin("umesh", 5000), msg.MaxFee)
	require.Equal(t, uint32(5), msg.Redundancy)

	require.NoError(t, cmd.Flags().Set(FlagFeesDenom, "uatom"))
	_, err = buildRequest(from, []string{"m1", "hi"}, cmd, terms)
	require.ErrorContains(t, err, "model m1 is not priced in uatom")
	require.NoError(t, cmd.Flags().Set(FlagRedundancy, "99"))
	require.NoError(t, cmd.Flags().Set(FlagFeesDenom, "umesh"))
	_, err = buildRequest(from, []string{"m1", "hi"}, cmd, terms)
	require.ErrorContains(t, err, "redundancy 99")
	require.Equal(t, 4, asked)

	require.NoError(t, cmd.Flags().Set(FlagMaxFee, "1umesh"))
	_, err = buildRequest(from, []string{"m1", "hi"}, cmd, terms)
	require.ErrorContains(t, err, "not both")
	require.Equal(t, 4, asked, "nothing asked")
}

func TestBuildCommitReveal(t *testing.T) {
	from := sdk.AccAddress("worker______________")
	salt := bytes.Repeat([]byte{7}, 32)
	commit, reveal := NewCommitCmd(), NewRevealCmd()
	require.NoError(t, commit.Flags().Set(FlagSalt, hex.EncodeToString(salt)))
	require.NoError(t, reveal.Flags().Set(FlagSalt, hex.EncodeToString(salt)))

	cm, err := buildCommit(from, []string{"9", "42"}, commit)
	require.NoError(t, err)
	require.Equal(t, types.Commitment(9, from, types.Digest([]byte("42")), salt), cm.Commitment)
	rm, err := buildReveal(from, []string{"9", "42"}, reveal)
	require.NoError(t, err)
	require.Equal(t, &types.MsgRevealResult{Worker: from.String(), JobId: 9, Output: []byte("42"), Salt: salt}, rm)
	// The reveal recomputes the commitment (as the chain does).
	require.Equal(t, cm.Commitment, types.Commitment(rm.JobId, from, rm.RevealedDigest(), rm.Salt))

	// By digest and URI.
	digest := types.Digest([]byte("large output"))
	require.NoError(t, reveal.Flags().Set(FlagOutputDigest, hex.EncodeToString(digest)))
	require.NoError(t, reveal.Flags().Set(FlagOutputURI, "ipfs://out"))
	rm, err = buildReveal(from, []string{"9"}, reveal)
	require.NoError(t, err)
	require.Equal(t, digest, rm.OutputDigest)
	require.Equal(t, "ipfs://out", rm.OutputUri)

	_, err = buildCommit(from, []string{"x", "42"}, commit)
	require.Error(t, err)
	require.NoError(t, commit.Flags().Set(FlagSalt, "00"))
	_, err = buildCommit(from, []string{"9", "42"}, commit)
	require.ErrorContains(t, err, "--salt")
}
