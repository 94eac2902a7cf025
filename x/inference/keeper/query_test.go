package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/inference/types"
)

func TestQueries(t *testing.T) {
	f := newFixture(t, nil)
	ws := f.addWorkers(3)
	alice, bob := addr("alice", 1), addr("bob", 1)
	f.fund(alice, 100_000)
	f.fund(bob, 100_000)
	var done uint64
	f.block(func() {
		done = f.request(f.requestMsg(alice)).JobId
		f.request(f.requestMsg(alice))
		f.request(f.requestMsg(bob))
	})
	f.block(func() {
		for _, w := range f.assigned(done) {
			f.commitResult(w, done, "4")
		}
	})
	f.block(func() {
		for _, w := range f.assigned(done) {
			f.revealResult(w, done, "4")
		}
	})

	ids := func(res *types.QueryJobsResponse, err error) []uint64 {
		require.NoError(t, err)
		var out []uint64
		for _, j := range res.Jobs {
			out = append(out, j.Id)
		}
		return out
	}
	require.Equal(t, []uint64{1, 2}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(alice)})))
	require.Equal(t, []uint64{2}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(alice), OpenOnly: true})))
	require.Equal(t, []uint64{3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(bob)})))
	require.Equal(t, []uint64{1, 2, 3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Worker: f.bech(ws[0].addr)})))
	require.Equal(t, []uint64{2, 3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Worker: f.bech(ws[0].addr), OpenOnly: true})))
	require.Equal(t, []uint64{1}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Status: types.JOB_STATUS_FINALIZED})))
	require.Equal(t, []uint64{2, 3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Status: types.JOB_STATUS_COMMITTING})))
	require.Empty(t, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{Status: types.JOB_STATUS_FINALIZED, OpenOnly: true})))
	require.Equal(t, []uint64{1, 2, 3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{})))
	require.Equal(t, []uint64{2, 3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{OpenOnly: true})))

	page, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Worker: f.bech(ws[1].addr), Pagination: &query.PageRequest{Limit: 2}})
	require.NoError(t, err)
	require.Len(t, page.Jobs, 2)
	require.NotEmpty(t, page.Pagination.NextKey)
	require.Equal(t, []uint64{3}, ids(f.q.Jobs(f.ctx, &types.QueryJobsRequest{
		Worker: f.bech(ws[1].addr), Pagination: &query.PageRequest{Key: page.Pagination.NextKey},
	})))

	_, err = f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(alice), Worker: f.bech(ws[0].addr)})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: "bad"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	job, err := f.q.Job(f.ctx, &types.QueryJobRequest{Id: done})
	require.NoError(t, err)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Job.Status)
	require.Len(t, job.Job.Assignments, 3)
	_, err = f.q.Job(f.ctx, &types.QueryJobRequest{Id: 99})
	require.Equal(t, codes.NotFound, status.Code(err))

	m, err := f.q.Model(f.ctx, &types.QueryModelRequest{Id: modelID})
	require.NoError(t, err)
	require.Equal(t, testModel(modelID, true), m.Model)
	_, err = f.q.Model(f.ctx, &types.QueryModelRequest{Id: "nope"})
	require.Equal(t, codes.NotFound, status.Code(err))
	models, err := f.q.Models(f.ctx, &types.QueryModelsRequest{})
	require.NoError(t, err)
	require.Len(t, models.Models, 1)
	p, err := f.q.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), p.Params)

	// A worker never assigned has empty stats.
	s, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{Worker: f.bech(addr("nobody", 1))})
	require.NoError(t, err)
	require.Equal(t, f.bech(addr("nobody", 1)), s.Stats.Worker)
	require.Zero(t, s.AgreementRateBps)
}

func TestWorkerStatsMedianLatency(t *testing.T) {
	s := types.WorkerStats{JobsServed: 4, JobsAgreed: 3, RecentLatencyBlocks: []int64{5, 1, 9, 2}}
	require.Equal(t, int64(2), s.MedianLatency(), "lower median of 1 2 5 9")
	require.Equal(t, uint32(7500), s.AgreementRateBps())
	s = types.WorkerStats{JobsServed: ^uint64(0), JobsAgreed: ^uint64(0) - 1}
	require.Equal(t, uint32(9999), s.AgreementRateBps(), "no overflow")
}

// TestAuthorityMessages: models and params change only through the authority.
func TestAuthorityMessages(t *testing.T) {
	f := newFixture(t, nil)
	f.next()
	m := testModel("m2", false)
	m.Runtime = "openai:llama-3-8b"
	stranger := f.bech(addr("stranger", 1))
	f.requireRejected(types.ErrInvalidAuthority, func() error {
		_, err := f.msg.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: stranger, Model: m})
		return err
	})
	bad := m
	bad.Runtime = "docker:x"
	f.requireRejected(types.ErrInvalidModel, func() error {
		return deliver(f.ctx, f.msg.RegisterModel, &types.MsgRegisterModel{Authority: f.authority, Model: bad})
	})
	_, err := f.msg.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	require.Len(t, f.events("mesh.inference.v1.EventModelRegistered"), 1)
	f.requireRejected(types.ErrModelExists, func() error {
		_, err := f.msg.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: f.authority, Model: m})
		return err
	})
	m.Status = types.MODEL_STATUS_RETIRED
	_, err = f.msg.UpdateModel(f.ctx, &types.MsgUpdateModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	got, err := f.k.GetModel(f.ctx, "m2")
	require.NoError(t, err)
	require.Equal(t, types.MODEL_STATUS_RETIRED, got.Status)
	unknown := m
	unknown.Id = "m3"
	f.requireRejected(types.ErrModelNotFound, func() error {
		_, err := f.msg.UpdateModel(f.ctx, &types.MsgUpdateModel{Authority: f.authority, Model: unknown})
		return err
	})
	f.requireRejected(types.ErrInvalidAuthority, func() error {
		_, err := f.msg.UpdateModel(f.ctx, &types.MsgUpdateModel{Authority: stranger, Model: m})
		return err
	})

	p := types.DefaultParams()
	p.FeeBurnBps = 9500
	f.requireRejected(types.ErrInvalidParams, func() error {
		return deliver(f.ctx, f.msg.UpdateParams, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	})
	f.requireRejected(types.ErrInvalidAuthority, func() error {
		_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: stranger, Params: types.DefaultParams()})
		return err
	})
	p = types.DefaultParams()
	p.FeeDenoms = []string{"ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"}
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	require.Len(t, f.events("mesh.inference.v1.EventParamsUpdated"), 1)
	got2, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, p, got2)
}
