package chain

import (
	"context"
	"fmt"
	"reflect"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// ClaimedGOPS is the registration's int8_gops claim (10⁹ int8 ops per
// second, 1 MAC = 2 ops) that x/compute sizes the PoC challenge by, and
// false while x/compute's HardwareSpec has no such field (a chain that
// still sizes challenges by compute units). Read by name so that the
// worker builds against x/compute before and after the field lands.
func ClaimedGOPS(spec computetypes.HardwareSpec) (uint64, bool) {
	// x/compute's own reading (int8_gops, else int8_tops × 1000) when it has one.
	if c, ok := any(spec).(interface{ ClaimedGOPS() uint64 }); ok {
		return c.ClaimedGOPS(), true
	}
	return uintField(reflect.ValueOf(spec), "Int8Gops")
}

// PoCCapacityParams are the params that turn a GOPS claim into challenge
// rows: MACs = GOPS·10⁹/2 · CommitSeconds · TargetFractionBps/10⁴,
// m = ⌈MACs / (n·p)⌉. Found is false (and the defaults are returned) while
// x/compute's Params have no such fields.
func PoCCapacityParams(p computetypes.Params) (targetFractionBps, commitSeconds uint64, found bool) {
	v := reflect.ValueOf(p)
	f, ok1 := uintField(v, "PocTargetFractionBps")
	s, ok2 := uintField(v, "PocCommitSeconds")
	if !ok1 || !ok2 {
		return DefaultPoCTargetFractionBps, DefaultPoCCommitSeconds, false
	}
	return f, s, true
}

// The defaults of x/compute's poc_target_fraction_bps and poc_commit_seconds.
const (
	DefaultPoCTargetFractionBps = 5000
	DefaultPoCCommitSeconds     = 50
)

func uintField(v reflect.Value, name string) (uint64, bool) {
	f := v.FieldByName(name)
	if !f.IsValid() {
		return 0, false
	}
	switch f.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return f.Uint(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f.Int() < 0 {
			return 0, true
		}
		return uint64(f.Int()), true
	}
	return 0, false
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
