// Package abci holds meshd's ABCI++ handlers: vote extensions that carry
// each validator's randomness-beacon share and its own workers'
// commitments, the proposal handlers that inject and check the extended
// commit, and the PreBlocker step that applies it. It holds no module
// state; x/compute keeps the beacon and x/compute and x/inference the
// commitments.
package abci

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/llmesh/mesh/app/abci/types"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Caps on the commitments of one extension, whatever the byte cap allows.
const (
	// MaxPoCPerExtension is the most PoC roots one extension carries
	// (x/compute's default max_workers_per_provider).
	MaxPoCPerExtension = 16
	// MaxResultsPerExtension is the most result commitments one extension carries.
	MaxResultsPerExtension = 64
	// addrLen is the length of an account address.
	addrLen = 20
	// hashLen is the length of roots, commitments and beacon values.
	hashLen = 32
)

// ComputeKeeper is what the handlers need from x/compute.
type ComputeKeeper interface {
	GetParams(ctx context.Context) (computetypes.Params, error)
	GetWorker(ctx context.Context, worker sdk.AccAddress) (computetypes.Worker, error)
	CommitPoC(ctx context.Context, worker sdk.AccAddress, epoch int64, root []byte) (computetypes.Commitment, error)
	ApplyBeacon(ctx context.Context, votes []computekeeper.BeaconVote, jailer computekeeper.ValidatorJailer) (computetypes.Beacon, bool, error)
}

// InferenceKeeper is what the handlers need from x/inference.
type InferenceKeeper interface {
	CommitResult(ctx context.Context, worker sdk.AccAddress, jobID uint64, commitment []byte) (inferencetypes.Job, error)
}

// StakingKeeper is what the handlers need from x/staking: signature checks
// (baseapp.ValidatorStore) and a validator's operator.
type StakingKeeper interface {
	baseapp.ValidatorStore
	GetValidatorByConsAddr(ctx context.Context, consAddr sdk.ConsAddress) (stakingtypes.Validator, error)
}

// DecodeExtension decodes and checks a vote extension without state:
// canonical protobuf (no unknown or repeated fields: the bytes re-encode to
// themselves), at most maxBytes, 32-byte beacon values (or none), 20-byte
// workers, 32-byte roots and commitments, positive epochs and job ids, no
// commitment twice, within the per-kind caps. An empty extension decodes to
// the zero value.
func DecodeExtension(bz []byte, maxBytes uint32) (types.VoteExtension, error) {
	var ve types.VoteExtension
	if len(bz) == 0 {
		return ve, nil
	}
	if uint64(len(bz)) > uint64(maxBytes) {
		return ve, fmt.Errorf("vote extension of %d bytes above vote_extension_max_bytes %d", len(bz), maxBytes)
	}
	if err := ve.Unmarshal(bz); err != nil {
		return ve, fmt.Errorf("vote extension: %w", err)
	}
	if re, err := ve.Marshal(); err != nil || !bytes.Equal(re, bz) {
		return ve, fmt.Errorf("vote extension is not canonical protobuf")
	}
	if err := checkExtension(ve); err != nil {
		return ve, err
	}
	return ve, nil
}

func checkExtension(ve types.VoteExtension) error {
	if n := len(ve.Beacon.Reveal); n != 0 && n != hashLen {
		return fmt.Errorf("beacon reveal of %d bytes, want %d", n, hashLen)
	}
	if n := len(ve.Beacon.NextCommitment); n != 0 && n != hashLen {
		return fmt.Errorf("beacon next_commitment of %d bytes, want %d", n, hashLen)
	}
	if len(ve.Poc) > MaxPoCPerExtension || len(ve.Results) > MaxResultsPerExtension {
		return fmt.Errorf("%d PoC roots and %d result commitments, at most %d and %d", len(ve.Poc), len(ve.Results), MaxPoCPerExtension, MaxResultsPerExtension)
	}
	seen := make(map[string]bool, len(ve.Poc)+len(ve.Results)) // lookups only
	for _, c := range ve.Poc {
		if err := checkPoC(c); err != nil {
			return err
		}
		key := fmt.Sprintf("p%x/%d", c.Worker, c.Epoch)
		if seen[key] {
			return fmt.Errorf("PoC root of worker %X for epoch %d twice", c.Worker, c.Epoch)
		}
		seen[key] = true
	}
	for _, c := range ve.Results {
		if err := checkResult(c); err != nil {
			return err
		}
		key := fmt.Sprintf("r%x/%d", c.Worker, c.JobId)
		if seen[key] {
			return fmt.Errorf("result commitment of worker %X for job %d twice", c.Worker, c.JobId)
		}
		seen[key] = true
	}
	return nil
}

func checkPoC(c types.PoCCommitment) error {
	if len(c.Worker) != addrLen || len(c.Root) != hashLen || c.Epoch < 1 {
		return fmt.Errorf("PoC root: %d-byte worker, %d-byte root, epoch %d: want %d, %d, ≥ 1", len(c.Worker), len(c.Root), c.Epoch, addrLen, hashLen)
	}
	return nil
}

func checkResult(c types.ResultCommitment) error {
	if len(c.Worker) != addrLen || len(c.Commitment) != hashLen || c.JobId < 1 {
		return fmt.Errorf("result commitment: %d-byte worker, %d-byte commitment, job %d: want %d, %d, ≥ 1", len(c.Worker), len(c.Commitment), c.JobId, addrLen, hashLen)
	}
	return nil
}

// operatorAccount returns the account address of the validator with
// consensus address cons: the provider its workers must be registered under.
func operatorAccount(ctx context.Context, sk StakingKeeper, cons []byte) (sdk.AccAddress, error) {
	val, err := sk.GetValidatorByConsAddr(ctx, cons)
	if err != nil {
		return nil, fmt.Errorf("validator %X: %w", cons, err)
	}
	op, err := sdk.ValAddressFromBech32(val.OperatorAddress)
	if err != nil {
		return nil, fmt.Errorf("validator %X operator: %w", cons, err)
	}
	return sdk.AccAddress(op), nil
}

// ownWorker checks that worker is registered under provider.
func ownWorker(ctx context.Context, ck ComputeKeeper, provider, worker sdk.AccAddress) error {
	w, err := ck.GetWorker(ctx, worker)
	if err != nil {
		return err
	}
	if w.Provider != provider.String() {
		return fmt.Errorf("worker %s belongs to provider %s, not to the validator's %s", w.Address, w.Provider, provider)
	}
	return nil
}

// checkOwnership checks that every commitment of ve is for a worker of the
// validator cons.
func checkOwnership(ctx context.Context, ck ComputeKeeper, sk StakingKeeper, cons []byte, ve types.VoteExtension) error {
	if len(ve.Poc) == 0 && len(ve.Results) == 0 {
		return nil
	}
	provider, err := operatorAccount(ctx, sk, cons)
	if err != nil {
		return err
	}
	for _, c := range ve.Poc {
		if err := ownWorker(ctx, ck, provider, c.Worker); err != nil {
			return err
		}
	}
	for _, c := range ve.Results {
		if err := ownWorker(ctx, ck, provider, c.Worker); err != nil {
			return err
		}
	}
	return nil
}
