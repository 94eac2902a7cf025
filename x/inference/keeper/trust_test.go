package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestTrustSingleWorkerOptIn (issue 17 L5): with min_redundancy_untrusted
// 3, a request for fewer workers (no quorum worth the name) is refused
// unless the requester sets trust_single_worker; nothing is escrowed.
// Before the fix a redundancy-1 request was accepted without the opt-in.
func TestTrustSingleWorkerOptIn(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MinRedundancy, p.MinRedundancyUntrusted = 1, 3 })
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 20_000)
	f.next()
	for _, r := range []uint32{1, 2} {
		msg := f.requestMsg(requester)
		msg.Redundancy = r
		f.requireRejected(types.ErrInvalidRedundancy, func() error { return deliver(f.ctx, f.msg.RequestInference, msg) }, "without the opt-in")
		msg.TrustSingleWorker = true
		f.request(msg)
	}
	msg := f.requestMsg(requester) // redundancy 3: no opt-in needed
	f.request(msg)
}

// TestMinRedundancyUntrustedBounds: min_redundancy ≤ min_redundancy_untrusted ≤ max_redundancy, 0 meaning min_redundancy.
func TestMinRedundancyUntrustedBounds(t *testing.T) {
	p := types.DefaultParams()
	for _, v := range []uint32{0, p.MinRedundancy, p.MaxRedundancy} {
		p.MinRedundancyUntrusted = v
		require.NoError(t, p.Validate(), v)
	}
	p.MinRedundancyUntrusted = p.MaxRedundancy + 1
	require.Error(t, p.Validate())
	p.MinRedundancy, p.MinRedundancyUntrusted = 2, 1
	require.Error(t, p.Validate())
}
