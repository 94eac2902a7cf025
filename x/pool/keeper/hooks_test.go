package keeper_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktestutil "github.com/cosmos/cosmos-sdk/x/bank/testutil"
)

// recordingHooks records BeforeSharesChange calls, writes a marker through
// the bank keeper, and fails or panics on request.
type recordingHooks struct {
	calls []sdk.AccAddress
	fail  error
	boom  bool
	write func(ctx context.Context)
}

func (h *recordingHooks) BeforeSharesChange(ctx context.Context, provider sdk.AccAddress) error {
	h.calls = append(h.calls, provider)
	h.write(ctx)
	if h.boom {
		panic("hook panicked")
	}
	return h.fail
}

// The hook runs before every Delegate and Undelegate, in a cache context: a
// failing or panicking hook leaves nothing behind and the delegation goes on.
func TestBeforeSharesChangeHook(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.fund(alice, 10_000)
	marker := sdk.AccAddress([]byte("hook-marker-000000000"))
	h := &recordingHooks{write: func(ctx context.Context) {
		require.NoError(t, banktestutil.FundAccount(ctx, f.bk, marker, sdk.NewCoins(sdk.NewInt64Coin(denom, 1))))
	}}
	f.k.SetHooks(h)
	require.Panics(t, func() { f.k.SetHooks(h) }, "set once")

	_, err := f.k.Delegate(f.ctx, alice, provider, sdk.NewInt64Coin(denom, 1_000))
	require.NoError(t, err)
	require.Equal(t, []sdk.AccAddress{provider}, h.calls)
	require.Equal(t, int64(1), f.balance(marker).Int64(), "a successful hook's writes are kept")

	h.fail = errors.New("rewards down")
	_, err = f.k.Delegate(f.ctx, alice, provider, sdk.NewInt64Coin(denom, 1_000))
	require.NoError(t, err, "a failing hook does not stop the delegation")
	require.Equal(t, int64(1), f.balance(marker).Int64(), "its writes are discarded")

	h.fail, h.boom = nil, true
	_, err = f.k.Undelegate(f.ctx, alice, provider, sdk.NewInt64Coin(denom, 500))
	require.NoError(t, err, "nor does a panicking one")
	require.Equal(t, int64(1), f.balance(marker).Int64())
	require.Len(t, h.calls, 3)
}
