package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/x/ibcinfer/keeper"
	"github.com/llmesh/mesh/x/ibcinfer/types"
)

// TestQueryStatusCodes: what does not exist is codes.NotFound (REST 404)
// and a malformed request codes.InvalidArgument (REST 400), never a 500
// (issue 17, hostile-input run). The queries read x/ibcinfer's own store
// only: the keeper needs no other keeper here.
func TestQueryStatusCodes(t *testing.T) {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContext(key, storetypes.NewTransientStoreKey("transient_test"))
	enc := moduletestutil.MakeTestEncodingConfig()
	ac := addresscodec.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix())
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	require.NoError(t, err)
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), ac, nil, nil, nil, authority)
	require.NoError(t, k.SetParams(ctx, types.DefaultParams()))
	require.NoError(t, k.PendingAcks.Set(ctx, 7, types.PendingAck{JobId: 7}))
	q := keeper.NewQuerier(k)

	_, err = q.PendingAck(ctx, &types.QueryPendingAckRequest{JobId: 7})
	require.NoError(t, err)
	acc, err := q.Account(ctx, &types.QueryAccountRequest{Channel: "channel-0", Sender: "cosmos1sender"})
	require.NoError(t, err)
	require.NotEmpty(t, acc.Address)

	both := &query.PageRequest{Key: []byte{1}, Offset: 1}
	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"pending ack not found": {func() error {
			_, err := q.PendingAck(ctx, &types.QueryPendingAckRequest{JobId: 8})
			return err
		}, codes.NotFound},
		"pending ack: job id 0": {func() error {
			_, err := q.PendingAck(ctx, &types.QueryPendingAckRequest{})
			return err
		}, codes.InvalidArgument},
		"pending ack: empty request": {func() error {
			_, err := q.PendingAck(ctx, nil)
			return err
		}, codes.InvalidArgument},
		"pending acks: key and offset": {func() error {
			_, err := q.PendingAcks(ctx, &types.QueryPendingAcksRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"refunds: key and offset": {func() error {
			_, err := q.Refunds(ctx, &types.QueryRefundsRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"account: no sender": {func() error {
			_, err := q.Account(ctx, &types.QueryAccountRequest{Channel: "channel-0"})
			return err
		}, codes.InvalidArgument},
		"account: no channel": {func() error {
			_, err := q.Account(ctx, &types.QueryAccountRequest{Sender: "cosmos1sender"})
			return err
		}, codes.InvalidArgument},
		"account: a channel with a separator": {func() error {
			_, err := q.Account(ctx, &types.QueryAccountRequest{Channel: "channel-0/x", Sender: "cosmos1sender"})
			return err
		}, codes.InvalidArgument},
	} {
		err := c.call()
		require.Equal(t, c.want, status.Code(err), "%s: %v", name, err)
		require.NotEmpty(t, status.Convert(err).Message(), name)
	}

	acks, err := q.PendingAcks(ctx, nil)
	require.NoError(t, err)
	require.Len(t, acks.PendingAcks, 1)
	refunds, err := q.Refunds(ctx, &types.QueryRefundsRequest{})
	require.NoError(t, err)
	require.Empty(t, refunds.Refunds)
	p, err := q.Params(ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), p.Params)
}
