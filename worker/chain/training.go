package chain

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/grpc/metadata"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	query "github.com/cosmos/cosmos-sdk/types/query"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// Training is what the x/training loop needs.
type Training interface {
	// Address is the worker's mesh1… address.
	Address() string
	// Height is the node's latest block height.
	Height(ctx context.Context) (int64, error)
	// Task returns a task and the workers that joined it.
	Task(ctx context.Context, id uint64) (trainingtypes.Task, []string, error)
	// Tasks returns every task (x/training Query/Tasks, all pages).
	Tasks(ctx context.Context) ([]trainingtypes.Task, error)
	// Round returns round number of a task (0: the current round).
	Round(ctx context.Context, taskID uint64, number uint32) (trainingtypes.Round, error)
	// Model returns a registered x/inference model (a task's base model).
	Model(ctx context.Context, id string) (inferencetypes.Model, error)
	// Items returns the first limit items of a dataset in id order, as of
	// height (0: the latest state).
	Items(ctx context.Context, datasetID uint64, height int64, limit int) ([]trainingtypes.Item, error)
	// JoinTask broadcasts MsgJoinTask and returns the tx hash once CheckTx
	// accepted it.
	JoinTask(ctx context.Context, taskID uint64) (string, error)
	// CommitUpdate broadcasts MsgCommitUpdate; the tx expires after
	// timeoutHeight when it is > 0.
	CommitUpdate(ctx context.Context, taskID uint64, round uint32, commitment []byte, timeoutHeight int64) (string, error)
	// RevealUpdate broadcasts MsgRevealUpdate, like CommitUpdate.
	RevealUpdate(ctx context.Context, reveal trainingtypes.MsgRevealUpdate, timeoutHeight int64) (string, error)
	// SubmitAggregate broadcasts MsgSubmitAggregate, like CommitUpdate.
	SubmitAggregate(ctx context.Context, agg trainingtypes.MsgSubmitAggregate, timeoutHeight int64) (string, error)
	// TxResult reports whether a tx is in a block and how it ended.
	TxResult(ctx context.Context, hash string) (TxResult, error)
}

var _ Training = (*Client)(nil)

const (
	// trainingPageLimit is the page size of Tasks and Items.
	trainingPageLimit = 200
	// maxTaskPages bounds Tasks: tasks are kept forever, so a worker in auto
	// mode reads at most 10,000 of them (the first, by id).
	maxTaskPages = 50
)

func (c *Client) training() trainingtypes.QueryClient { return trainingtypes.NewQueryClient(c.conn) }

// Task implements Training.
func (c *Client) Task(ctx context.Context, id uint64) (trainingtypes.Task, []string, error) {
	res, err := call(ctx, c, "training task", func(ctx context.Context) (*trainingtypes.QueryTaskResponse, error) {
		return c.training().Task(ctx, &trainingtypes.QueryTaskRequest{Id: id})
	})
	if err != nil {
		return trainingtypes.Task{}, nil, err
	}
	return res.Task, res.Workers, nil
}

// Tasks implements Training.
func (c *Client) Tasks(ctx context.Context) ([]trainingtypes.Task, error) {
	var out []trainingtypes.Task
	var key []byte
	for page := 0; page < maxTaskPages; page++ {
		req := &trainingtypes.QueryTasksRequest{Pagination: &query.PageRequest{Key: key, Limit: trainingPageLimit}}
		res, err := call(ctx, c, "training tasks", func(ctx context.Context) (*trainingtypes.QueryTasksResponse, error) {
			return c.training().Tasks(ctx, req)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Tasks...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
	c.log.Warn("training tasks: page limit reached, later tasks ignored", "tasks", len(out))
	return out, nil
}

// Round implements Training.
func (c *Client) Round(ctx context.Context, taskID uint64, number uint32) (trainingtypes.Round, error) {
	res, err := call(ctx, c, "training round", func(ctx context.Context) (*trainingtypes.QueryRoundResponse, error) {
		return c.training().Round(ctx, &trainingtypes.QueryRoundRequest{TaskId: taskID, Number: number})
	})
	if err != nil {
		return trainingtypes.Round{}, err
	}
	return res.Round, nil
}

// Items implements Training. A height > 0 is sent as the
// x-cosmos-block-height header, so that every worker of a round reads the
// same items (and labels) whatever block it asks at; the node must still
// hold that height's state (the default pruning keeps far more than a
// round's length).
func (c *Client) Items(ctx context.Context, datasetID uint64, height int64, limit int) ([]trainingtypes.Item, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("items: limit %d", limit)
	}
	if height > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(height, 10))
	}
	var out []trainingtypes.Item
	var key []byte
	for len(out) < limit {
		req := &trainingtypes.QueryItemsRequest{DatasetId: datasetID,
			Pagination: &query.PageRequest{Key: key, Limit: uint64(min(trainingPageLimit, limit-len(out)))}}
		res, err := call(ctx, c, "training items", func(ctx context.Context) (*trainingtypes.QueryItemsResponse, error) {
			return c.training().Items(ctx, req)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Items...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 || len(res.Items) == 0 {
			break
		}
		key = res.Pagination.NextKey
	}
	return out[:min(len(out), limit)], nil
}

// JoinTask implements Training.
func (c *Client) JoinTask(ctx context.Context, taskID uint64) (string, error) {
	return c.Broadcast(ctx, 0, &trainingtypes.MsgJoinTask{Worker: c.addr, TaskId: taskID})
}

// CommitUpdate implements Training.
func (c *Client) CommitUpdate(ctx context.Context, taskID uint64, round uint32, commitment []byte, timeoutHeight int64) (string, error) {
	return c.Broadcast(ctx, timeoutHeight, &trainingtypes.MsgCommitUpdate{Worker: c.addr, TaskId: taskID, Round: round,
		Commitment: commitment})
}

// RevealUpdate implements Training; the worker field is set to the client's.
func (c *Client) RevealUpdate(ctx context.Context, reveal trainingtypes.MsgRevealUpdate, timeoutHeight int64) (string, error) {
	reveal.Worker = c.addr
	return c.Broadcast(ctx, timeoutHeight, &reveal)
}

// SubmitAggregate implements Training; the worker field is set to the client's.
func (c *Client) SubmitAggregate(ctx context.Context, agg trainingtypes.MsgSubmitAggregate, timeoutHeight int64) (string, error) {
	agg.Worker = c.addr
	return c.Broadcast(ctx, timeoutHeight, &agg)
}
