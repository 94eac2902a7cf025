package chain

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// The defaults of x/compute's poc_target_fraction_bps and poc_commit_seconds
// (meshd-worker bench without --node).
const (
	DefaultPoCTargetFractionBps = 5000
	DefaultPoCCommitSeconds     = 50
)

// ClaimedGOPS is the registration's claimed throughput that x/compute sizes
// the PoC challenge by (10⁹ int8 ops per second, 1 MAC = 2 ops): int8_gops,
// else int8_tops × 1000, as x/compute reads it. False when it is 0.
func ClaimedGOPS(spec computetypes.HardwareSpec) (uint64, bool) {
	g := spec.ClaimedGOPS()
	return g, g > 0
}

// PoCCapacityParams are the params that turn a GOPS claim into challenge
// rows: MACs = GOPS·10⁹/2 · commitSeconds · targetFractionBps/10⁴,
// m = ⌈MACs / (n·p)⌉ (poc.ChallengeRows). Found is false (and the defaults
// are returned) when the params leave them unset (a node from before they
// existed answers 0).
func PoCCapacityParams(p computetypes.Params) (targetFractionBps, commitSeconds uint64, found bool) {
	if p.PocTargetFractionBps == 0 || p.PocCommitSeconds == 0 {
		return DefaultPoCTargetFractionBps, DefaultPoCCommitSeconds, false
	}
	return uint64(p.PocTargetFractionBps), uint64(p.PocCommitSeconds), true
}

// ComputeParams reads x/compute's params (Query/Params) from the node at
// grpcAddr, without a key: for meshd-worker bench --node. One try, bounded
// by ctx.
func ComputeParams(ctx context.Context, grpcAddr string) (computetypes.Params, error) {
	enc, err := NewEncoding()
	if err != nil {
		return computetypes.Params{}, err
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.GRPCCodec())))
	if err != nil {
		return computetypes.Params{}, err
	}
	defer conn.Close()
	res, err := computetypes.NewQueryClient(conn).Params(ctx, &computetypes.QueryParamsRequest{})
	if err != nil {
		return computetypes.Params{}, fmt.Errorf("x/compute params from %s: %w", grpcAddr, err)
	}
	return res.Params, nil
}
