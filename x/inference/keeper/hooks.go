package keeper

import (
	"context"
	"fmt"
	"slices"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// CallbackGasLimit bounds the gas of one job-end callback. The callback of a
// job settled by a reveal runs inside the revealer's transaction, so it must
// not cost the revealer more than a known amount.
const CallbackGasLimit = 1_000_000

// callbackRegistry holds the job-end hooks by callback name. It is filled
// once while the app is wired and only looked up by name afterwards: no
// state path iterates it.
type callbackRegistry struct {
	hooks map[string]types.JobHooks
	// contracts runs "sudo" callbacks; nil until the app sets it.
	contracts types.ContractKeeper
	// running is the job whose contract callback is running (0: none): its
	// commits and reveals are refused meanwhile. Set and cleared around
	// each call in the EndBlocker, never left set between blocks.
	running uint64
}

// SetContractKeeper sets the x/wasm adapter that runs "sudo" callbacks.
// Call it once while wiring the app.
func (k Keeper) SetContractKeeper(ck types.ContractKeeper) { k.callbacks.contracts = ck }

// SetJobHooks registers job-end hooks by callback name (a requester names
// one in MsgRequestInference.callback, e.g. "dao"). Call it once while wiring
// the app, before the first block. It panics on an invalid or repeated name
// or a nil hook: these are wiring bugs.
func (k Keeper) SetJobHooks(hooks map[string]types.JobHooks) {
	names := make([]string, 0, len(hooks))
	for name := range hooks {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic panics, whatever the map order
	if k.callbacks.hooks == nil {
		k.callbacks.hooks = make(map[string]types.JobHooks, len(names))
	}
	for _, name := range names {
		if name == "" || len(name) > types.MaxCallbackLength {
			panic(fmt.Sprintf("x/inference: invalid callback name %q", name))
		}
		if _, dup := k.callbacks.hooks[name]; dup {
			panic(fmt.Sprintf("x/inference: callback %q registered twice", name))
		}
		if hooks[name] == nil {
			panic(fmt.Sprintf("x/inference: callback %q is nil", name))
		}
		k.callbacks.hooks[name] = hooks[name]
	}
}

// HasCallback reports whether a job-end callback is registered under name.
func (k Keeper) HasCallback(name string) bool {
	_, ok := k.callbacks.hooks[name]
	return ok
}

// runCallback calls the job's callback, if any, once the job has ended and
// its settlement is written. It runs in a cache context with its own gas
// meter of CallbackGasLimit; an error, a panic or running out of gas
// discards its writes, is logged and emitted as EventJobCallbackFailed, and
// never undoes the settlement.
func (k Keeper) runCallback(ctx context.Context, job types.Job) {
	if job.Callback == "" {
		return
	}
	if job.Callback == types.SudoCallback {
		k.queueContractCallback(ctx, job)
		return
	}
	hook, ok := k.callbacks.hooks[job.Callback]
	var err error
	if !ok {
		err = fmt.Errorf("callback %q is not registered", job.Callback)
	} else {
		err = cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
			cc = cc.WithGasMeter(storetypes.NewGasMeter(CallbackGasLimit))
			return hook.AfterJobEnded(cc, job)
		})
	}
	if err == nil {
		return
	}
	k.Logger(ctx).Error("inference job callback failed", "job", job.Id, "callback", job.Callback, "err", err)
	if err := kit.Emit(ctx, &types.EventJobCallbackFailed{JobId: job.Id, Callback: job.Callback, Error: err.Error()}); err != nil {
		k.Logger(ctx).Error("emit callback failure", "err", err)
	}
}
