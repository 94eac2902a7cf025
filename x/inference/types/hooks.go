package types

import "context"

// JobHooks is implemented by a module that wants to know when a job it
// requested ends (x/dao attaches an analysis to a proposal). A job names its
// callback at the request; the keeper calls the hooks registered under that
// name once, when the job is FINALIZED, FAILED or EXPIRED, in a cache
// context with a bounded gas meter. An error or panic is logged and emitted
// as EventJobCallbackFailed; it never reverts the settlement.
type JobHooks interface {
	AfterJobEnded(ctx context.Context, job Job) error
}

// MultiJobHooks calls several hooks in order; the first error stops it.
type MultiJobHooks []JobHooks

var _ JobHooks = MultiJobHooks{}

// NewMultiJobHooks combines hooks.
func NewMultiJobHooks(hooks ...JobHooks) MultiJobHooks { return hooks }

// AfterJobEnded implements JobHooks.
func (m MultiJobHooks) AfterJobEnded(ctx context.Context, job Job) error {
	for _, h := range m {
		if err := h.AfterJobEnded(ctx, job); err != nil {
			return err
		}
	}
	return nil
}

// JobHooksFunc adapts a function to JobHooks.
type JobHooksFunc func(ctx context.Context, job Job) error

// AfterJobEnded implements JobHooks.
func (f JobHooksFunc) AfterJobEnded(ctx context.Context, job Job) error { return f(ctx, job) }
