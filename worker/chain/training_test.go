package chain_test

import (
	"bytes"
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
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

func TestTrainingQueries(t *testing.T) {
	c, n := served(t, nil)
	ctx := context.Background()
	ds := n.AddDataset()
	for i := range 450 {
		n.AddItem(trainingtypes.Item{DatasetId: ds, Data: []byte{byte(i), byte(i >> 8)}})
	}
	other := n.AddDataset()
	n.AddItem(trainingtypes.Item{DatasetId: other, Data: []byte("other")})
	for range 205 {
		n.AddTrainingTask(trainingtypes.Task{BaseModelId: "m", DatasetIds: []uint64{ds}, Rounds: 1,
			ParticipantsPerRound: 1, AggregatorsPerRound: 1})
	}

	tasks, err := c.Tasks(ctx)
	require.NoError(t, err)
	require.Len(t, tasks, 205, "two pages")
	require.Equal(t, uint64(205), tasks[204].Id)

	items, err := c.Items(ctx, ds, 0, 1000)
	require.NoError(t, err)
	require.Len(t, items, 450)
	for i, it := range items {
		require.Equal(t, uint64(i+1), it.Id, "id order")
	}
	items, err = c.Items(ctx, ds, 42, 300)
	require.NoError(t, err)
	require.Len(t, items, 300, "the first limit items")
	require.Equal(t, uint64(300), items[299].Id)
	heights := n.TrainingCounts().ItemsHeights
	require.Equal(t, []int64{0, 0, 0, 42, 42}, heights, "pages of 200; the height travels as x-cosmos-block-height")
	_, err = c.Items(ctx, 99, 0, 10)
	require.Equal(t, codes.NotFound, status.Code(err))

	task, workers, err := c.Task(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, uint64(3), task.Id)
	require.Empty(t, workers)
	_, _, err = c.Task(ctx, 999)
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = c.Round(ctx, 3, 0)
	require.Equal(t, codes.NotFound, status.Code(err), "no round before the task runs")
}

// TestTrainingTxs joins a one-worker task and plays its round through the
// client: the messages as signed, the commitment as the protocol defines it,
// and the chain's errors matched by errors.Is.
func TestTrainingTxs(t *testing.T) {
	c, n := served(t, nil)
	ctx := context.Background()
	base := sha256.Sum256([]byte("base"))
	id := n.AddTrainingTask(trainingtypes.Task{BaseModelId: "m", BaseDigest: base[:], Rounds: 1,
		ParticipantsPerRound: 1, AggregatorsPerRound: 1, Aggregation: trainingtypes.AGGREGATION_FEDAVG})

	_, err := c.JoinTask(ctx, id)
	require.NoError(t, err)
	var tx authsigning.Tx
	n.Do(func(n *chaintest.Node) { tx = n.LastTx.(authsigning.Tx) })
	require.Equal(t, []sdk.Msg{&trainingtypes.MsgJoinTask{Worker: c.Address(), TaskId: id}}, tx.GetMsgs())
	require.Zero(t, tx.GetTimeoutHeight())
	_, err = c.JoinTask(ctx, id)
	require.ErrorIs(t, err, trainingtypes.ErrAlreadyJoined)

	task, workers, err := c.Task(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []string{c.Address()}, workers)
	require.Equal(t, trainingtypes.TASK_STATUS_RUNNING, task.Status)
	round, err := c.Round(ctx, id, 0)
	require.NoError(t, err)
	require.Equal(t, uint32(1), round.Number)
	require.Equal(t, trainingtypes.ROUND_PHASE_COMMIT, round.Phase)
	require.Equal(t, c.Address(), round.Updates[0].Worker)

	addr, err := chain.AddressCodec.StringToBytes(c.Address())
	require.NoError(t, err)
	digest := sha256.Sum256([]byte("update"))
	salt := bytes.Repeat([]byte{7}, 32)
	// The commitment spelled out.
	pre := binary.BigEndian.AppendUint64(nil, id)
	pre = binary.BigEndian.AppendUint32(pre, 1)
	pre = append(append(pre, addr...), digest[:]...)
	pre = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(pre, 40), 123456)
	commitment := sha256.Sum256(append(pre, salt...))
	require.Equal(t, commitment[:], trainingtypes.UpdateCommitment(id, 1, addr, digest[:], 40, 123456, salt))

	_, err = c.CommitUpdate(ctx, id, 1, commitment[:], round.CommitEnd)
	require.NoError(t, err)
	n.Do(func(n *chaintest.Node) { tx = n.LastTx.(authsigning.Tx) })
	require.Equal(t, uint64(round.CommitEnd), tx.GetTimeoutHeight())
	_, err = c.CommitUpdate(ctx, id, 1, commitment[:], 0)
	require.ErrorIs(t, err, trainingtypes.ErrWrongPhase, "the only participant committed: REVEAL")

	reveal := trainingtypes.MsgRevealUpdate{TaskId: id, Round: 1, Digest: digest[:], Samples: 40, Loss: 123457,
		Uri: "http://127.0.0.1:1/blobs/x", Salt: salt}
	_, err = c.RevealUpdate(ctx, reveal, 0)
	require.ErrorIs(t, err, trainingtypes.ErrBadReveal, "a loss that is not the committed one")
	reveal.Loss = 123456
	_, err = c.RevealUpdate(ctx, reveal, 0)
	require.NoError(t, err)
	n.Do(func(n *chaintest.Node) { tx = n.LastTx.(authsigning.Tx) })
	reveal.Worker = c.Address()
	require.Equal(t, []sdk.Msg{&reveal}, tx.GetMsgs())

	ck := sha256.Sum256([]byte("checkpoint"))
	_, err = c.SubmitAggregate(ctx, trainingtypes.MsgSubmitAggregate{TaskId: id, Round: 1, Digest: ck[:],
		Uri: "http://127.0.0.1:1/blobs/y", EvalLoss: 99}, 0)
	require.NoError(t, err)
	task, _, err = c.Task(ctx, id)
	require.NoError(t, err)
	require.Equal(t, trainingtypes.TASK_STATUS_COMPLETED, task.Status)
	require.Equal(t, ck[:], task.CheckpointDigest)
	round, err = c.Round(ctx, id, 1)
	require.NoError(t, err)
	require.Equal(t, trainingtypes.ROUND_PHASE_FINALIZED, round.Phase)
	require.Equal(t, uint64(99), round.EvalLoss)
	require.Equal(t, "http://127.0.0.1:1/blobs/y", round.CheckpointUri)
}
