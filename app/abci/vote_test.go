package abci

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtprotocrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/llmesh/mesh/app/abci/types"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

func init() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount("mesh", "meshpub")
	cfg.SetBech32PrefixForValidator("meshvaloper", "meshvaloperpub")
	cfg.SetBech32PrefixForConsensusNode("meshvalcons", "meshvalconspub")
}

// fakeCompute is x/compute with params and a worker registry.
type fakeCompute struct {
	params  computetypes.Params
	workers map[string]computetypes.Worker // by address bytes
}

func (f *fakeCompute) GetParams(context.Context) (computetypes.Params, error) { return f.params, nil }
func (f *fakeCompute) GetWorker(_ context.Context, w sdk.AccAddress) (computetypes.Worker, error) {
	wk, ok := f.workers[string(w)]
	if !ok {
		return wk, computetypes.ErrWorkerNotFound
	}
	return wk, nil
}
func (f *fakeCompute) CommitPoC(context.Context, sdk.AccAddress, int64, []byte) (computetypes.Commitment, error) {
	return computetypes.Commitment{}, nil
}
func (f *fakeCompute) ApplyBeacon(context.Context, []computekeeper.BeaconVote, computekeeper.ValidatorJailer) (computetypes.Beacon, bool, error) {
	return computetypes.Beacon{}, false, nil
}

// fakeStaking knows validators by consensus address.
type fakeStaking struct {
	vals map[string]stakingtypes.Validator
}

func (f *fakeStaking) GetPubKeyByConsAddr(context.Context, sdk.ConsAddress) (cmtprotocrypto.PublicKey, error) {
	return cmtprotocrypto.PublicKey{}, errors.New("no keys in the fake")
}
func (f *fakeStaking) GetValidatorByConsAddr(_ context.Context, c sdk.ConsAddress) (stakingtypes.Validator, error) {
	v, ok := f.vals[string(c)]
	if !ok {
		return v, stakingtypes.ErrNoValidatorFound
	}
	return v, nil
}

// sidecarFunc is a Sidecar from a function.
type sidecarFunc func(ctx context.Context, h int64) (*types.CommitmentsResponse, error)

func (f sidecarFunc) Commitments(ctx context.Context, h int64) (*types.CommitmentsResponse, error) {
	return f(ctx, h)
}

var (
	consA   = bytesOf(0xA1, 20)
	consB   = bytesOf(0xB1, 20)
	workerA = sdk.AccAddress(bytesOf(0x0A, 20)) // a worker of validator A
	workerB = sdk.AccAddress(bytesOf(0x0B, 20)) // a worker of validator B
)

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

type fixture struct {
	compute *fakeCompute
	staking *fakeStaking
	ctx     sdk.Context
}

func newFixture(t *testing.T) fixture {
	opA, opB := sdk.ValAddress(bytesOf(0x1A, 20)), sdk.ValAddress(bytesOf(0x1B, 20))
	compute := &fakeCompute{params: computetypes.DefaultParams(), workers: map[string]computetypes.Worker{
		string(workerA): {Address: workerA.String(), Provider: sdk.AccAddress(opA).String()},
		string(workerB): {Address: workerB.String(), Provider: sdk.AccAddress(opB).String()},
	}}
	staking := &fakeStaking{vals: map[string]stakingtypes.Validator{
		string(consA): {OperatorAddress: opA.String()},
		string(consB): {OperatorAddress: opB.String()},
	}}
	key := storetypes.NewKVStoreKey("abci_test")
	ctx := testutil.DefaultContext(key, storetypes.NewTransientStoreKey("t_abci_test")).WithChainID("mesh-test-1")
	return fixture{compute: compute, staking: staking, ctx: ctx}
}

func (f fixture) handlers(sc Sidecar, timeout time.Duration) *VoteExtensions {
	return NewVoteExtensions(log.NewNopLogger(), f.compute, f.staking, NewBeaconKey([32]byte{7}), consA, sc, timeout)
}

func poc(w sdk.AccAddress, epoch int64) types.PoCCommitment {
	return types.PoCCommitment{Worker: w, Epoch: epoch, Root: bytesOf(0xEE, 32)}
}

