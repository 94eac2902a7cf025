package keeper_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestJobHooks: a job's named callback runs once when it ends; its writes
// are kept only if it succeeds; an error, a panic or running out of gas is
// reported by EventJobCallbackFailed and never undoes the settlement.
func TestJobHooks(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester, sink := addr("requester", 1), addr("sink", 1)
	f.fund(requester, 100_000)

	var seen []types.Job
	// Each hook moves 1umesh from the requester to sink before its outcome.
	pay := func(ctx context.Context) {
		require.NoError(t, f.bk.SendCoins(ctx, requester, sink, sdk.NewCoins(sdk.NewInt64Coin(denom, 1))))
	}
	f.k.SetJobHooks(map[string]types.JobHooks{
		"ok": types.JobHooksFunc(func(ctx context.Context, job types.Job) error {
			seen = append(seen, job)
			pay(ctx)
			return nil
		}),
		"fails": types.JobHooksFunc(func(ctx context.Context, _ types.Job) error {
			pay(ctx)
			return errors.New("boom")
		}),
		"panics": types.JobHooksFunc(func(ctx context.Context, _ types.Job) error {
			pay(ctx)
			panic("bug")
		}),
		"gas": types.JobHooksFunc(func(ctx context.Context, _ types.Job) error {
			pay(ctx)
			sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(2_000_000, "loop")
			return nil
		}),
	})
	require.Panics(t, func() { f.k.SetJobHooks(map[string]types.JobHooks{"ok": types.JobHooksFunc(nil)}) }, "twice")
	require.Panics(t, func() { f.k.SetJobHooks(map[string]types.JobHooks{"": types.JobHooksFunc(nil)}) })
	require.Panics(t, func() { f.k.SetJobHooks(map[string]types.JobHooks{"nil": nil}) })

	ids := map[string]uint64{}
	f.block(func() {
		for _, cb := range []string{"ok", "fails", "panics", "gas"} {
			msg := f.requestMsg(requester)
			msg.Callback = cb
			ids[cb] = f.moduleRequest(requester, msg)
		}
	})
	f.block(func() {
		for _, id := range ids {
			for _, w := range f.assigned(id) {
				f.commitResult(w, id, "4")
			}
		}
	})
	f.block(func() {
		for _, cb := range []string{"ok", "fails", "panics", "gas"} {
			for _, w := range f.assigned(ids[cb]) {
				f.revealResult(w, ids[cb], "4")
			}
		}
		failed := f.events("mesh.inference.v1.EventJobCallbackFailed")
		require.Len(t, failed, 3)
		require.Equal(t, "fails", attr(failed[0], "callback"))
		require.Contains(t, attr(failed[0], "error"), "boom")
		require.Contains(t, attr(failed[1], "error"), "panic")
		require.Contains(t, attr(failed[2], "error"), "out of gas")
	})
	for _, id := range ids {
		require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(id).Status, "settlement stands")
	}
	require.Len(t, seen, 1)
	require.Equal(t, ids["ok"], seen[0].Id)
	require.Equal(t, types.JOB_STATUS_FINALIZED, seen[0].Status)
	require.Equal(t, []byte("4"), seen[0].Result)
	require.Equal(t, "1", f.balance(sink).String(), "only the successful hook's write is kept")

	// Deadline path: the callback also runs from the EndBlocker.
	var expired uint64
	f.block(func() {
		msg := f.requestMsg(requester)
		msg.Callback = "ok"
		expired = f.moduleRequest(requester, msg)
	})
	f.block(nil) // assigned
	f.advanceTo(f.job(expired).CommitEnd)
	require.Len(t, seen, 2)
	require.Equal(t, types.JOB_STATUS_FAILED, seen[1].Status)
	require.Equal(t, "3500umesh", seen[1].Refunded.String())
}

// moduleRequest requests as a module does (the keeper, not a transaction):
// only a module may name its own callback.
func (f *fixture) moduleRequest(requester sdk.AccAddress, msg *types.MsgRequestInference) uint64 {
	f.t.Helper()
	job, err := f.k.RequestInference(f.ctx, requester, msg)
	require.NoError(f.t, err)
	f.checkEscrow()
	return job.Id
}

// TestNamedCallbackOnlyFromModules: a transaction cannot name a module's
// callback (x/dao's "dao", x/ibcinfer's "ibc"), which would make that module
// act on a job it did not request; only "sudo" is open to transactions.
func TestNamedCallbackOnlyFromModules(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 100_000)
	f.k.SetJobHooks(map[string]types.JobHooks{"mod": types.JobHooksFunc(func(context.Context, types.Job) error { return nil })})
	f.next()
	msg := f.requestMsg(requester)
	msg.Callback = "mod"
	f.requireRejected(types.ErrUnknownCallback, func() error {
		_, err := f.msg.RequestInference(f.ctx, msg)
		return err
	}, "a transaction naming a module's callback")
	f.moduleRequest(requester, msg) // the module itself may
}
