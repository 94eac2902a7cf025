package abci

import (
	"context"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/llmesh/mesh/app/abci/types"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// Apply applies the extended commit a block carries (PreBlocker, after
// the modules' pre-blockers): the beacon shares to x/compute's beacon and
// every commitment of a validator's own workers to x/compute (PoC roots)
// and x/inference (result commitments), each in its own cache context as
// if the worker had sent the transaction. Nothing here trusts the block:
// an undecodable commit or extension is skipped, a commitment the keepers
// refuse (window closed, already committed by the worker's own tx, not the
// validator's worker any more) changes nothing. It never fails the block
// and its work is bounded by the validator set × the per-extension caps.
func (v *VoteExtensions) Apply(ctx sdk.Context, req *abci.RequestFinalizeBlock, inference InferenceKeeper, jailer computekeeper.ValidatorJailer) {
	if !ExtensionsInBlock(ctx, req.Height) || len(req.Txs) == 0 {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			v.logger.Error("applying vote extensions panicked; block goes on without them", "height", req.Height, "panic", r)
		}
	}()
	commit, err := DecodeExtendedCommit(req.Txs[0])
	if err != nil {
		v.logger.Error("block carries no extended commit", "height", req.Height, "err", err)
		return
	}
	params, err := v.compute.GetParams(ctx)
	if err != nil {
		v.logger.Error("vote extensions: no x/compute params", "err", err)
		return
	}
	votes := make([]computekeeper.BeaconVote, 0, len(commit.Votes))
	exts := make([]types.VoteExtension, len(commit.Votes))
	for i, vote := range commit.Votes {
		bv := computekeeper.BeaconVote{ConsAddress: vote.Validator.Address, Power: vote.Validator.Power}
		if vote.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			bv.Committed = true
			if ve, err := DecodeExtension(vote.VoteExtension, params.VoteExtensionMaxBytes); err == nil {
				exts[i] = ve
				bv.Reveal, bv.NextCommitment = ve.Beacon.Reveal, ve.Beacon.NextCommitment
			}
		}
		votes = append(votes, bv)
	}
	cache, write := ctx.CacheContext()
	if _, _, err := v.compute.ApplyBeacon(cache, votes, jailer); err != nil {
		v.logger.Error("beacon not applied", "height", req.Height, "err", err)
	} else {
		write()
	}
	for i, vote := range commit.Votes {
		if len(exts[i].Poc) > 0 || len(exts[i].Results) > 0 {
			v.applyCommitments(ctx, vote.Validator.Address, exts[i], inference)
		}
	}
}

// applyCommitments applies one validator's worker commitments.
func (v *VoteExtensions) applyCommitments(ctx sdk.Context, cons []byte, ve types.VoteExtension, inference InferenceKeeper) {
	provider, err := operatorAccount(ctx, v.staking, cons)
	if err != nil {
		return
	}
	consStr := sdk.ConsAddress(cons).String()
	apply := func(worker sdk.AccAddress, kind string, do func(sdk.Context) error) {
		cache, write := ctx.CacheContext()
		err := ownWorker(cache, v.compute, provider, worker)
		if err == nil {
			err = do(cache)
		}
		if err != nil {
			v.logger.Debug("validator worker commitment not applied", "validator", consStr, "worker", worker.String(), "kind", kind, "err", err)
			return
		}
		write()
		if err := ctx.EventManager().EmitTypedEvent(&computetypes.EventValidatorCommitment{Validator: consStr, Worker: worker.String(), Kind: kind}); err != nil {
			v.logger.Error("event", "err", err)
		}
	}
	for _, c := range ve.Poc {
		apply(c.Worker, "poc", func(cache sdk.Context) error {
			_, err := v.compute.CommitPoC(cache, c.Worker, c.Epoch, c.Root)
			return err
		})
	}
	if inference == nil {
		return
	}
	for _, c := range ve.Results {
		apply(c.Worker, "result", func(cache sdk.Context) error {
			_, err := inference.CommitResult(cache, c.Worker, c.JobId, c.Commitment)
			return err
		})
	}
}

// SlashingKeeper is what the jailer needs from x/slashing.
type SlashingKeeper interface {
	Jail(ctx context.Context, consAddr sdk.ConsAddress) error
	JailUntil(ctx context.Context, consAddr sdk.ConsAddress, jailTime time.Time) error
}

// Jailer jails validators for withheld beacon reveals through x/slashing:
// the validator leaves the active set and unjails with `meshd tx slashing
// unjail` once jailed_until passed. It does not slash.
type Jailer struct {
	Staking  StakingKeeper
	Slashing SlashingKeeper
}

var _ computekeeper.ValidatorJailer = Jailer{}

// Jailable implements computekeeper.ValidatorJailer: bonded and not jailed.
func (j Jailer) Jailable(ctx context.Context, cons sdk.ConsAddress) bool {
	val, err := j.Staking.GetValidatorByConsAddr(ctx, cons)
	return err == nil && !val.Jailed && val.Status == stakingtypes.Bonded
}

// Jail implements computekeeper.ValidatorJailer.
func (j Jailer) Jail(ctx context.Context, cons sdk.ConsAddress, until time.Time) error {
	if err := j.Slashing.Jail(ctx, cons); err != nil {
		return fmt.Errorf("jail %s: %w", cons, err)
	}
	return j.Slashing.JailUntil(ctx, cons, until)
}
