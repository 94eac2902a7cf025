package cli

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

func TestBuildRequest(t *testing.T) {
	from := sdk.AccAddress("requester___________")
	cmd := NewRequestCmd()
	_, err := buildRequest(from, []string{"m1", "hi"}, cmd)
	require.ErrorContains(t, err, "--max-fee is required")

	require.NoError(t, cmd.Flags().Set(FlagMaxFee, "3000umesh"))
	msg, err := buildRequest(from, []string{"m1", "hello world"}, cmd)
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
	msg, err = buildRequest(from, []string{"m1", "@" + path}, cmd)
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
	msg, err = buildRequest(from, []string{"m1"}, cmd)
	require.NoError(t, err)
	require.Nil(t, msg.Input)
	require.Equal(t, digest, msg.InputDigest)

	require.NoError(t, cmd.Flags().Set(FlagMode, "mean"))
	_, err = buildRequest(from, []string{"m1", "x"}, cmd)
	require.Error(t, err)
	_, err = buildRequest(from, []string{"m1", "@/does/not/exist"}, cmd)
	require.Error(t, err)
	require.Error(t, cmd.Args(cmd, nil))
	require.NoError(t, cmd.Args(cmd, []string{"m1"}))
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
