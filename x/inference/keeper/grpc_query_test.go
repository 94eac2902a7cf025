package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestQueryStatusCodes: what does not exist is codes.NotFound (REST 404)
// and a malformed request codes.InvalidArgument (REST 400), never a 500
// (issue 17, hostile-input run).
func TestQueryStatusCodes(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	alice := addr("alice", 1)
	f.fund(alice, 100_000)
	var id uint64
	f.block(func() { id = f.request(f.requestMsg(alice)).JobId })
	_, err := f.q.Job(f.ctx, &types.QueryJobRequest{Id: id})
	require.NoError(t, err)

	both := &query.PageRequest{Key: []byte{1}, Offset: 1}
	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"model not found": {func() error {
			_, err := f.q.Model(f.ctx, &types.QueryModelRequest{Id: "nope"})
			return err
		}, codes.NotFound},
		"model: empty id": {func() error {
			_, err := f.q.Model(f.ctx, &types.QueryModelRequest{})
			return err
		}, codes.InvalidArgument},
		"models: key and offset": {func() error {
			_, err := f.q.Models(f.ctx, &types.QueryModelsRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"job not found": {func() error {
			_, err := f.q.Job(f.ctx, &types.QueryJobRequest{Id: id + 1})
			return err
		}, codes.NotFound},
		"job: id 0": {func() error {
			_, err := f.q.Job(f.ctx, &types.QueryJobRequest{})
			return err
		}, codes.InvalidArgument},
		"jobs: two filters": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(alice), Status: types.JOB_STATUS_QUEUED})
			return err
		}, codes.InvalidArgument},
		"jobs: bad requester": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: "not-an-address"})
			return err
		}, codes.InvalidArgument},
		"jobs: bad worker": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Worker: "x"})
			return err
		}, codes.InvalidArgument},
		"jobs: unknown status": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Status: 99})
			return err
		}, codes.InvalidArgument},
		"jobs: key and offset": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"jobs by requester: key and offset": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(alice), Pagination: both})
			return err
		}, codes.InvalidArgument},
		"jobs by status: key and offset": {func() error {
			_, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Status: types.JOB_STATUS_QUEUED, Pagination: both})
			return err
		}, codes.InvalidArgument},
		"worker stats: bad worker": {func() error {
			_, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{Worker: "x"})
			return err
		}, codes.InvalidArgument},
		"worker stats: empty worker": {func() error {
			_, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{})
			return err
		}, codes.InvalidArgument},
		"empty request": {func() error {
			_, err := f.q.Jobs(f.ctx, nil)
			return err
		}, codes.InvalidArgument},
	} {
		err := c.call()
		require.Equal(t, c.want, status.Code(err), "%s: %v", name, err)
		require.NotEmpty(t, status.Convert(err).Message(), name)
	}

	// A garbage page key is no error: it is only where the walk starts.
	_, err = f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(alice), Pagination: &query.PageRequest{Key: []byte("\xff\x00garbage")}})
	require.NoError(t, err)
}
