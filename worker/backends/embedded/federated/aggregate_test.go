package federated

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// tiny is a 1-bucket, 1-hidden checkpoint: W1 ‖ B1 ‖ W2 (3) ‖ B2 (3).
func tiny(p ...int32) *Checkpoint { return &Checkpoint{buckets: 1, hidden: 1, p: p} }

func TestAggregateByHand(t *testing.T) {
	a := tiny(10, -7, 0, 100, -300, 5, 0, 1)
	b := tiny(20, -8, 3, 200, 300, 6, 1, 2)
	c := tiny(60, 9, 6, -600, 0, 7, 1, 4)
	d := tiny(-100, 2, 3, 50, 10, 5, 1, 3)
	abc := []Weighted{{a, 1}, {b, 2}, {c, 3}}
	abcd := append(abc, Weighted{d, 4})
	for _, tc := range []struct {
		rule    Rule
		updates []Weighted
		want    []int32
	}{
		// Σ wᵢ·sᵢ / 6: 230/6, 4/6, 24/6, −1300/6 (floor −217), 300/6, 38/6, 5/6, 17/6.
		{FedAvg, abc, []int32{38, 0, 4, -217, 50, 6, 0, 2}},
		// Three updates: dropping min and max leaves the middle one.
		{TrimmedMean, abc, []int32{20, -7, 3, 100, 0, 6, 1, 2}},
		{Median, abc, []int32{20, -7, 3, 100, 0, 6, 1, 2}},
		// Four: the mean of the middle two, floored ((−7+2)/2 = −2.5 → −3);
		// the lower median is the second smallest.
		{TrimmedMean, abcd, []int32{15, -3, 3, 75, 5, 5, 1, 2}},
		{Median, abcd, []int32{10, -7, 3, 50, 0, 5, 1, 2}},
		// Fewer than three: nothing is trimmed ((−7−8)/2 → −8); sample counts
		// weigh nothing outside FedAvg.
		{TrimmedMean, abc[:2], []int32{15, -8, 1, 150, 0, 5, 0, 1}},
		{Median, abc[:2], []int32{10, -8, 0, 100, -300, 5, 0, 1}},
		{FedAvg, abc[:1], a.p},
	} {
		got, err := Aggregate(tc.rule, tc.updates)
		require.NoError(t, err, tc.rule)
		require.Equal(t, tc.want, got.p, "%s of %d", tc.rule, len(tc.updates))

		// Every order gives the same bytes.
		want := got.Digest()
		permute(append([]Weighted(nil), tc.updates...), 0, func(p []Weighted) {
			again, err := Aggregate(tc.rule, p)
			require.NoError(t, err)
			require.Equal(t, want, again.Digest())
		})
	}
}

// permute calls f with every ordering of u (Heap's algorithm would do; this
// is the plain recursive swap).
func permute(u []Weighted, k int, f func([]Weighted)) {
	if k == len(u) {
		f(u)
		return
	}
	for i := k; i < len(u); i++ {
		u[k], u[i] = u[i], u[k]
		permute(u, k+1, f)
		u[k], u[i] = u[i], u[k]
	}
}

func TestAggregateErrors(t *testing.T) {
	a := tiny(1, 2, 3, 4, 5, 6, 7, 8)
	wide := &Checkpoint{buckets: 1, hidden: 2, p: make([]int32, paramCount(1, 2))}
	shifted := &Checkpoint{buckets: 1, hidden: 1, shift: 3, p: make([]int32, 8)}
	for name, tc := range map[string]struct {
		rule    Rule
		updates []Weighted
	}{
		"no updates":   {FedAvg, nil},
		"unknown rule": {Rule(0), []Weighted{{a, 1}}},
		"rule 4":       {Rule(4), []Weighted{{a, 1}}},
		"hidden":       {Median, []Weighted{{a, 1}, {wide, 1}}},
		"shift":        {TrimmedMean, []Weighted{{a, 1}, {shifted, 1}}},
		"nil":          {FedAvg, []Weighted{{a, 1}, {nil, 1}}},
		"zero value":   {FedAvg, []Weighted{{&Checkpoint{}, 1}}},
		"short":        {FedAvg, []Weighted{{tiny(1, 2, 3), 1}}},
		"no samples":   {FedAvg, []Weighted{{a, 1}, {a, 0}}},
		"too many":     {FedAvg, []Weighted{{a, MaxTotalSamples}, {a, 1}}},
	} {
		_, err := Aggregate(tc.rule, tc.updates)
		require.Error(t, err, name)
	}
	// The bound itself is fine, and exact.
	big := tiny(-127<<8, 1<<31-1, -1<<31, 127<<8, 0, 0, 0, 0)
	got, err := Aggregate(FedAvg, []Weighted{{big, MaxTotalSamples - 1}, {tiny(127<<8, 1<<31-1, -1<<31, 0, 0, 0, 0, 0), 1}})
	require.NoError(t, err)
	// (−32512·(2^32−1) + 32512)/2^32 = −32512 + 65024/2^32, floored to −32512;
	// 32512·(2^32−1)/2^32 is just below 32512, floored to 32511.
	require.Equal(t, []int32{-127 << 8, 1<<31 - 1, -1 << 31, 127<<8 - 1, 0, 0, 0, 0}, got.p)
}

func TestParseRule(t *testing.T) {
	for _, r := range []Rule{FedAvg, TrimmedMean, Median} {
		got, err := ParseRule(r.String())
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	require.Equal(t, "trimmed_mean", TrimmedMean.String())
	for _, bad := range []string{"", "FedAvg", "mean", "Rule(0)"} {
		_, err := ParseRule(bad)
		require.Error(t, err, bad)
	}
}
