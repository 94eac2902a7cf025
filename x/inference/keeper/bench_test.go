package keeper_test

import (
	"fmt"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// BenchmarkRequestAndSettle measures one whole job — request (escrow,
// queue), its assignment by the next block's BeginBlocker (a draw over 10
// workers), 3 commits, 3 reveals and the settlement the last reveal triggers
// (3 pool payments, burn, protocol fee, refund) — with 100 and with 10,000
// other open jobs in the store. The figure is ns/job; the
// two runs of the same benchmark are the reference for each other: the cost
// of a job must not grow with the number of open jobs (no scan of jobs).
func BenchmarkRequestAndSettle(b *testing.B) {
	for _, open := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			f := newFixture(b, func(p *types.Params) {
				p.MaxOpenJobsPerWorker = 1 << 30
				p.MaxExpirationsPerBlock = types.MaxExpirationsBound // the fillers assigned in one block
			})
			for _, w := range f.addWorkers(10) {
				f.setVerifiedUnits(w.addr, 1<<30) // never out of slots
			}
			filler, requester := addr("filler", 1), addr("requester", 1)
			f.fund(filler, int64(open)*3500)
			f.fund(requester, int64(b.N+1)*3500)
			f.next()
			for i := 0; i < open; i++ {
				if _, err := f.msg.RequestInference(f.ctx, f.requestMsg(filler)); err != nil {
					b.Fatal(err)
				}
				if i%1000 == 999 {
					f.commit()
				}
			}
			f.next()
			if err := f.k.BeginBlocker(f.ctx); err != nil {
				b.Fatal(err)
			}
			f.commit()
			if got := f.job(uint64(open)).Status; got != types.JOB_STATUS_COMMITTING {
				b.Fatalf("last filler %s", got)
			}
			msg := f.requestMsg(requester)

			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := f.msg.RequestInference(f.ctx, msg)
				if err != nil {
					b.Fatal(err)
				}
				// The next block assigns it (a height without a commit:
				// the commit below comes every 100 jobs).
				f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
				if err := f.k.BeginBlocker(f.ctx); err != nil {
					b.Fatal(err)
				}
				ws := f.assigned(res.JobId)
				for _, w := range ws {
					if _, err := f.msg.CommitResult(f.ctx, commitMsg(f, w, res.JobId, "4")); err != nil {
						b.Fatal(err)
					}
				}
				for _, w := range ws {
					if _, err := f.msg.RevealResult(f.ctx, revealMsg(f, w, res.JobId, "4")); err != nil {
						b.Fatal(err)
					}
				}
				if i%100 == 99 {
					// Commit as a node does every block (IAVL iterators slow
					// down over a long tail of unsaved writes); untimed.
					b.StopTimer()
					f.commit()
					f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
					b.StartTimer()
				}
			}
			b.StopTimer()
			if got := f.job(uint64(open + b.N)).Status; got != types.JOB_STATUS_FINALIZED {
				b.Fatalf("last job %s", got)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/job")
		})
	}
}
