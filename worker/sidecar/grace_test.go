package sidecar

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Off (nil, or 0 blocks): every commit tx goes out at once.
func TestGraceOff(t *testing.T) {
	for _, g := range []*Grace[int64]{nil, NewGrace[int64](0), NewGrace[int64](-1)} {
		require.Nil(t, g)
		require.False(t, g.Hold(1, 5, 100))
		require.False(t, g.Held(1))
		g.Retain(func(int64) bool { return false })
	}
}

// The heights at which Hold says "broadcast now" for a commitment first
// held at start, polled every block.
func TestGraceHoldsThenLetsGo(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		blocks, start, commitEnd int64
		firstBroadcast           int64
		heldAtStart              bool
	}{
		{"grace 2, long window", 2, 10, 100, 12, true},
		{"grace 1", 1, 10, 100, 11, true},
		{"window cuts the grace", 5, 10, 13, 10, false}, // 3 left ≤ 5: at once
		{"window cuts it later", 5, 10, 17, 12, true},   // 7, 6 left: held; 5 left: go
		{"two blocks left, grace 2", 2, 18, 20, 18, false},
		{"one block left", 2, 19, 20, 19, false},
		{"three blocks left, grace 2", 2, 17, 20, 18, true}, // held at 17 (3 left), 18 has 2 left
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGrace[uint64](tc.blocks)
			require.Equal(t, tc.heldAtStart, g.Hold(7, tc.start, tc.commitEnd))
			require.True(t, g.Held(7), "the grace started")
			h := tc.start
			if tc.heldAtStart {
				for h++; g.Hold(7, h, tc.commitEnd); h++ {
					require.Less(t, h, tc.commitEnd, "never held to the end of the window")
				}
			}
			require.Equal(t, tc.firstBroadcast, h)
			require.False(t, g.Hold(7, h+1, tc.commitEnd), "and not held again")
			require.Positive(t, tc.commitEnd-h, "a block left for the tx")
		})
	}
}

// Each key has its own grace; Retain forgets keys (the loops drop the
// epochs and jobs that moved on), and a forgotten key starts afresh.
func TestGracePerKey(t *testing.T) {
	g := NewGrace[uint64](2)
	require.True(t, g.Hold(1, 10, 100))
	require.True(t, g.Hold(2, 11, 100))
	require.False(t, g.Hold(1, 12, 100))
	require.True(t, g.Hold(2, 12, 100))
	require.False(t, g.Hold(2, 13, 100))

	g.Retain(func(k uint64) bool { return k == 2 })
	require.False(t, g.Held(1))
	require.True(t, g.Held(2))
	require.True(t, g.Hold(1, 20, 100), "a fresh grace")
}
