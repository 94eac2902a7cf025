package abci

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/llmesh/mesh/app/abci/types"
)

// MaxSidecarResponseBytes bounds what meshd reads from its worker.
const MaxSidecarResponseBytes = 1 << 20

// Sidecar asks the validator's own meshd-worker for its commitments. Every
// failure — no connection, a hang past the timeout, a panic, an error or
// garbage — comes back as an error; ExtendVote then leaves the worker's
// part of the extension empty.
type Sidecar interface {
	Commitments(ctx context.Context, height int64) (*types.CommitmentsResponse, error)
}

// GRPCSidecar is the Sidecar over gRPC (plaintext: the worker listens on
// loopback or a private network next to the node).
type GRPCSidecar struct {
	addr    string
	timeout time.Duration

	mu     sync.Mutex
	conn   *grpc.ClientConn
	client types.SidecarClient
}

// NewGRPCSidecar returns a client of the worker at addr; it connects lazily.
func NewGRPCSidecar(addr string, timeout time.Duration) *GRPCSidecar {
	return &GRPCSidecar{addr: addr, timeout: timeout}
}

func (s *GRPCSidecar) sidecarClient() (types.SidecarClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	// A worker that starts after the node, or restarts, is back within a
	// second (gRPC's default backoff grows to two minutes).
	conn, err := grpc.NewClient(s.addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxSidecarResponseBytes)))
	if err != nil {
		return nil, err
	}
	s.conn, s.client = conn, types.NewSidecarClient(conn)
	return s.client, nil
}

// Commitments calls the worker with the client's timeout.
func (s *GRPCSidecar) Commitments(ctx context.Context, height int64) (*types.CommitmentsResponse, error) {
	c, err := s.sidecarClient()
	if err != nil {
		return nil, fmt.Errorf("sidecar %s: %w", s.addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return c.Commitments(ctx, &types.CommitmentsRequest{Height: height})
}

// Close closes the connection.
func (s *GRPCSidecar) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn, s.client = nil, nil
	return err
}

// callSidecar calls sc and returns its answer, or an error for a failure,
// a panic or an answer that took longer than timeout (a sidecar that
// ignores its context cannot hold the vote).
func callSidecar(ctx context.Context, sc Sidecar, height int64, timeout time.Duration) (*types.CommitmentsResponse, error) {
	type result struct {
		resp *types.CommitmentsResponse
		err  error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	go func() { // off the state machine: ExtendVote is node-local
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("sidecar panicked: %v", r)}
			}
		}()
		resp, err := sc.Commitments(ctx, height)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		if r.err == nil && r.resp == nil {
			r.err = fmt.Errorf("sidecar returned nothing")
		}
		return r.resp, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("sidecar: no answer within %s", timeout)
	}
}
