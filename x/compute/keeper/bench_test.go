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

// BenchmarkSettlementJailed measures settlement per challenged worker with
// n registered workers of which 90 % are jailed (issue 17, M5): settlement
// visits only the challenged (non-jailed, eligible at the commit close)
// workers, so ns per challenged worker stays flat from 10 to 10,000
// registered. Each size settles its epoch in one EndBlock; the run reports
// each size's ns/challenged and, on the largest, the ratio to the smallest
// (the reference, measured in the same run).
func BenchmarkSettlementJailed(b *testing.B) {
	sizes := []int{10, 100, 1000, 10000}
	perWorker := map[int]float64{}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("registered=%d", n), func(b *testing.B) {
			challenged := n / 10
			f := newFixture(b, func(p *types.Params) {
				smallParams(p)
				p.MaxSettlementsPerBlock = uint32(challenged)
				p.MaxWorkersPerProvider = 1000
				p.MaxMissed, p.MissedWindow = 100, 100 // no jails: every iteration does the same work
			})
			f.block(true, nil)
			for i := 0; i < n; i++ {
				a := addr("work", i)
				f.register(addr("prov", i/1000), a, 1)
				if i%10 != 0 { // 90 % jailed
					w := f.worker(a)
					w.Status, w.JailedUntil = types.WORKER_STATUS_JAILED, 1<<40
					if err := f.k.Workers.Set(f.ctx, a, w); err != nil {
						b.Fatal(err)
					}
				}
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
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*challenged)
			perWorker[n] = ns
			b.ReportMetric(ns, "ns/challenged")
			// With 10 registered a single worker is challenged and the
			// block's fixed cost dominates; 100 is the second reference.
			if n == sizes[len(sizes)-1] {
				if ref, ok := perWorker[10]; ok {
					b.ReportMetric(ns/ref, "ratio_vs_10")
				}
				if ref, ok := perWorker[100]; ok {
					b.ReportMetric(ns/ref, "ratio_vs_100")
				}
			}
		})
	}
}
