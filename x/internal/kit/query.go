package kit

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/query"
)

// Query errors (issue 17, hostile-input run). The REST gateway answers a
// query error with the HTTP status of its gRPC code: codes.NotFound is a
// 404, codes.InvalidArgument a 400, and anything else, a module's registered
// error included (its gRPC code is Unknown), a 500. The query servers of
// meshd's modules therefore answer with a gRPC status: NotFound for what
// does not exist, InvalidArgument for a malformed request (a bad address, an
// empty id, a bad page request or filter), Internal for a failure of the
// chain's own state.

// ErrEmptyRequest answers a nil request.
var ErrEmptyRequest = status.Error(codes.InvalidArgument, "empty request")

// CheckPage refuses a page request that the SDK's collection pagination
// would fail on: a key and an offset together are the caller's mistake,
// codes.InvalidArgument. Any other pagination error (a broken index, a store
// failure) is the chain's: map it with Internal.
func CheckPage(p *query.PageRequest) error {
	if p != nil && len(p.Key) != 0 && p.Offset != 0 {
		return status.Error(codes.InvalidArgument, "pagination: give either offset or key, not both")
	}
	return nil
}

// CheckID refuses id 0 of a record whose ids start at 1.
func CheckID(field string, id uint64) error {
	if id == 0 {
		return status.Errorf(codes.InvalidArgument, "%s is empty (ids start at 1)", field)
	}
	return nil
}

// Internal is err as codes.Internal (nil for nil).
func Internal(err error) error {
	if err == nil {
		return nil
	}
	return status.Error(codes.Internal, err.Error())
}

// QueryErrors maps a module's keeper errors to gRPC statuses for its query
// server.
type QueryErrors struct {
	// NotFound are the module's not-found errors (codes.NotFound);
	// collections.ErrNotFound always is one.
	NotFound []*errorsmod.Error
	// Invalid are the module's bad-argument errors (codes.InvalidArgument).
	Invalid []*errorsmod.Error
}

// Status maps err: nil stays nil; a module not-found error codes.NotFound,
// a module bad-argument error codes.InvalidArgument; an error that already
// carries a gRPC code other than Unknown (a status, an SDK error registered
// with a code) keeps it; anything else is codes.Internal.
func (m QueryErrors) Status(err error) error {
	if err == nil {
		return nil
	}
	if isOf(err, m.NotFound) || errorsmod.IsOf(err, collections.ErrNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	if isOf(err, m.Invalid) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if s := status.Convert(err); s.Code() != codes.Unknown && s.Code() != codes.OK {
		if s.Err().Error() == err.Error() {
			return err // a status already
		}
		return status.Error(s.Code(), err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

func isOf(err error, targets []*errorsmod.Error) bool {
	for _, t := range targets {
		if errorsmod.IsOf(err, t) {
			return true
		}
	}
	return false
}
