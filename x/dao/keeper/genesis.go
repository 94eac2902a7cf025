package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// InitGenesis writes the genesis state, rebuilds the delegate index and the
// queues (VOTING proposals by voting_end, PASSED ones by expiry), and fails
// if the escrow account holds less than the locks plus the deposits of the
// proposals not yet settled (run it after x/bank).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.NextProposalID.Set(ctx, gs.NextProposalId); err != nil {
		return err
	}
	locked, err := k.initLocks(ctx, gs)
	if err != nil {
		return err
	}
	deposits, err := k.initProposals(ctx, gs)
	if err != nil {
		return err
	}
	if err := k.initPower(ctx, gs); err != nil {
		return err
	}
	for _, j := range gs.AnalysisJobs {
		if err := k.AnalysisJobs.Set(ctx, j.JobId, j.ProposalId); err != nil {
			return err
		}
	}
	return k.requireEscrow(ctx, gs.Params.LockDenom, locked, deposits)
}

// initLocks writes the locks and the delegations with their index; it
// returns the amount locked.
func (k Keeper) initLocks(ctx context.Context, gs *types.GenesisState) (math.Int, error) {
	locked := math.ZeroInt()
	for _, l := range gs.Locks {
		owner, err := k.genesisAddr(l.Owner)
		if err != nil {
			return math.Int{}, err
		}
		if err := k.Locks.Set(ctx, owner, l); err != nil {
			return math.Int{}, err
		}
		locked = locked.Add(l.Amount)
	}
	for _, d := range gs.Delegations {
		delegator, err := k.genesisAddr(d.Delegator)
		if err != nil {
			return math.Int{}, err
		}
		delegate, err := k.genesisAddr(d.Delegate)
		if err != nil {
			return math.Int{}, err
		}
		if err := k.Delegations.Set(ctx, delegator, delegate); err != nil {
			return math.Int{}, err
		}
		if err := k.DelegatorsByDelegate.Set(ctx, collections.Join(delegate, delegator)); err != nil {
			return math.Int{}, err
		}
	}
	return locked, nil
}

// initProposals writes the proposals with their queues and the votes; it
// returns the deposits of the proposals not yet settled.
func (k Keeper) initProposals(ctx context.Context, gs *types.GenesisState) (sdk.Coins, error) {
	deposits := sdk.NewCoins()
	for _, p := range gs.Proposals {
		if err := k.Proposals.Set(ctx, p.Id, p); err != nil {
			return nil, err
		}
		switch p.Status {
		case types.PROPOSAL_STATUS_VOTING:
			if err := k.VotingQueue.Set(ctx, collections.Join(p.VotingEnd, p.Id)); err != nil {
				return nil, err
			}
		case types.PROPOSAL_STATUS_PASSED:
			if err := k.ExecutionQueue.Set(ctx, collections.Join(p.Expiry, p.Id)); err != nil {
				return nil, err
			}
		}
		if !p.Status.IsFinal() {
			deposits = deposits.Add(p.Deposit...)
		}
	}
	for _, v := range gs.Votes {
		voter, err := k.genesisAddr(v.Voter)
		if err != nil {
			return nil, err
		}
		if err := k.Votes.Set(ctx, collections.Join(v.ProposalId, voter), v); err != nil {
			return nil, err
		}
	}
	return deposits, nil
}

// initPower writes the power checkpoints, the delegation history and the
// overrides.
func (k Keeper) initPower(ctx context.Context, gs *types.GenesisState) error {
	for _, list := range []struct {
		cps []types.Checkpoint
		m   collections.Map[collections.Pair[sdk.AccAddress, int64], math.Int]
	}{{gs.OwnPower, k.OwnPower}, {gs.DelegatedPower, k.DelegatedPower}} {
		for _, c := range list.cps {
			account, err := k.genesisAddr(c.Account)
			if err != nil {
				return err
			}
			if err := list.m.Set(ctx, collections.Join(account, c.Height), c.Power); err != nil {
				return err
			}
		}
	}
	for _, c := range gs.TotalPower {
		if c.Account != "" {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "total_power checkpoint at %d names account %q", c.Height, c.Account)
		}
		if err := k.TotalPower.Set(ctx, c.Height, c.Power); err != nil {
			return err
		}
	}
	for _, c := range gs.DelegationHistory {
		account, err := k.genesisAddr(c.Account)
		if err != nil {
			return err
		}
		delegate := []byte{}
		if c.Delegate != "" {
			if delegate, err = k.genesisAddr(c.Delegate); err != nil {
				return err
			}
		}
		if err := k.DelegationHistory.Set(ctx, collections.Join(account, c.Height), delegate); err != nil {
			return err
		}
	}
	for _, o := range gs.Overrides {
		delegate, err := k.genesisAddr(o.Delegate)
		if err != nil {
			return err
		}
		if o.Power.IsNil() || o.Power.IsNegative() {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "override of %s on %d: power %v", o.Delegate, o.ProposalId, o.Power)
		}
		if err := k.Overrides.Set(ctx, collections.Join(o.ProposalId, delegate), o.Power); err != nil {
			return err
		}
	}
	return nil
}

