package cachectx_test

import (
	"errors"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/store/v2"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/cachectx"
)

func newCtx(t *testing.T) (sdk.Context, *storetypes.KVStoreKey) {
	key := storetypes.NewKVStoreKey("test")
	cms := store.NewCommitMultiStore(dbm.NewMemDB(), log.NewNopLogger())
	cms.MountStoreWithDB(key, storetypes.StoreTypeIAVL, nil)
	require.NoError(t, cms.LoadLatestVersion())
	return sdk.NewContext(cms, cmtproto.Header{}, false, log.NewNopLogger()).WithEventManager(sdk.NewEventManager()), key
}

// Writes and events are kept on success only; panics become errors with
// build-independent text; out of gas propagates from Run and is an error
// from RunRecoverOutOfGas.
func TestRun(t *testing.T) {
	ctx, key := newCtx(t)
	write := func(k string, fail error, boom any) func(sdk.Context) error {
		return func(cc sdk.Context) error {
			cc.KVStore(key).Set([]byte(k), []byte("v"))
			cc.EventManager().EmitEvent(sdk.NewEvent(k))
			if boom != nil {
				panic(boom)
			}
			return fail
		}
	}
	require.NoError(t, cachectx.Run(ctx, write("ok", nil, nil)))
	require.True(t, ctx.KVStore(key).Has([]byte("ok")))
	require.Len(t, ctx.EventManager().Events(), 1)

	require.EqualError(t, cachectx.Run(ctx, write("fails", errors.New("no"), nil)), "no")
	require.EqualError(t, cachectx.Run(ctx, write("boom", nil, "bug")), "panic: bug")
	require.EqualError(t, cachectx.Run(ctx, write("boom2", nil, errors.New("bad"))), "panic: bad")
	require.EqualError(t, cachectx.Run(ctx, write("boom3", nil, 7)), "panic: int")
	for _, k := range []string{"fails", "boom", "boom2", "boom3"} {
		require.False(t, ctx.KVStore(key).Has([]byte(k)), k)
	}
	require.Len(t, ctx.EventManager().Events(), 1)

	oog := storetypes.ErrorOutOfGas{Descriptor: "test"}
	require.PanicsWithValue(t, oog, func() { _ = cachectx.Run(ctx, write("gas", nil, oog)) })
	require.EqualError(t, cachectx.RunRecoverOutOfGas(ctx, write("gas", nil, oog)), "out of gas: test")
	require.False(t, ctx.KVStore(key).Has([]byte("gas")))
}
