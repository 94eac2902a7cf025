package scheduler

import (
	"time"

	"github.com/llmesh/mesh/x/compute/poc"
)

// blockClock estimates the block time from the heights the loop sees.
type blockClock struct {
	height int64
	at     time.Time
	// perBlock is an exponential moving average; 0 until two heights were seen.
	perBlock time.Duration
}

func (c *blockClock) observe(height int64, now time.Time) {
	if c.height > 0 && height > c.height {
		sample := now.Sub(c.at) / time.Duration(height-c.height)
		if c.perBlock == 0 {
			c.perBlock = sample
		} else {
			c.perBlock = (3*c.perBlock + sample) / 4
		}
	}
	if height != c.height {
		c.height, c.at = height, now
	}
}

// until estimates the time left before block end is produced after height
// (0 when unknown).
func (c *blockClock) until(height, end int64) time.Duration {
	if c.perBlock == 0 || end <= height {
		return 0
	}
	return time.Duration(end-height) * c.perBlock
}

// proveSample is the last proof's shape, backend and duration.
type proveSample struct {
	d       poc.Dims
	backend string
	took    time.Duration
}

// estimate scales the last proof's duration by multiply-accumulates (0 when
// there was none, or when another backend made it: with backends.Sized a
// small challenge's CPU time says nothing about a large one's on exec).
func (p proveSample) estimate(d poc.Dims, backend string) time.Duration {
	macs := func(d poc.Dims) float64 { return float64(d.M) * float64(d.N) * float64(d.P) }
	if p.took == 0 || macs(p.d) == 0 || p.backend != backend {
		return 0
	}
	return time.Duration(float64(p.took) * macs(d) / macs(p.d))
}
