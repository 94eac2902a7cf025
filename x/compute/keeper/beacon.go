package keeper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// BeaconSecretSize is the size of a beacon secret and of its commitment.
const BeaconSecretSize = 32

// beaconDomain separates beacon hashes from every other hash of the chain.
const beaconDomain = "mesh/beacon/v1"

// BeaconVote is one validator's entry in the extended commit a block
// carries, as the PreBlocker decoded it. Reveal and NextCommitment are
// whatever the (signed) vote extension held: ApplyBeacon checks them.
type BeaconVote struct {
	// ConsAddress is the validator's consensus address.
	ConsAddress []byte
	// Power is the validator's voting power at the committed height.
	Power int64
	// Committed is true when the vote is a precommit for the block (BlockIDFlagCommit).
	Committed bool
	// Reveal opens the commitment the validator made a height earlier.
	Reveal []byte
	// NextCommitment commits the secret the validator reveals next height.
	NextCommitment []byte
}

// ValidatorJailer jails a validator that withheld too many beacon reveals
// (x/slashing and x/staking behind an adapter in app/abci).
type ValidatorJailer interface {
	// Jailable reports whether the validator is bonded and not jailed.
	Jailable(ctx context.Context, cons sdk.ConsAddress) bool
	// Jail jails the validator until the given time.
	Jail(ctx context.Context, cons sdk.ConsAddress, until time.Time) error
}

// ApplyBeacon applies the beacon shares of the extended commit of the
// previous height, carried by the block being executed (height h):
//
//   - a validator with a record for height h−1 whose vote reveals the secret
//     it committed gives a share; one that does not (absent, empty or wrong
//     reveal) is charged a miss, and beacon_max_misses misses in a
//     beacon_miss_window jail it through jailer (nil: no jailing);
//   - a committed vote's next commitment becomes the validator's record for
//     height h; a record of a validator not in the commit is deleted;
//   - the beacon of h is SHA-256(domain ‖ chain-id ‖ h ‖ each share, in
//     commit order) if the shares carry more than 1/3 of the commit's
//     power, so that at least one is an honest validator's; else there is
//     no beacon at h and Seed falls back (see Seed).
//
// The work is O(len(votes) + records): bounded by the validator set.
func (k Keeper) ApplyBeacon(ctx context.Context, votes []BeaconVote, jailer ValidatorJailer) (types.Beacon, bool, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Beacon{}, false, err
	}
	mix := sha256.New()
	writeLP(mix.Write, []byte(beaconDomain))
	writeLP(mix.Write, []byte(sdkCtx.ChainID()))
	mix.Write(be64(h))
	var total, shared int64
	var shares uint32
	seen := make(map[string]bool, len(votes)) // lookups only
	for _, v := range votes {
		if seen[string(v.ConsAddress)] || v.Power <= 0 {
			continue // ValidateVoteExtensions refuses duplicates; be safe
		}
		seen[string(v.ConsAddress)] = true
		total += v.Power
		rec, err := k.BeaconRecords.Get(ctx, v.ConsAddress)
		switch {
		case errors.Is(err, collections.ErrNotFound):
			rec = types.BeaconValidator{ConsAddress: bytes.Clone(v.ConsAddress), WindowStart: h}
		case err != nil:
			return types.Beacon{}, false, err
		}
		if h >= rec.WindowStart+int64(params.BeaconMissWindow) {
			rec.WindowStart, rec.Misses = h, 0
		}
		if rec.Height == h-1 && len(rec.Commitment) == BeaconSecretSize {
			if v.Committed && opens(rec.Commitment, v.Reveal) {
				writeLP(mix.Write, v.ConsAddress)
				mix.Write(v.Reveal)
				shared += v.Power
				shares++
			} else if err := k.beaconMiss(ctx, params, &rec, h-1, jailer); err != nil {
				return types.Beacon{}, false, err
			}
		}
		rec.Height, rec.Commitment = 0, nil
		if v.Committed && len(v.NextCommitment) == BeaconSecretSize {
			rec.Height, rec.Commitment = h, bytes.Clone(v.NextCommitment)
		}
		if err := k.BeaconRecords.Set(ctx, v.ConsAddress, rec); err != nil {
			return types.Beacon{}, false, err
		}
	}
	if err := k.pruneBeaconValidators(ctx, seen); err != nil {
		return types.Beacon{}, false, err
	}
	if total <= 0 || 3*shared <= total {
		return types.Beacon{}, false, nil
	}
	b := types.Beacon{Height: h, Value: mix.Sum(nil), Shares: shares, PowerBps: uint32(shared * 10000 / total)}
	if err := k.LastBeacon.Set(ctx, b); err != nil {
		return b, false, err
	}
	return b, true, kit.Emit(ctx, &types.EventBeacon{Height: h, Value: hex.EncodeToString(b.Value), Shares: shares, PowerBps: b.PowerBps})
}

// opens reports whether reveal is the secret of commitment.
func opens(commitment, reveal []byte) bool {
	if len(reveal) != BeaconSecretSize {
		return false
	}
	sum := sha256.Sum256(reveal)
	return bytes.Equal(sum[:], commitment)
}

// BeaconCommitment returns the commitment to a beacon secret.
func BeaconCommitment(secret []byte) []byte {
	sum := sha256.Sum256(secret)
	return sum[:]
}

// beaconMiss charges rec a withheld reveal of height and jails the
// validator once it reached beacon_max_misses in the window.
func (k Keeper) beaconMiss(ctx context.Context, params types.Params, rec *types.BeaconValidator, height int64, jailer ValidatorJailer) error {
	rec.Misses++
	cons := sdk.ConsAddress(rec.ConsAddress)
	if err := kit.Emit(ctx, &types.EventBeaconMiss{Validator: cons.String(), Height: height, Misses: rec.Misses}); err != nil {
		return err
	}
	if params.BeaconMaxMisses == 0 || rec.Misses < params.BeaconMaxMisses || jailer == nil || !jailer.Jailable(ctx, cons) {
		return nil
	}
	until := sdk.UnwrapSDKContext(ctx).BlockTime().Add(time.Duration(params.BeaconJailSeconds) * time.Second)
	if err := jailer.Jail(ctx, cons, until); err != nil {
		k.Logger(ctx).Error("beacon: jailing a withholding validator failed", "validator", cons.String(), "err", err)
		return nil
	}
	misses := rec.Misses
	rec.WindowStart, rec.Misses = sdk.UnwrapSDKContext(ctx).BlockHeight(), 0
	return kit.Emit(ctx, &types.EventBeaconJailed{Validator: cons.String(), Misses: misses, JailedUntil: until.Unix()})
}

// pruneBeaconValidators deletes the records of validators not in the
// commit just applied (they left the set): at most the set size plus those
// that left since the last block.
func (k Keeper) pruneBeaconValidators(ctx context.Context, keep map[string]bool) error {
	var gone [][]byte
	if err := k.BeaconRecords.Walk(ctx, nil, func(key []byte, _ types.BeaconValidator) (bool, error) {
		if !keep[string(key)] {
			gone = append(gone, key)
		}
		return false, nil
	}); err != nil {
		return err
	}
	for _, key := range gone {
		if err := k.BeaconRecords.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// CurrentBeacon returns the beacon of the block being executed, if the
// PreBlocker applied one.
func (k Keeper) CurrentBeacon(ctx context.Context) ([]byte, bool) {
	b, err := k.LastBeacon.Get(ctx)
	if err != nil || b.Height != sdk.UnwrapSDKContext(ctx).BlockHeight() {
		return nil, false
	}
	return b.Value, true
}
