package keeper_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// fakeContracts plays x/wasm: a fixed set of contract addresses whose sudo
// does what behave says for that contract.
type fakeContracts struct {
	f      *fixture
	behave map[string]func(ctx context.Context, msg []byte) error
	calls  map[string][][]byte
}

func (c *fakeContracts) IsContract(_ context.Context, a sdk.AccAddress) bool {
	_, ok := c.behave[a.String()]
	return ok
}

func (c *fakeContracts) Sudo(ctx context.Context, contract sdk.AccAddress, msg []byte) ([]byte, error) {
	c.calls[contract.String()] = append(c.calls[contract.String()], msg)
	return nil, c.behave[contract.String()](ctx, msg)
}

// sudoResult is the callback JSON, as a contract reads it.
type sudoResult struct {
	InferenceResult struct {
		JobID        string `json:"job_id"`
		Status       string `json:"status"`
		Output       []byte `json:"output"`
		OutputDigest string `json:"output_digest"`
		Model        string `json:"model"`
		FeeSpent     struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"fee_spent"`
		Refunded struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"refunded"`
	} `json:"inference_result"`
}

func sudoRequest(f *fixture, contract sdk.AccAddress, gas uint64) *types.MsgRequestInference {
	msg := f.requestMsg(contract)
	msg.Callback, msg.CallbackGasLimit = types.SudoCallback, gas
	return msg
}

// TestContractCallbacks: contracts that requested with callback "sudo" are
// called once their jobs end, in the EndBlocker, with the job's result. A
// contract that errors, panics, runs out of its gas or re-enters its own job
// has its call's writes discarded and the outcome recorded; the settlement
// (status, fees, refunds) is the same for all of them.
func TestContractCallbacks(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	sink := addr("sink", 1)
	names := []string{"ok", "fails", "panics", "gas", "reenters"}
	contracts := map[string]sdk.AccAddress{}
	for i, n := range names {
		contracts[n] = addr("contract", i)
	}
	pay := func(ctx context.Context, from string) {
		require.NoError(t, f.bk.SendCoins(ctx, contracts[from], sink, sdk.NewCoins(sdk.NewInt64Coin(denom, 1))))
	}
	var reentry error
	fc := &fakeContracts{f: f, calls: map[string][][]byte{}, behave: map[string]func(context.Context, []byte) error{
		contracts["ok"].String(): func(ctx context.Context, _ []byte) error { pay(ctx, "ok"); return nil },
		contracts["fails"].String(): func(ctx context.Context, _ []byte) error {
			pay(ctx, "fails")
			return errors.New("contract says no")
		},
		contracts["panics"].String(): func(ctx context.Context, _ []byte) error { pay(ctx, "panics"); panic("bug") },
		contracts["gas"].String(): func(ctx context.Context, _ []byte) error {
			pay(ctx, "gas")
			sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(300_000, "loop")
			return nil
		},
		contracts["reenters"].String(): func(ctx context.Context, msg []byte) error {
			var r sudoResult
			require.NoError(t, json.Unmarshal(msg, &r))
			var id uint64
			require.NoError(t, json.Unmarshal([]byte(r.InferenceResult.JobID), &id))
			w := f.assigned(id)[0]
			_, reentry = f.msg.RevealResult(ctx, revealMsg(f, w, id, "4"))
			return reentry
		},
	}}
	f.k.SetContractKeeper(fc)

	for _, n := range names {
		f.fund(contracts[n], 100_000)
	}
	ids := map[string]uint64{}
	f.block(func() {
		for _, n := range names {
			ids[n] = f.request(sudoRequest(f, contracts[n], 200_000)).JobId
		}
	})
	f.block(func() {
		for _, n := range names {
			for _, w := range f.assigned(ids[n]) {
				f.commitResult(w, ids[n], "4")
			}
		}
	})
	f.block(func() {
		for _, n := range names {
			for _, w := range f.assigned(ids[n]) {
				f.revealResult(w, ids[n], "4")
			}
		}
		require.Empty(t, fc.calls, "callbacks wait for the EndBlocker")
	})
	evs := f.events("mesh.inference.v1.EventContractCallback")
	require.Len(t, evs, len(names), "every callback ran in the reveal block's EndBlocker")
	outcome := map[string]sdk.Event{}
	for _, e := range evs {
		outcome[attr(e, "contract")] = e
	}
	for _, n := range names {
		e := outcome[contracts[n].String()]
		require.Equal(t, n == "ok", attr(e, "success") == "true", n)
		require.Len(t, fc.calls[contracts[n].String()], 1, "%s called once", n)
		job := f.job(ids[n])
		require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status, "%s: the settlement stands", n)
		require.False(t, job.CallbackPending)
	}
	require.Contains(t, attr(outcome[contracts["fails"].String()], "error"), "contract says no")
	require.Contains(t, attr(outcome[contracts["panics"].String()], "error"), "panic")
	require.Contains(t, attr(outcome[contracts["gas"].String()], "error"), "out of gas")
	require.Equal(t, "200000", attr(outcome[contracts["gas"].String()], "gas_used"), "gas used stops at the limit")
	require.ErrorIs(t, reentry, types.ErrReentrantCallback)
	require.Equal(t, int64(1), f.balance(sink).Int64(), "only the successful callback's writes are kept")

	// The result the contract got matches the job.
	var r sudoResult
	require.NoError(t, json.Unmarshal(fc.calls[contracts["ok"].String()][0], &r))
	job := f.job(ids["ok"])
	require.Equal(t, "FINALIZED", r.InferenceResult.Status)
	require.Equal(t, []byte("4"), r.InferenceResult.Output)
	require.Equal(t, modelID, r.InferenceResult.Model)
	require.Equal(t, job.Refunded.Amount.String(), r.InferenceResult.Refunded.Amount)
	require.Equal(t, job.MaxFee.Amount.Sub(job.Refunded.Amount).String(), r.InferenceResult.FeeSpent.Amount)
	require.Equal(t, denom, r.InferenceResult.FeeSpent.Denom)
	// Every contract paid the same fee: the callback never changes payouts.
	for _, n := range names {
		require.Equal(t, job.Refunded, f.job(ids[n]).Refunded, n)
	}
}

