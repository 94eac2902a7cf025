package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/types"
)

func TestNextReputation(t *testing.T) {
	for _, tc := range []struct{ rep, alpha, target, want uint32 }{
		{5000, 2000, 10000, 6000},
		{5000, 2000, 0, 4000},
		{9999, 2000, 10000, 9999}, // gain floor(0.2) = 0
		{1, 2000, 0, 0},           // loss ceil(0.2) = 1
		{9996, 2000, 10000, 9996},
		{3333, 3333, 10000, 3333 + 2222}, // floor(3333·6667/10000) = 2222
		{3333, 3333, 0, 3333 - 1111},     // ceil(3333·3333/10000) = 1111
		{0, 10000, 10000, 10000},
		{10000, 10000, 0, 0},
		{7000, 2000, 7000, 7000},
	} {
		require.Equal(t, tc.want, keeper.NextReputation(tc.rep, tc.alpha, tc.target), "%+v", tc)
	}
	// Repeated failures reach 0; repeated passes approach but never pass 10000.
	rep := uint32(types.InitialReputationBps)
	for i := 0; i < 100; i++ {
		rep = keeper.NextReputation(rep, 2000, 0)
	}
	require.Zero(t, rep)
	for i := 0; i < 1000; i++ {
		rep = keeper.NextReputation(rep, 2000, 10000)
		require.LessOrEqual(t, rep, uint32(10000))
	}
	require.Equal(t, uint32(9996), rep)
}

func TestRecordJobOutcome(t *testing.T) {
	f := newFixture(t, nil)
	w := addr("work", 1)
	f.register(addr("prov", 1), w, 1)
	rep, err := f.k.RecordJobOutcome(f.ctx, w, true)
	require.NoError(t, err)
	require.Equal(t, uint32(6000), rep)
	rep, err = f.k.RecordJobOutcome(f.ctx, w, false)
	require.NoError(t, err)
	require.Equal(t, uint32(4800), rep)
	require.Equal(t, rep, f.worker(w).ReputationBps)
	_, err = f.k.RecordJobOutcome(f.ctx, addr("nobody", 1), true)
	require.ErrorIs(t, err, types.ErrWorkerNotFound)
}
