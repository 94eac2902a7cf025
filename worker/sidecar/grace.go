package sidecar

// Grace decides when a commit tx held back for the vote extension goes out.
//
// meshd asks the sidecar in ExtendVote at height h and the chain applies the
// answer in block h+1, before that block's txs; a worker that sees height h
// has missed h's extension, so a commitment published then lands from h+1's
// and shows at h+2. Measured on a localnet (1 s blocks), a commit tx sent at
// once always landed first (it spends the timeout_commit in the mempool)
// and failed its fee whenever the extension did carry it. So with the
// sidecar on, the loops publish at once and broadcast only if the
// commitment is not on chain Blocks blocks after they first published it,
// or at once when the commit window has no more than Blocks left: the tx is
// the fallback when the node or the validator's extension does not carry it.
//
// A nil *Grace never holds anything back (sidecar off, or Blocks 0). The
// loops keep it in memory: a restarted worker waits out a fresh grace,
// still bounded by the window. Not safe for concurrent use.
type Grace[K comparable] struct {
	blocks int64
	since  map[K]int64 // the height at which each key was first held
}

// NewGrace holds commit txs for blocks blocks; nil (hold nothing) when
// blocks <= 0.
func NewGrace[K comparable](blocks int64) *Grace[K] {
	if blocks <= 0 {
		return nil
	}
	return &Grace[K]{blocks: blocks, since: map[K]int64{}}
}

// Hold reports whether the commit tx for k, published and not on chain at
// height, should wait for the vote extension. The first call for k starts
// its grace.
func (g *Grace[K]) Hold(k K, height, commitEnd int64) bool {
	if g == nil {
		return false
	}
	since, ok := g.since[k]
	if !ok {
		since = height
		g.since[k] = since
	}
	// Leave the tx the window's last blocks (at least one, as blocks >= 1):
	// a commit that misses commit_end costs the epoch or the job.
	if commitEnd-height <= g.blocks {
		return false
	}
	return height-since < g.blocks
}

// Held reports whether k's grace has started (its commit tx was held).
func (g *Grace[K]) Held(k K) bool {
	if g == nil {
		return false
	}
	_, ok := g.since[k]
	return ok
}

// Retain forgets every key keep refuses (epochs and jobs that moved on).
func (g *Grace[K]) Retain(keep func(K) bool) {
	if g == nil {
		return
	}
	for k := range g.since {
		if !keep(k) {
			delete(g.since, k)
		}
	}
}