func result(w sdk.AccAddress, job uint64) types.ResultCommitment {
	return types.ResultCommitment{Worker: w, JobId: job, Commitment: bytesOf(0xCC, 32)}
}

// extend runs ExtendVote at height 10 and decodes what it made.
func extend(t *testing.T, f fixture, v *VoteExtensions) types.VoteExtension {
	t.Helper()
	resp, err := v.ExtendVote(f.ctx, &abci.RequestExtendVote{Height: 10})
	require.NoError(t, err)
	ve, err := DecodeExtension(resp.VoteExtension, f.compute.params.VoteExtensionMaxBytes)
	require.NoError(t, err)
	// Every extension this node makes passes its own and others' checks.
	require.NoError(t, v.verify(f.ctx, consA, resp.VoteExtension))
	// The beacon share is always there: reveal secret(10), commit to secret(11).
	key := NewBeaconKey([32]byte{7})
	require.Equal(t, key.Secret("mesh-test-1", 10), ve.Beacon.Reveal)
	require.Equal(t, computekeeper.BeaconCommitment(key.Secret("mesh-test-1", 11)), ve.Beacon.NextCommitment)
	return ve
}

func TestExtendVoteWorkerFailures(t *testing.T) {
	f := newFixture(t)
	for name, sc := range map[string]Sidecar{
		"down": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
			return nil, errors.New("connection refused")
		}),
		"hung past the timeout, ignoring its context": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
			time.Sleep(2 * time.Second)
			return &types.CommitmentsResponse{Poc: []types.PoCCommitment{poc(workerA, 1)}}, nil
		}),
		"panicking": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
			panic("worker bug")
		}),
		"nil answer": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) { return nil, nil }),
		"garbage": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
			return &types.CommitmentsResponse{
				Poc:     []types.PoCCommitment{{Worker: []byte{1}, Epoch: 1, Root: []byte{2}}, {Worker: workerA, Epoch: 0, Root: bytesOf(1, 32)}},
				Results: []types.ResultCommitment{{Worker: workerA, JobId: 0, Commitment: bytesOf(1, 32)}, {Worker: workerA, JobId: 3, Commitment: []byte("short")}},
			}, nil
		}),
		"another validator's worker": sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
			return &types.CommitmentsResponse{Poc: []types.PoCCommitment{poc(workerB, 1)}, Results: []types.ResultCommitment{result(workerB, 1)}}, nil
		}),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			ve := extend(t, f, f.handlers(sc, 100*time.Millisecond))
			require.Empty(t, ve.Poc)
			require.Empty(t, ve.Results)
			require.Less(t, time.Since(start), time.Second, "ExtendVote waited on the worker")
		})
	}
}

func TestExtendVoteKeepsValidCommitments(t *testing.T) {
	f := newFixture(t)
	sc := sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
		return &types.CommitmentsResponse{
			Poc:     []types.PoCCommitment{poc(workerA, 4), poc(workerB, 4), poc(workerA, 4)}, // B's is not ours; the repeat is dropped
			Results: []types.ResultCommitment{result(workerA, 9), result(workerA, 10)},
		}, nil
	})
	ve := extend(t, f, f.handlers(sc, time.Second))
	require.Equal(t, []types.PoCCommitment{poc(workerA, 4)}, ve.Poc)
	require.Equal(t, []types.ResultCommitment{result(workerA, 9), result(workerA, 10)}, ve.Results)
}

func TestExtendVoteOversizedAnswerIsCut(t *testing.T) {
	f := newFixture(t)
	f.compute.params.VoteExtensionMaxBytes = 1024
	sc := sidecarFunc(func(context.Context, int64) (*types.CommitmentsResponse, error) {
		resp := &types.CommitmentsResponse{}
		for j := uint64(1); j <= 5000; j++ {
			resp.Results = append(resp.Results, result(workerA, j))
		}
		return resp, nil
	})
	v := f.handlers(sc, time.Second)
	resp, err := v.ExtendVote(f.ctx, &abci.RequestExtendVote{Height: 10})
	require.NoError(t, err)
	require.LessOrEqual(t, len(resp.VoteExtension), 1024)
	ve := extend(t, f, v)
	require.NotEmpty(t, ve.Results)
	require.LessOrEqual(t, len(ve.Results), MaxResultsPerExtension)
}

