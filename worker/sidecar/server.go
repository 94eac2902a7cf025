package sidecar

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
)

// Server implements abcitypes.SidecarServer over a Store.
type Server struct {
	abcitypes.UnimplementedSidecarServer
	store *Store
	// requests, when set, counts the Commitments calls answered.
	requests prometheus.Counter
}

var _ abcitypes.SidecarServer = (*Server)(nil)

// NewServer answers from store; requests (optional) counts the calls.
func NewServer(store *Store, requests prometheus.Counter) *Server {
	return &Server{store: store, requests: requests}
}

// Commitments implements abcitypes.SidecarServer. It never fails and never
// waits on anything but the store's lock.
func (s *Server) Commitments(_ context.Context, req *abcitypes.CommitmentsRequest) (*abcitypes.CommitmentsResponse, error) {
	if s.requests != nil {
		s.requests.Inc()
	}
	return s.store.Commitments(req.GetHeight()), nil
}

// Serve listens on addr and serves the Sidecar service until ctx ends. It
// returns the address it listens on and a channel that yields the server's
// end (nil after ctx ended).
func Serve(ctx context.Context, addr string, srv *Server, log *slog.Logger) (net.Addr, <-chan error, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	// The codec meshd's own gRPC server forces for these gogoproto types
	// (the wire format is the same as the default codec's).
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry()).GRPCCodec()
	gs := grpc.NewServer(grpc.ForceServerCodec(cdc))
	abcitypes.RegisterSidecarServer(gs, srv)
	done := make(chan error, 1)
	go func() { done <- gs.Serve(lis) }()
	go func() {
		<-ctx.Done()
		stopped := make(chan struct{})
		go func() {
			gs.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			gs.Stop()
		}
	}()
	log.Info("sidecar server listening", "addr", lis.Addr().String())
	return lis.Addr(), done, nil
}
