package kit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/internal/kit"
)

var (
	errThingNotFound = errorsmod.Register("kittest", 2, "thing not found")
	errBadThing      = errorsmod.Register("kittest", 3, "bad thing")
)

// TestQueryErrors: not found is codes.NotFound, a bad argument
// codes.InvalidArgument, a status keeps its code and message, anything else
// is codes.Internal (a module's registered error is Unknown, a REST 500,
// until mapped).
func TestQueryErrors(t *testing.T) {
	m := kit.QueryErrors{NotFound: []*errorsmod.Error{errThingNotFound}, Invalid: []*errorsmod.Error{errBadThing}}
	require.NoError(t, m.Status(nil))
	require.Equal(t, codes.Unknown, status.Code(errorsmod.Wrap(errThingNotFound, "x")), "why the mapping")
	for err, want := range map[error]codes.Code{
		errorsmod.Wrap(errThingNotFound, "thing 7"):                 codes.NotFound,
		fmt.Errorf("reading: %w", collections.ErrNotFound):          codes.NotFound,
		errorsmod.Wrapf(errBadThing, "%q", "x"):                     codes.InvalidArgument,
		status.Error(codes.FailedPrecondition, "not yet"):           codes.FailedPrecondition,
		errors.New("disk on fire"):                                  codes.Internal,
		errorsmod.Wrap(sdkerrors.ErrInsufficientFunds, "the chain"): codes.Internal,
	} {
		got := m.Status(err)
		require.Equal(t, want, status.Code(got), "%v", err)
		msg := err.Error()
		if s, ok := status.FromError(err); ok && s.Err().Error() == msg {
			msg = s.Message()
		}
		require.Equal(t, msg, status.Convert(got).Message(), "the message says what is wrong")
	}
	s := status.Error(codes.NotFound, "gone")
	require.Equal(t, s, m.Status(s), "a status passes as it is")

	require.NoError(t, kit.CheckPage(nil))
	require.NoError(t, kit.CheckPage(&query.PageRequest{Key: []byte{1}}))
	require.NoError(t, kit.CheckPage(&query.PageRequest{Offset: 3}))
	require.Equal(t, codes.InvalidArgument, status.Code(kit.CheckPage(&query.PageRequest{Key: []byte{1}, Offset: 1})))
	require.NoError(t, kit.CheckID("id", 1))
	require.Equal(t, codes.InvalidArgument, status.Code(kit.CheckID("id", 0)))
	require.NoError(t, kit.Internal(nil))
	require.Equal(t, codes.Internal, status.Code(kit.Internal(errors.New("x"))))
}
