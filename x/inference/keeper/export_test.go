package keeper

import (
	"context"
	"math/big"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DrawWorkers exposes drawWorkers to the tests: weights[i] is the weight of addrs[i].
func DrawWorkers(seed []byte, addrs []sdk.AccAddress, weights []int64, r int) []sdk.AccAddress {
	cands := make([]candidate, len(addrs))
	for i := range addrs {
		// Each test worker is its own provider unless a test says otherwise.
		cands[i] = candidate{addr: addrs[i], provider: addrs[i].String(), weight: big.NewInt(weights[i])}
	}
	return drawWorkers(seed, cands, r)
}

// EligibleWeights exposes the assignment's candidates and weights.
func (k Keeper) EligibleWeights(ctx context.Context, modelID string) ([]sdk.AccAddress, []string, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	model, err := k.GetModel(ctx, modelID)
	if err != nil {
		return nil, nil, err
	}
	cands, _, err := k.eligibleWorkers(ctx, params, model)
	if err != nil {
		return nil, nil, err
	}
	var addrs []sdk.AccAddress
	var weights []string
	for _, c := range cands {
		addrs = append(addrs, c.addr)
		weights = append(weights, c.weight.String())
	}
	return addrs, weights, nil
}

// SplitWorkerFee exposes splitWorkerFee.
var SplitWorkerFee = splitWorkerFee

// Candidate is a test view of an assignment candidate.
type Candidate struct {
	Addr     sdk.AccAddress
	Provider string
	Weight   int64
}

// DrawCandidates exposes drawWorkers with explicit providers.
func DrawCandidates(seed []byte, cs []Candidate, r int) []sdk.AccAddress {
	cands := make([]candidate, len(cs))
	for i, c := range cs {
		cands[i] = candidate{addr: c.Addr, provider: c.Provider, weight: big.NewInt(c.Weight)}
	}
	return drawWorkers(seed, cands, r)
}
