package keeper_test

import (
	"fmt"
	"testing"

	"github.com/llmesh/mesh/x/compute/types"
)

// BenchmarkEpochSettlement measures the EndBlocker that settles an epoch of
// N workers in one block (max_settlements_per_block = N). Every worker is
// eligible and silent, so each one is a MISS (the most writes). The figure
// is ns/worker: it should stay flat from 10 to 1000 workers. The
// per-block cost is then max_settlements_per_block × ns/worker.
func BenchmarkEpochSettlement(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			f := newFixture(b, func(p *types.Params) {
				smallParams(p)
				p.MaxSettlementsPerBlock = uint32(n)
				p.MaxMissed, p.MissedWindow = 100, 100 // no jails: every iteration does the same work
			})
			f.block(true, nil)
			for i := 0; i < n; i++ {
				f.register(addr("prov", i/16), addr("work", i), 1)
			}
			f.nextEpoch()
			e := f.currentEpoch()
			f.advanceTo(e.RevealEnd - 1)
			ctx := f.ctx.WithBlockHeight(e.RevealEnd).WithHeaderHash(headerHash(e.RevealEnd))

			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cc, _ := ctx.CacheContext() // discarded: every iteration settles the same epoch
				if err := f.k.EndBlocker(cc); err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.StopTimer()
					if got, _ := f.k.Epoch.Get(cc); !got.Settled {
						b.Fatal("epoch not settled in one block")
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/worker")
		})
	}
}
