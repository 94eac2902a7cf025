package keeper_test

import (
	"fmt"
	"testing"

	"github.com/llmesh/mesh/x/inference/types"
)

// BenchmarkRequestWorkerScan measures the assignment of one job — request
// (escrow, queue) and the draw by the next block's BeginBlocker — with 100
// and with 10,000 registered workers of which only 5 serve the requested
// model (issue 17, M5). The assignment reads x/compute's (model, worker)
// index, so the figure must not grow with the size of the registry.
func BenchmarkRequestWorkerScan(b *testing.B) {
	for _, total := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("workers=%d", total), func(b *testing.B) {
			f := newFixture(b, func(p *types.Params) { p.MaxOpenJobsPerWorker = 1 << 30 })
			for i := 0; i < total-5; i++ {
				f.addWorker("other-model")
				if i%1000 == 999 {
					f.commit()
				}
			}
			for _, w := range f.addWorkers(5) {
				f.setVerifiedUnits(w.addr, 1<<30) // never out of slots
			}
			requester := addr("requester", 1)
			f.fund(requester, int64(b.N+1)*3500)
			f.next()
			msg := f.requestMsg(requester)

			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := f.msg.RequestInference(f.ctx, msg)
				if err != nil {
					b.Fatal(err)
				}
				f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
				if err := f.k.BeginBlocker(f.ctx); err != nil {
					b.Fatal(err)
				}
				if i == 0 && len(f.assigned(res.JobId)) != 3 {
					b.Fatal("job not assigned")
				}
				if i%100 == 99 {
					b.StopTimer()
					f.commit()
					b.StartTimer()
				}
			}
		})
	}
}
