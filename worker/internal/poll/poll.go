// Package poll is the loop the worker's three loops (the proof-of-compute
// scheduler, the inference jobs and training) run their steps in.
package poll

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Config is a poll loop's settings.
type Config struct {
	// Name is the loop's name in its logs ("<Name> stopped").
	Name   string
	Logger *slog.Logger
	// Interval is the wait after a step that went well (1s when 0);
	// MaxBackoff caps the wait after failed steps, which doubles from
	// Interval (30s when 0).
	Interval, MaxBackoff time.Duration
	// Module, when set, is the chain module the steps query: a step that
	// fails with codes.Unimplemented (the node does not serve it) is
	// logged once and the loop then polls every MaxBackoff.
	Module string
	// Wake, when not nil, ends a wait early.
	Wake <-chan struct{}
}

// Run calls step until ctx is done. A step's error is logged and the next
// step waits longer; Run only returns ctx's error.
func Run(ctx context.Context, cfg Config, step func(context.Context) error) error {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	wait, warned := cfg.Interval, false
	for {
		err := step(ctx)
		switch {
		case ctx.Err() != nil:
			cfg.Logger.Info(cfg.Name + " stopped")
			return ctx.Err()
		case cfg.Module != "" && status.Code(err) == codes.Unimplemented:
			if !warned {
				warned = true
				cfg.Logger.Warn("the node does not serve x/"+cfg.Module+"; polling it slowly", "every", cfg.MaxBackoff, "err", err)
			}
			wait = cfg.MaxBackoff
		case err != nil:
			cfg.Logger.Warn("step failed", "err", err, "retry_in", wait)
			wait = min(2*wait, cfg.MaxBackoff)
		default:
			wait = cfg.Interval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			cfg.Logger.Info(cfg.Name + " stopped")
			return ctx.Err()
		case <-cfg.Wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Within reports whether height lies in the window of blocks that starts at
// the height something was sent: at ≤ height < at+window. A height below at
// is outside it: the chain restarted from an exported genesis at a lower
// height, and what was sent before the restart must be sent again.
func Within(height, at, window int64) bool {
	return at <= height && height-at < window
}
