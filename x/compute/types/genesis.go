package types

import (
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/llmesh/mesh/x/internal/validate"
)

// DefaultGenesis returns the default genesis: default params, nothing else.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis state: params, addresses, duplicates, and that
// every epoch, settling epoch and commitment is consistent with the others.
// Addresses are checked for a valid bech32 form of any prefix; InitGenesis
// decodes them with the chain's address codec.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if err := validateBeacon(gs.Beacon, gs.BeaconValidators); err != nil {
		return err
	}
	workers := make([]string, 0, len(gs.Workers))
	providerOf := make(map[string]string, len(gs.Workers)) // looked up, never iterated
	for _, w := range gs.Workers {
		if err := validateWorker(gs.Params, gs.Epoch.Number, w); err != nil {
			return fmt.Errorf("worker %s: %w", w.Address, err)
		}
		workers = append(workers, w.Address)
		providerOf[w.Address] = w.Provider
	}
	slices.Sort(workers)
	if i := validate.FirstDuplicate(workers); i >= 0 {
		return fmt.Errorf("worker %s listed twice", workers[i])
	}

	tombs := make([]string, 0, len(gs.Tombstones))
	for _, t := range gs.Tombstones {
		if err := validate.Address(t.Address); err != nil {
			return fmt.Errorf("tombstone: %w", err)
		}
		if _, found := slices.BinarySearch(workers, t.Address); found {
			return fmt.Errorf("tombstone of %s: the worker is registered", t.Address)
		}
		tombs = append(tombs, t.Address)
	}
	slices.Sort(tombs)
	if i := validate.FirstDuplicate(tombs); i >= 0 {
		return fmt.Errorf("tombstone %s listed twice", tombs[i])
	}

	auths := make([]string, 0, len(gs.Authorizations))
	for _, a := range gs.Authorizations {
		if err := validate.Address(a.Provider); err != nil {
			return fmt.Errorf("authorization provider: %w", err)
		}
		if err := validate.Address(a.Worker); err != nil {
			return fmt.Errorf("authorization worker: %w", err)
		}
		// Registering consumes the registering provider's authorization. Another
		// provider's, made before the registration, stays unused until the
		// worker deregisters: AuthorizeWorker refuses only registered workers.
		if p, found := providerOf[a.Worker]; found && p == a.Provider {
			return fmt.Errorf("authorization of %s by %s: it registered under that provider, which consumes it", a.Worker, a.Provider)
		}
		auths = append(auths, a.Provider+"/"+a.Worker)
	}
	slices.Sort(auths)
	if i := validate.FirstDuplicate(auths); i >= 0 {
		return fmt.Errorf("authorization %s listed twice", auths[i])
	}

	if err := gs.Epoch.Validate(); err != nil {
		return err
	}
	if err := validateCursor(gs.Epoch); err != nil {
		return err
	}
	if len(gs.Settling) > MaxSettlingEpochs {
		return fmt.Errorf("%d settling epochs, at most %d", len(gs.Settling), MaxSettlingEpochs)
	}
	open := []int64{gs.Epoch.Number}
	for i, e := range gs.Settling {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("settling: %w", err)
		}
		if err := validateCursor(e); err != nil {
			return err
		}
		if e.Number == 0 || e.Number >= gs.Epoch.Number || e.Settled {
			return fmt.Errorf("settling epoch %d: must be unsettled and before epoch %d", e.Number, gs.Epoch.Number)
		}
		if i > 0 && e.Number <= gs.Settling[i-1].Number {
			return fmt.Errorf("settling epochs must be in increasing order")
		}
		open = append(open, e.Number)
	}

	commits := make([]string, 0, len(gs.Commitments))
	for _, c := range gs.Commitments {
		if c.Epoch == 0 || !slices.Contains(open, c.Epoch) {
			return fmt.Errorf("commitment of %s: epoch %d is neither current nor settling", c.Worker, c.Epoch)
		}
		if _, found := slices.BinarySearch(workers, c.Worker); !found {
			return fmt.Errorf("commitment of %s: not a worker", c.Worker)
		}
		if len(c.Root) != sha256.Size || c.Rows == 0 || c.Height < 0 {
			return fmt.Errorf("commitment of %s in epoch %d: invalid root, rows or height", c.Worker, c.Epoch)
		}
		if _, ok := ProofOutcome_name[int32(c.Outcome)]; !ok {
			return fmt.Errorf("commitment of %s in epoch %d: unknown outcome", c.Worker, c.Epoch)
		}
		commits = append(commits, fmt.Sprintf("%020d/%s", c.Epoch, c.Worker))
	}
	slices.Sort(commits)
	if i := validate.FirstDuplicate(commits); i >= 0 {
		return fmt.Errorf("commitment %s listed twice", commits[i])
	}
	return nil
}

func validateWorker(p Params, epoch int64, w Worker) error {
	if err := validate.Address(w.Address); err != nil {
		return err
	}
	if err := validate.Address(w.Provider); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if w.Status != WORKER_STATUS_ACTIVE && w.Status != WORKER_STATUS_JAILED {
		return fmt.Errorf("invalid status %s", w.Status)
	}
	// Units are not checked against max_units_per_worker: the param may have
	// been lowered after registration.
	if w.Spec.ComputeUnits == 0 {
		return fmt.Errorf("no compute units")
	}
	if w.ReputationBps > MaxReputationBps {
		return fmt.Errorf("reputation %d above %d", w.ReputationBps, MaxReputationBps)
	}
	if w.RegisteredEpoch < 0 || w.RegisteredEpoch > epoch || w.LastPassedEpoch < 0 || w.LastPassedEpoch > epoch {
		return fmt.Errorf("registered or passed epoch after the current epoch %d", epoch)
	}
	if len(w.MissedEpochs) > MaxMissedWindow {
		return fmt.Errorf("%d missed epochs kept, at most %d", len(w.MissedEpochs), MaxMissedWindow)
	}
	return nil
}

func validateCursor(e EpochInfo) error {
	if e.SettleCursor == "" {
		return nil
	}
	if err := validate.Address(e.SettleCursor); err != nil {
		return fmt.Errorf("epoch %d settle cursor: %w", e.Number, err)
	}
	return nil
}

// validateBeacon checks the beacon output and the validators' records: 32-byte
// values, 20-byte consensus addresses, each validator once.
func validateBeacon(b *Beacon, recs []BeaconValidator) error {
	if b != nil && (b.Height < 1 || len(b.Value) != 32 || b.PowerBps > 10000) {
		return fmt.Errorf("beacon: height %d, %d-byte value, power_bps %d: want height ≥ 1, 32 bytes, ≤ 10000", b.Height, len(b.Value), b.PowerBps)
	}
	seen := make(map[string]bool, len(recs)) // looked up, never iterated
	for _, r := range recs {
		if len(r.ConsAddress) != 20 || seen[string(r.ConsAddress)] {
			return fmt.Errorf("beacon validator %X: want a distinct 20-byte consensus address", r.ConsAddress)
		}
		seen[string(r.ConsAddress)] = true
		if (r.Height == 0) != (len(r.Commitment) == 0) || (len(r.Commitment) != 0 && len(r.Commitment) != 32) || r.Height < 0 || r.WindowStart < 0 {
			return fmt.Errorf("beacon validator %X: height %d with a %d-byte commitment", r.ConsAddress, r.Height, len(r.Commitment))
		}
	}
	return nil
}
