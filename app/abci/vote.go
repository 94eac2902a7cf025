package abci

import (
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/app/abci/types"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
)

// VoteExtensions makes and checks meshd's vote extensions.
type VoteExtensions struct {
	logger  log.Logger
	keyPath string // beacon key file, loaded (or created) at the first ExtendVote
	keyOnce sync.Once
	compute ComputeKeeper
	staking StakingKeeper
	key     *BeaconKey    // nil: the node makes empty extensions
	self    []byte        // the node's consensus address; nil: no worker commitments
	sidecar Sidecar       // nil: no worker commitments
	timeout time.Duration // of one sidecar call
}

// NewVoteExtensions returns the handlers. key may be nil (a node without a
// beacon key extends with nothing); self (the node's own consensus
// address) and sidecar may be nil (no worker commitments).
func NewVoteExtensions(logger log.Logger, ck ComputeKeeper, sk StakingKeeper, key *BeaconKey, self []byte, sidecar Sidecar, timeout time.Duration) *VoteExtensions {
	if timeout <= 0 {
		timeout = DefaultSidecarTimeout
	}
	return &VoteExtensions{
		logger: logger.With("module", "vote-extensions"), compute: ck, staking: sk,
		key: key, self: self, sidecar: sidecar, timeout: timeout,
	}
}

// WithBeaconKeyFile makes ExtendVote load (or create) its beacon key from
// path the first time it runs, so that nodes that never vote (full nodes,
// the CLI) never write one.
func (v *VoteExtensions) WithBeaconKeyFile(path string) *VoteExtensions {
	v.keyPath = path
	return v
}

func (v *VoteExtensions) beaconKey() *BeaconKey {
	v.keyOnce.Do(func() {
		if v.key != nil || v.keyPath == "" {
			return
		}
		key, err := LoadOrCreateBeaconKey(v.keyPath)
		if err != nil {
			v.logger.Error("no beacon key: vote extensions stay empty", "file", v.keyPath, "err", err)
			return
		}
		v.key = key
	})
	return v.key
}

// ExtendVote returns the validator's extension for height h: its beacon
// share (the reveal of secret(h), committed at h−1, and the commitment to
// secret(h+1)) and whatever commitments its worker gave within the
// timeout that pass the checks VerifyVoteExtension applies, dropped from
// the end until the extension fits vote_extension_max_bytes. It never
// fails and never panics: at worst the extension is the share alone, or
// empty.
func (v *VoteExtensions) ExtendVote(ctx sdk.Context, req *abci.RequestExtendVote) (resp *abci.ResponseExtendVote, err error) {
	defer func() {
		if r := recover(); r != nil {
			v.logger.Error("ExtendVote panicked; voting with an empty extension", "height", req.Height, "panic", r)
			resp, err = &abci.ResponseExtendVote{}, nil
		}
	}()
	key := v.beaconKey()
	if key == nil {
		return &abci.ResponseExtendVote{}, nil
	}
	params, err := v.compute.GetParams(ctx)
	if err != nil {
		v.logger.Error("ExtendVote: no x/compute params; voting with an empty extension", "err", err)
		return &abci.ResponseExtendVote{}, nil
	}
	ve := types.VoteExtension{Beacon: types.BeaconShare{
		Reveal:         key.Secret(ctx.ChainID(), req.Height),
		NextCommitment: computekeeper.BeaconCommitment(key.Secret(ctx.ChainID(), req.Height+1)),
	}}
	if v.sidecar != nil && v.self != nil {
		v.addWorkerCommitments(ctx, req, &ve)
	}
	bz, err := fitExtension(&ve, params.VoteExtensionMaxBytes)
	if err != nil {
		v.logger.Error("ExtendVote: extension does not fit; voting with an empty extension", "err", err)
		return &abci.ResponseExtendVote{}, nil
	}
	return &abci.ResponseExtendVote{VoteExtension: bz}, nil
}

// addWorkerCommitments asks the worker and keeps the commitments that
// another validator's VerifyVoteExtension would accept.
func (v *VoteExtensions) addWorkerCommitments(ctx sdk.Context, req *abci.RequestExtendVote, ve *types.VoteExtension) {
	resp, err := callSidecar(ctx, v.sidecar, req.Height, v.timeout)
	if err != nil {
		v.logger.Info("ExtendVote: no worker commitments", "height", req.Height, "err", err)
		return
	}
	provider, err := operatorAccount(ctx, v.staking, v.self)
	if err != nil {
		v.logger.Info("ExtendVote: not a validator; no worker commitments", "err", err)
		return
	}
	for _, c := range resp.Poc {
		trial := *ve
		trial.Poc = append(append([]types.PoCCommitment(nil), ve.Poc...), c)
		if checkExtension(trial) == nil && ownWorker(ctx, v.compute, provider, c.Worker) == nil {
			ve.Poc = trial.Poc
		}
	}
	for _, c := range resp.Results {
		trial := *ve
		trial.Results = append(append([]types.ResultCommitment(nil), ve.Results...), c)
		if checkExtension(trial) == nil && ownWorker(ctx, v.compute, provider, c.Worker) == nil {
			ve.Results = trial.Results
		}
	}
}

// fitExtension encodes ve, dropping result commitments and then PoC roots
// from the end until it fits maxBytes.
func fitExtension(ve *types.VoteExtension, maxBytes uint32) ([]byte, error) {
	for {
		bz, err := ve.Marshal()
		if err != nil {
			return nil, err
		}
		switch {
		case uint64(len(bz)) <= uint64(maxBytes):
			return bz, nil
		case len(ve.Results) > 0:
			ve.Results = ve.Results[:len(ve.Results)-1]
		case len(ve.Poc) > 0:
			ve.Poc = ve.Poc[:len(ve.Poc)-1]
		default:
			return nil, fmt.Errorf("a bare beacon share of %d bytes exceeds %d", len(bz), maxBytes)
		}
	}
}

// VerifyVoteExtension accepts an empty extension and one that decodes
// (DecodeExtension) and whose commitments are all for workers of the
// validator that signed it; it rejects everything else. It never panics.
func (v *VoteExtensions) VerifyVoteExtension(ctx sdk.Context, req *abci.RequestVerifyVoteExtension) (resp *abci.ResponseVerifyVoteExtension, err error) {
	defer func() {
		if r := recover(); r != nil {
			v.logger.Error("VerifyVoteExtension panicked; rejecting", "panic", r)
			resp, err = &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
		}
	}()
	if err := v.verify(ctx, req.ValidatorAddress, req.VoteExtension); err != nil {
		v.logger.Info("vote extension rejected", "validator", fmt.Sprintf("%X", req.ValidatorAddress), "height", req.Height, "err", err)
		return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_REJECT}, nil
	}
	return &abci.ResponseVerifyVoteExtension{Status: abci.ResponseVerifyVoteExtension_ACCEPT}, nil
}

// verify is VerifyVoteExtension's check, also applied to every extension a
// proposal carries.
func (v *VoteExtensions) verify(ctx sdk.Context, cons, bz []byte) error {
	if len(bz) == 0 {
		return nil
	}
	params, err := v.compute.GetParams(ctx)
	if err != nil {
		return err
	}
	ve, err := DecodeExtension(bz, params.VoteExtensionMaxBytes)
	if err != nil {
		return err
	}
	return checkOwnership(ctx, v.compute, v.staking, cons, ve)
}
