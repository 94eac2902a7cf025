package chain

import (
	"context"
	"fmt"

	query "github.com/cosmos/cosmos-sdk/types/query"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

const (
	// jobsPageLimit is the page size of OpenJobs.
	jobsPageLimit = 100
	// maxJobPages bounds OpenJobs (x/inference caps a worker's open jobs far lower).
	maxJobPages = 50
)

// OpenJobs implements Inference.
func (c *Client) OpenJobs(ctx context.Context) ([]inferencetypes.Job, error) {
	var out []inferencetypes.Job
	var key []byte
	for page := 0; page < maxJobPages; page++ {
		req := &inferencetypes.QueryJobsRequest{Worker: c.addr, OpenOnly: true,
			Pagination: &query.PageRequest{Key: key, Limit: jobsPageLimit}}
		res, err := call(ctx, c, "jobs", func(ctx context.Context) (*inferencetypes.QueryJobsResponse, error) {
			return c.inference.Jobs(ctx, req)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Jobs...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
	return nil, fmt.Errorf("jobs: more than %d pages of open jobs", maxJobPages)
}

// Job implements Inference.
func (c *Client) Job(ctx context.Context, id uint64) (inferencetypes.Job, error) {
	res, err := call(ctx, c, "job", func(ctx context.Context) (*inferencetypes.QueryJobResponse, error) {
		return c.inference.Job(ctx, &inferencetypes.QueryJobRequest{Id: id})
	})
	if err != nil {
		return inferencetypes.Job{}, err
	}
	return res.Job, nil
}

// Model implements Inference.
func (c *Client) Model(ctx context.Context, id string) (inferencetypes.Model, error) {
	res, err := call(ctx, c, "model", func(ctx context.Context) (*inferencetypes.QueryModelResponse, error) {
		return c.inference.Model(ctx, &inferencetypes.QueryModelRequest{Id: id})
	})
	if err != nil {
		return inferencetypes.Model{}, err
	}
	return res.Model, nil
}
