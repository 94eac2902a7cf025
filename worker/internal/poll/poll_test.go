package poll_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmesh/mesh/worker/internal/poll"
)

// A node without the module is reported once, Wake cuts an hour's wait
// short, and Run returns ctx's error once ctx is done.
func TestRun(t *testing.T) {
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	wake := make(chan struct{}, 1)
	steps := 0
	cfg := poll.Config{Name: "test loop", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Interval: time.Hour, MaxBackoff: time.Hour, Module: "inference", Wake: wake}
	err := poll.Run(ctx, cfg, func(context.Context) error {
		if steps++; steps == 3 {
			cancel()
		}
		wake <- struct{}{}
		return status.Error(codes.Unimplemented, "unknown service")
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 3, steps)
	require.Equal(t, 1, strings.Count(logs.String(), "the node does not serve x/inference; polling it slowly"))
	require.Contains(t, logs.String(), "test loop stopped")
}

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		height, at, window int64
		want               bool
	}{
		{10, 10, 3, true},
		{12, 10, 3, true},
		{13, 10, 3, false},
		{9, 10, 3, false}, // the chain restarted below the stored height
		{1, 70, 3, false},
	} {
		if got := poll.Within(c.height, c.at, c.window); got != c.want {
			t.Errorf("poll.Within(%d, %d, %d) = %v, want %v", c.height, c.at, c.window, got, c.want)
		}
	}
}