// requireEscrow fails if the escrow account holds less than the locks plus
// the deposits.
func (k Keeper) requireEscrow(ctx context.Context, lockDenom string, locked math.Int, deposits sdk.Coins) error {
	owed := deposits
	if locked.IsPositive() {
		owed = owed.Add(sdk.NewCoin(lockDenom, locked))
	}
	if !owed.IsZero() {
		held := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(types.EscrowAccount))
		if !owed.IsAllLTE(held) {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "escrow account holds %s, locks and open deposits need %s", held, owed)
		}
	}
	return nil
}

// ExportGenesis reads the whole state back, each collection in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.NextProposalID.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params, NextProposalId: next}
	if err := k.Locks.Walk(ctx, nil, func(_ sdk.AccAddress, l types.Lock) (bool, error) {
		gs.Locks = append(gs.Locks, l)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Delegations.Walk(ctx, nil, func(delegator sdk.AccAddress, delegate []byte) (bool, error) {
		d := k.addrString(delegator)
		to := k.addrString(delegate)
		gs.Delegations = append(gs.Delegations, types.Delegation{Delegator: d, Delegate: to})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Proposals.Walk(ctx, nil, func(_ uint64, p types.Proposal) (bool, error) {
		gs.Proposals = append(gs.Proposals, p)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Votes.Walk(ctx, nil, func(_ collections.Pair[uint64, sdk.AccAddress], v types.Vote) (bool, error) {
		gs.Votes = append(gs.Votes, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.OwnPower, err = k.exportPower(ctx, k.OwnPower); err != nil {
		return nil, err
	}
	if gs.DelegatedPower, err = k.exportPower(ctx, k.DelegatedPower); err != nil {
		return nil, err
	}
	if err := k.TotalPower.Walk(ctx, nil, func(h int64, power math.Int) (bool, error) {
		gs.TotalPower = append(gs.TotalPower, types.Checkpoint{Height: h, Power: power})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.DelegationHistory.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, int64], delegate []byte) (bool, error) {
		account := k.addrString(key.K1())
		to := ""
		if len(delegate) > 0 {
			to = k.addrString(delegate)
		}
		// Power is unused here; zero rather than nil so that the state
		// survives a JSON round trip unchanged.
		gs.DelegationHistory = append(gs.DelegationHistory, types.Checkpoint{Account: account, Height: key.K2(), Power: math.ZeroInt(), Delegate: to})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Overrides.Walk(ctx, nil, func(key collections.Pair[uint64, sdk.AccAddress], power math.Int) (bool, error) {
		delegate := k.addrString(key.K2())
		gs.Overrides = append(gs.Overrides, types.Override{ProposalId: key.K1(), Delegate: delegate, Power: power})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.AnalysisJobs.Walk(ctx, nil, func(job, id uint64) (bool, error) {
		gs.AnalysisJobs = append(gs.AnalysisJobs, types.AnalysisJob{JobId: job, ProposalId: id})
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}

// exportPower lists a map of (account, height) checkpoints.
func (k Keeper) exportPower(ctx context.Context, m collections.Map[collections.Pair[sdk.AccAddress, int64], math.Int]) ([]types.Checkpoint, error) {
	var out []types.Checkpoint
	err := m.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, int64], power math.Int) (bool, error) {
		account := k.addrString(key.K1())
		out = append(out, types.Checkpoint{Account: account, Height: key.K2(), Power: power})
		return false, nil
	})
	return out, err
}

// genesisAddr parses a genesis address.
func (k Keeper) genesisAddr(s string) (sdk.AccAddress, error) {
	addr, err := k.addrBytes(s)
	if err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
	}
	return addr, nil
}
