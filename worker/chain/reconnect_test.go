package chain_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/chain"
)

// proxy forwards addr to target until closed; closing it drops every
// connection and refuses new ones, as a node that went down does.
type proxy struct {
	lis   net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	lis, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	p := &proxy{lis: lis}
	go func() {
		for {
			in, err := lis.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	p.lis.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// After its node has been away for a while the client redials on its own
// schedule (Backoff doubling to MaxBackoff, 100 ms here): calls succeed
// within a few hundred milliseconds of the node's return. With gRPC's default
// connect backoff (1 s × 1.6ⁿ up to 120 s) the next dial after a 3 s outage
// comes 1–3 s after the node is back, and after a 20 s outage about 9 s
// after (measured before the fix).
func TestRedialsSoonAfterNodeReturns(t *testing.T) {
	lis := listen(t)
	front := lis.Addr().String()
	require.NoError(t, lis.Close())
	c, n := newClient(t, front, func(cfg *chain.Config) { cfg.MaxAttempts = 1 })
	target := n.Listen(t)

	p := startProxy(t, front, target)
	_, err := c.Height(context.Background())
	require.NoError(t, err)

	// The node goes away for 3 s; the worker's loops keep calling meanwhile.
	p.close()
	for down := time.Now(); time.Since(down) < 3*time.Second; time.Sleep(50 * time.Millisecond) {
		_, err := c.Height(context.Background())
		require.Error(t, err)
		require.True(t, chain.Unreachable(err), "%v", err)
	}

	startProxy(t, front, target)
	back := time.Now()
	for {
		if _, err := c.Height(context.Background()); err == nil {
			break
		}
		require.Less(t, time.Since(back), 800*time.Millisecond, "no connection to the node %s after it came back", time.Since(back))
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("reconnected %s after the node came back", time.Since(back).Round(time.Millisecond))
}
