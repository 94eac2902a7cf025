package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"slices"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/inference/types"
)

// Assignment draws a job's r workers, without replacement, from the eligible
// workers of its model, each with probability proportional to its weight:
//
//	weight = provider self-stake × reputation_bps × max(verified_units, 1)
//
// Eligible: registered in x/compute, ACTIVE, serving the model id, with at
// least the model's min VRAM, its provider's pool eligible in x/pool
// (unjailed, self-stake at its minimum) and a positive weight (a worker with
// reputation 0 gets no job). It is drawn only with a free slot: fewer open
// jobs than Params.JobSlots(verified_units), i.e. max(1, verified_units /
// units_per_job) capped at max_open_jobs_per_worker.
//
// Draw i (0-based) picks x = be256(SHA-256(seed ‖ be32(i))) mod W, W the
// total weight of the workers not yet drawn, and takes the first worker, in
// address order, whose cumulative weight exceeds x. Integer arithmetic only
// (math/big); the modulo bias is below W / 2^256.

// candidate is an eligible worker and its weight.
type candidate struct {
	addr     sdk.AccAddress
	provider string
	weight   *big.Int
	// free is the worker's free job slots (> 0 for every returned candidate).
	free uint32
}

// providerInfo caches x/pool lookups per provider within one assignment.
type providerInfo struct {
	eligible bool
	stake    *big.Int
}

// eligibleWorkers lists model's eligible workers with a free slot in
// address order (a model's min_vram_gb is checked against the worker's
// trusted_vram_gb, the VRAM its proven capacity backs, not its claim), and counts the distinct providers of eligible workers busy
// or not (capable). The scan reads only the model's workers (x/compute's
// (model, worker) index, in address order: issue 17, M5), paid by the
// requester's gas (or, for queued jobs, bounded per block).
func (k Keeper) eligibleWorkers(ctx context.Context, params types.Params, model types.Model) (free []candidate, capable int, err error) {
	type seen struct {
		addr     sdk.AccAddress
		provider string
		rep      uint32
		units    uint32
	}
	var found []seen
	err = k.compute.IterateWorkersOfModel(ctx, model.Id, func(w computetypes.Worker) (bool, error) {
		if w.Status == computetypes.WORKER_STATUS_ACTIVE && w.TrustedVramGb >= model.MinVramGb &&
			w.ReputationBps > 0 && slices.Contains(w.Models, model.Id) {
			addr, err := k.addrBytes(w.Address)
			if err != nil {
				return false, nil // a malformed worker address is simply not eligible
			}
			found = append(found, seen{addr: addr, provider: w.Provider, rep: w.ReputationBps, units: w.VerifiedUnits})
		}
		return false, nil
	})
	if err != nil {
		return nil, 0, err
	}

	// Lookups only (no iteration): the caches never decide an order.
	providers := make(map[string]providerInfo)
	capableProviders := make(map[string]bool)
	out := make([]candidate, 0, len(found))
	for _, s := range found {
		info, ok := providers[s.provider]
		if !ok {
			if info, err = k.providerInfo(ctx, s.provider); err != nil {
				return nil, 0, err
			}
			providers[s.provider] = info
		}
		if !info.eligible {
			continue
		}
		w := new(big.Int).Mul(info.stake, big.NewInt(int64(s.rep)))
		w.Mul(w, big.NewInt(int64(max(s.units, 1))))
		if w.Sign() <= 0 {
			continue
		}
		capableProviders[s.provider] = true
		open, err := k.openJobs(ctx, s.addr)
		if err != nil {
			return nil, 0, err
		}
		if slots := params.JobSlots(s.units); open < slots {
			out = append(out, candidate{addr: s.addr, provider: s.provider, weight: w, free: slots - open})
		}
	}
	// A provider's stake backs all its workers at once: split it among its
	// candidates, so registering more workers does not multiply a provider's
	// chance of a seat (rounding down; never below 1).
	perProvider := make(map[string]int64) // lookups only
	for _, c := range out {
		perProvider[c.provider]++
	}
	for i := range out {
		out[i].weight.Quo(out[i].weight, big.NewInt(perProvider[out[i].provider]))
		if out[i].weight.Sign() == 0 {
			out[i].weight.SetInt64(1)
		}
	}
	return out, len(capableProviders), nil
}

// distinctProviders counts the providers among cands.
func distinctProviders(cands []candidate) int {
	seen := make(map[string]bool, len(cands)) // membership only
	for _, c := range cands {
		seen[c.provider] = true
	}
	return len(seen)
}

// providerInfo reads a provider's eligibility and self-stake from x/pool.
func (k Keeper) providerInfo(ctx context.Context, provider string) (providerInfo, error) {
	bz, err := k.addrBytes(provider)
	if err != nil {
		return providerInfo{}, nil // a malformed provider is simply not eligible
	}
	eligible, err := k.pool.IsEligible(ctx, bz)
	if err != nil || !eligible {
		return providerInfo{}, err
	}
	stake, err := k.pool.SelfStake(ctx, bz)
	if err != nil {
		return providerInfo{}, err
	}
	return providerInfo{eligible: true, stake: stake.BigInt()}, nil
}

// drawWorkers draws r of cands without replacement, at most one per provider
// (see above). The caller ensures distinctProviders(cands) ≥ r.
func drawWorkers(seed []byte, cands []candidate, r int) []sdk.AccAddress {
	left := slices.Clone(cands)
	total := new(big.Int)
	for _, c := range left {
		total.Add(total, c.weight)
	}
	out := make([]sdk.AccAddress, 0, r)
	for i := 0; i < r && len(left) > 0; i++ {
		h := sha256.Sum256(binary.BigEndian.AppendUint32(slices.Clip(seed), uint32(i)))
		x := new(big.Int).SetBytes(h[:])
		x.Mod(x, total)
		pick := len(left) - 1
		acc := new(big.Int)
		for j, c := range left {
			acc.Add(acc, c.weight)
			if acc.Cmp(x) > 0 {
				pick = j
				break
			}
		}
		out = append(out, left[pick].addr)
		// One seat per provider: a provider's workers never outvote the others
		// by themselves (its other candidates leave the draw).
		provider := left[pick].provider
		kept := left[:0]
		for _, c := range left {
			if c.provider == provider {
				total.Sub(total, c.weight)
				continue
			}
			kept = append(kept, c)
		}
		left = kept
	}
	return out
}
