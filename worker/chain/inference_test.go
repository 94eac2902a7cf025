package chain_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

func TestOpenJobsPagesAndFilters(t *testing.T) {
	c, n := served(t, nil)
	n.Do(func(n *chaintest.Node) { n.JobsPageLimit = 2 })
	var mine []uint64
	for i := 0; i < 7; i++ {
		workers := []string{c.Address(), "mesh1other"}
		if i == 3 {
			workers = []string{"mesh1other"} // not ours
		}
		id := n.AddJob(inferencetypes.Job{ModelId: "m", Input: []byte{byte(i)}, CommitEnd: 10, Deadline: 20,
			Assignments: chaintest.Assign(workers...)})
		if i == 5 {
			n.UpdateJob(id, func(j *inferencetypes.Job) { j.Status = inferencetypes.JOB_STATUS_FINALIZED })
		}
		if i != 3 && i != 5 {
			mine = append(mine, id)
		}
	}
	jobs, err := c.OpenJobs(context.Background())
	require.NoError(t, err)
	var got []uint64
	for _, j := range jobs {
		got = append(got, j.Id)
	}
	require.Equal(t, mine, got)
	n.Do(func(n *chaintest.Node) { require.GreaterOrEqual(t, n.JobsQueries, 3, "several pages") })

	j, err := c.Job(context.Background(), 6)
	require.NoError(t, err)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status)
	_, err = c.Job(context.Background(), 99)
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestModelQuery(t *testing.T) {
	c, n := served(t, nil)
	n.AddModel(inferencetypes.Model{Id: "mesh-embedded-v1", Runtime: "int8-embedded", Deterministic: true})
	m, err := c.Model(context.Background(), "mesh-embedded-v1")
	require.NoError(t, err)
	require.Equal(t, "int8-embedded", m.Runtime)
	require.True(t, m.Deterministic)
	_, err = c.Model(context.Background(), "nope")
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestCommitAndRevealResult(t *testing.T) {
	c, n := served(t, nil)
	ctx := context.Background()
	id := n.AddJob(inferencetypes.Job{ModelId: "m", Input: []byte("in"), CommitEnd: 10, Deadline: 20,
		Assignments: chaintest.Assign(c.Address())})
	addr, err := chain.AddressCodec.StringToBytes(c.Address())
	require.NoError(t, err)
	output, salt := []byte("42"), make([]byte, 32)
	digest := sha256.Sum256(output)
	// The commitment as the protocol defines it, spelled out.
	pre := binary.BigEndian.AppendUint64(nil, id)
	pre = append(append(append(pre, addr...), digest[:]...), salt...)
	commitment := sha256.Sum256(pre)

	commit := &inferencetypes.MsgCommitResult{Worker: c.Address(), JobId: id, Commitment: commitment[:]}
	_, err = c.Broadcast(ctx, 10, commit)
	require.NoError(t, err)
	var tx authsigning.Tx
	n.Do(func(n *chaintest.Node) { tx = n.LastTx.(authsigning.Tx) })
	require.Equal(t, []sdk.Msg{&inferencetypes.MsgCommitResult{Worker: c.Address(), JobId: id, Commitment: commitment[:]}}, tx.GetMsgs())
	require.Equal(t, uint64(10), tx.GetTimeoutHeight())
	j := n.Job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_REVEALING, j.Status, "the only worker committed")

	_, err = c.Broadcast(ctx, 0, commit)
	require.ErrorIs(t, err, inferencetypes.ErrAlreadyCommitted)

	// A reveal that does not open the commitment fails in simulation.
	_, err = c.Broadcast(ctx, 20, &inferencetypes.MsgRevealResult{Worker: c.Address(), JobId: id, Output: []byte("43"), Salt: salt})
	require.ErrorIs(t, err, inferencetypes.ErrCommitmentMismatch)

	_, err = c.Broadcast(ctx, 20, &inferencetypes.MsgRevealResult{Worker: c.Address(), JobId: id, Output: output, OutputDigest: digest[:], Salt: salt})
	require.NoError(t, err)
	j = n.Job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status)
	require.Equal(t, output, j.Result)
	require.True(t, j.Assignments[0].Agreed)
}