// TestContractCallbackRequests: "sudo" is for contract requesters with a gas
// limit within max_callback_gas, paid by the request's transaction.
func TestContractCallbackRequests(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	contract, user := addr("contract", 1), addr("user", 1)
	f.k.SetContractKeeper(&fakeContracts{f: f, calls: map[string][][]byte{}, behave: map[string]func(context.Context, []byte) error{
		contract.String(): func(context.Context, []byte) error { return nil },
	}})
	f.fund(contract, 100_000)
	f.fund(user, 100_000)
	f.next()

	msg := sudoRequest(f, contract, 0)
	require.ErrorIs(t, msg.ValidateBasic(), types.ErrInvalidCallbackGas, "sudo needs a gas limit")
	msg = f.requestMsg(user)
	msg.CallbackGasLimit = 10
	require.ErrorIs(t, msg.ValidateBasic(), types.ErrInvalidCallbackGas, "a gas limit needs sudo")

	f.requireRejected(types.ErrUnknownCallback, func() error {
		_, err := f.msg.RequestInference(f.ctx, sudoRequest(f, user, 1000))
		return err
	}, "a user is not a contract")
	f.requireRejected(types.ErrInvalidCallbackGas, func() error {
		_, err := f.msg.RequestInference(f.ctx, sudoRequest(f, contract, types.DefaultMaxCallbackGas+1))
		return err
	}, "above max_callback_gas")

	measure := func(msg *types.MsgRequestInference) uint64 {
		ctx := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		_, err := f.msg.RequestInference(ctx, msg)
		require.NoError(t, err)
		return ctx.GasMeter().GasConsumed()
	}
	plain := measure(f.requestMsg(contract))
	withCallback := measure(sudoRequest(f, contract, 500_000))
	require.GreaterOrEqual(t, withCallback, plain+500_000, "the callback's gas is paid at the request")
}

// TestContractCallbackQueue: at most max_callbacks_per_block callbacks run
// per block, oldest first; the others wait, flagged on their jobs, survive
// an export (and are queued again by the import), and run in later blocks.
func TestContractCallbackQueue(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MaxCallbacksPerBlock = 2 })
	f.addWorkers(3)
	var order []string
	fc := &fakeContracts{f: f, calls: map[string][][]byte{}, behave: map[string]func(context.Context, []byte) error{}}
	var contracts []sdk.AccAddress
	for i := range 5 {
		c := addr("contract", i)
		contracts = append(contracts, c)
		fc.behave[c.String()] = func(_ context.Context, msg []byte) error {
			var r sudoResult
			require.NoError(t, json.Unmarshal(msg, &r))
			order = append(order, r.InferenceResult.JobID)
			return nil
		}
		f.fund(c, 100_000)
	}
	f.k.SetContractKeeper(fc)
	var ids []uint64
	f.block(func() {
		for _, c := range contracts {
			ids = append(ids, f.request(sudoRequest(f, c, 100_000)).JobId)
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
		for _, id := range ids {
			for _, w := range f.assigned(id) {
				f.revealResult(w, id, "4")
			}
		}
	})
	require.Len(t, order, 2, "two callbacks in the block the jobs ended")
	pending := 0
	for _, id := range ids {
		if f.job(id).CallbackPending {
			pending++
		}
	}
	require.Equal(t, 3, pending, "the others wait, flagged on their jobs")

	// The flags are the queue in genesis: an import queues them again.
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.NoError(t, f.k.CallbackQueue.Clear(f.ctx, nil))
	require.NoError(t, f.k.InitGenesis(f.ctx, gs))

	f.block(nil)
	require.Len(t, order, 4)
	f.block(nil)
	require.Len(t, order, 5)
	f.block(nil)
	require.Len(t, order, 5, "each callback once")
	for i, id := range ids {
		require.Equal(t, strconv.FormatUint(id, 10), order[i], "oldest first")
	}
}