func TestExtendVoteWithoutKeyIsEmpty(t *testing.T) {
	f := newFixture(t)
	v := NewVoteExtensions(log.NewNopLogger(), f.compute, f.staking, nil, consA, nil, 0)
	resp, err := v.ExtendVote(f.ctx, &abci.RequestExtendVote{Height: 10})
	require.NoError(t, err)
	require.Empty(t, resp.VoteExtension)
}

func TestVerifyVoteExtension(t *testing.T) {
	f := newFixture(t)
	v := f.handlers(nil, 0)
	share := types.BeaconShare{Reveal: bytesOf(1, 32), NextCommitment: bytesOf(2, 32)}
	enc := func(ve types.VoteExtension) []byte {
		bz, err := ve.Marshal()
		require.NoError(t, err)
		return bz
	}
	manyResults := types.VoteExtension{Beacon: share}
	for j := uint64(1); j <= MaxResultsPerExtension+1; j++ {
		manyResults.Results = append(manyResults.Results, result(workerA, j))
	}
	big := enc(types.VoteExtension{Beacon: share, Poc: []types.PoCCommitment{{Worker: workerA, Epoch: 1, Root: bytesOf(3, 32)}}})
	f.compute.params.VoteExtensionMaxBytes = uint32(len(big) - 1)
	defer func() { f.compute.params = computetypes.DefaultParams() }()
	oversized := big

	cases := []struct {
		name   string
		ext    []byte
		cons   []byte
		accept bool
	}{
		{"empty", nil, consA, true},
		{"share only", enc(types.VoteExtension{Beacon: share}), consA, true},
		{"own worker's commitments", enc(types.VoteExtension{Beacon: share, Results: []types.ResultCommitment{result(workerA, 1)}}), consA, true},
		{"garbage", []byte("not a protobuf message \xff\xff"), consA, false},
		{"unknown field appended", append(enc(types.VoteExtension{Beacon: share}), 0xF8, 0x01, 0x01), consA, false},
		{"oversized", oversized, consA, false},
		{"short reveal", enc(types.VoteExtension{Beacon: types.BeaconShare{Reveal: []byte{1}}}), consA, false},
		{"duplicate PoC root", enc(types.VoteExtension{Beacon: share, Poc: []types.PoCCommitment{poc(workerA, 2), poc(workerA, 2)}}), consA, false},
		{"duplicate result", enc(types.VoteExtension{Beacon: share, Results: []types.ResultCommitment{result(workerA, 5), result(workerA, 5)}}), consA, false},
		{"too many results", enc(manyResults), consA, false},
		{"another validator's worker", enc(types.VoteExtension{Beacon: share, Poc: []types.PoCCommitment{poc(workerB, 2)}}), consA, false},
		{"unregistered worker", enc(types.VoteExtension{Beacon: share, Results: []types.ResultCommitment{result(sdk.AccAddress(bytesOf(9, 20)), 1)}}), consA, false},
		{"commitments from a non-validator", enc(types.VoteExtension{Beacon: share, Results: []types.ResultCommitment{result(workerA, 1)}}), bytesOf(0xCC, 20), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "oversized" {
				f.compute.params.VoteExtensionMaxBytes = computetypes.DefaultVoteExtensionMaxBytes
			} else {
				f.compute.params.VoteExtensionMaxBytes = uint32(len(big) - 1)
			}
			resp, err := v.VerifyVoteExtension(f.ctx, &abci.RequestVerifyVoteExtension{ValidatorAddress: tc.cons, Height: 10, VoteExtension: tc.ext})
			require.NoError(t, err)
			want := abci.ResponseVerifyVoteExtension_REJECT
			if tc.accept {
				want = abci.ResponseVerifyVoteExtension_ACCEPT
			}
			require.Equal(t, want, resp.Status, fmt.Sprintf("%s: %x", tc.name, tc.ext))
		})
	}
}
