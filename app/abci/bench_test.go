package abci

import (
	"context"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/llmesh/mesh/app/abci/types"
)

// BenchmarkExtendVote measures ExtendVote with the beacon share alone and
// with a worker answering a typical set of commitments (one PoC root, 8
// result commitments) over an in-process Sidecar, and reports the
// extension's size and the P99 latency of the calls.
//
//	go test ./app/abci -run X -bench BenchmarkExtendVote -benchtime 2000x
func BenchmarkExtendVote(b *testing.B) {
	t := &testing.T{}
	f := newFixture(t)
	answer := &types.CommitmentsResponse{Poc: []types.PoCCommitment{poc(workerA, 7)}}
	for j := uint64(1); j <= 8; j++ {
		answer.Results = append(answer.Results, result(workerA, j))
	}
	for name, sc := range map[string]Sidecar{
		"share-only": nil,
		"with-worker": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
			return answer, nil
		}),
	} {
		b.Run(name, func(b *testing.B) {
			v := f.handlers(sc, time.Second)
			lat := make([]time.Duration, 0, b.N)
			size := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				resp, err := v.ExtendVote(f.ctx, &abci.RequestExtendVote{Height: int64(10 + i)})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				size = len(resp.VoteExtension)
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(size), "ext-bytes")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}
