package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// scalePot is the rewards pot of the scale tests and benchmarks.
const scalePot = "1234567umesh,999ibc/XYZ"

// Points of the 10,000-participant epoch: account i has i%7+1 in poc and
// i%5+1 in inference. Smaller epochs spread the same totals over fewer
// accounts, so that every epoch closes on the same figures.
const bigN = 10_000

func bigPoints(i int) (poc, inference uint64) { return uint64(i%7 + 1), uint64(i%5 + 1) }

func pointTotals() (poc, inference uint64) {
	for i := 0; i < bigN; i++ {
		p, q := bigPoints(i)
		poc, inference = poc+p, inference+q
	}
	return poc, inference
}

// spread is account i's share of total over n accounts.
func spread(total uint64, n, i int) uint64 {
	p := total / uint64(n)
	if uint64(i) < total%uint64(n) {
		p++
	}
	return p
}

// participants funds the pot and credits n accounts in poc and inference of
// the open epoch; it returns each account's points.
func participants(f *fixture, n int) (accounts []sdk.AccAddress, poc, inference []uint64) {
	f.t.Helper()
	f.mintTo(types.ModuleName, coins(f.t, scalePot))
	totalPoc, totalInf := pointTotals()
	for i := 0; i < n; i++ {
		a := addr("scale", i)
		p, q := spread(totalPoc, n, i), spread(totalInf, n, i)
		if n == bigN {
			p, q = bigPoints(i)
		}
		f.add(types.CategoryPoC, a, p)
		f.add(types.CategoryInference, a, q)
		accounts, poc, inference = append(accounts, a), append(poc, p), append(inference, q)
	}
	f.commit()
	return accounts, poc, inference
}

// closeGas is the gas CloseEpoch consumes on a fresh meter.
func closeGas(f *fixture) (storetypes.Gas, types.EpochSummary) {
	f.t.Helper()
	ctx := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	s, err := f.k.CloseEpoch(ctx)
	require.NoError(f.t, err)
	return ctx.GasMeter().GasConsumed(), s
}

// TestCloseEpochScale: closing an epoch of 10,000 participants costs the
// same gas as one of 200 with the same totals, and exactly the two extra
// varint bytes of participants (read and written once each) more than one
// of 10; claims then pay each sampled account exactly points × rate.
func TestCloseEpochScale(t *testing.T) {
	gas := map[int]storetypes.Gas{}
	var summaries []types.EpochSummary
	for _, n := range []int{10, 200} {
		f := newFixture(t, withParams(noEarly))
		participants(f, n)
		g, s := closeGas(f)
		gas[n] = g
		summaries = append(summaries, s)
	}

	f := newFixture(t, withParams(noEarly))
	accounts, poc, inference := participants(f, bigN)
	g, s := closeGas(f)
	gas[bigN] = g
	t.Logf("CloseEpoch gas: %v", gas)

	require.Equal(t, gas[200], gas[bigN], "gas of CloseEpoch depends on the number of participants")
	cfg := storetypes.KVGasConfig()
	require.Equal(t, 2*(cfg.ReadCostPerByte+cfg.WriteCostPerByte), gas[bigN]-gas[10],
		"10 → 10,000 participants: only the 1-byte longer participants varint of 2 categories")
	for _, other := range summaries {
		for _, c := range []string{types.CategoryPoC, types.CategoryInference} {
			require.Equal(t, cat(t, s, c).Rate.String(), cat(t, other, c).Rate.String())
			require.Equal(t, cat(t, s, c).Reserved.String(), cat(t, other, c).Reserved.String())
		}
	}
	require.Equal(t, uint64(bigN), cat(t, s, types.CategoryPoC).Participants)

	pocRate, infRate := cat(t, s, types.CategoryPoC).Rate, cat(t, s, types.CategoryInference).Rate
	f.next()
	paid := sdk.NewCoins()
	for i := 0; i < bigN; i += bigN / 100 {
		want := pay(poc[i], pocRate).Add(pay(inference[i], infRate)...)
		requireCoins(t, want, f.claim(accounts[i], accounts[i]).Amount, "account %d", i)
		requireCoins(t, want, f.bal(accounts[i]), "account %d", i)
		paid = paid.Add(want...)
	}
	require.False(t, paid.IsZero())
	requireCoins(t, s.Categories[0].Reserved.Add(s.Categories[1].Reserved...).Sub(paid...), f.outstanding())
}

// BenchmarkCloseEpoch closes an epoch of N participants (each with points in
// two categories). The epoch is set up once; every iteration closes it in its
// own cache context, so each closes the same epoch. participants=10 is the
// reference: the cost should not grow with N.
func BenchmarkCloseEpoch(b *testing.B) {
	for _, n := range []int{10, 1000, bigN} {
		f := newFixture(b, withParams(noEarly))
		participants(f, n)
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			var gas storetypes.Gas
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cc, _ := f.ctx.CacheContext()
				cc = cc.WithGasMeter(storetypes.NewInfiniteGasMeter())
				if _, err := f.k.CloseEpoch(cc); err != nil {
					b.Fatal(err)
				}
				gas = cc.GasMeter().GasConsumed()
			}
			b.ReportMetric(float64(gas), "gas/op")
		})
	}
}
