// Command meshd-worker is the off-chain worker of a meshd network: it proves
// compute for its provider (x/compute proof-of-compute) and talks to a node
// over gRPC only. See worker/README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/llmesh/mesh/worker/chain"
)

func main() {
	// Before anything formats an address.
	chain.SetSDKConfig()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := NewRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil && !errors.Is(err, errSilent) {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	if err != nil {
		os.Exit(1)
	}
}
