package types

import (
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis: default params, no locks, no proposals.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextProposalId: 1}
}

// Validate checks a genesis state without an address codec (InitGenesis
// checks the addresses): params, ids, uniqueness, and references.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextProposalId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_proposal_id must be at least 1")
	}
	owners := make(map[string]bool, len(gs.Locks))
	for _, l := range gs.Locks {
		if l.Owner == "" || owners[l.Owner] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock owner %q empty or repeated", l.Owner)
		}
		owners[l.Owner] = true
		if l.Amount.IsNil() || !l.Amount.IsPositive() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock of %s: amount %v", l.Owner, l.Amount)
		}
	}
	delegators := make(map[string]bool, len(gs.Delegations))
	for _, d := range gs.Delegations {
		if d.Delegator == "" || d.Delegate == "" || d.Delegator == d.Delegate || delegators[d.Delegator] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "delegation %s → %s: empty, self or repeated", d.Delegator, d.Delegate)
		}
		delegators[d.Delegator] = true
	}
	proposals := make(map[uint64]bool, len(gs.Proposals))
	for _, p := range gs.Proposals {
		if p.Id == 0 || p.Id >= gs.NextProposalId || proposals[p.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "proposal id %d: zero, repeated or not below next_proposal_id %d", p.Id, gs.NextProposalId)
		}
		proposals[p.Id] = true
		if _, ok := ProposalStatus_name[int32(p.Status)]; !ok || p.Status == PROPOSAL_STATUS_UNSPECIFIED {
			return errorsmod.Wrapf(ErrInvalidGenesis, "proposal %d: status %d", p.Id, p.Status)
		}
		if err := p.Deposit.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "proposal %d deposit: %v", p.Id, err)
		}
	}
	type voteKey struct {
		id    uint64
		voter string
	}
	votes := make(map[voteKey]bool, len(gs.Votes))
	for _, v := range gs.Votes {
		k := voteKey{v.ProposalId, v.Voter}
		if !proposals[v.ProposalId] || v.Voter == "" || votes[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "vote of %q on %d: unknown proposal, empty voter or repeated", v.Voter, v.ProposalId)
		}
		votes[k] = true
	}
	for _, list := range []struct {
		name string
		cps  []Checkpoint
	}{{"own_power", gs.OwnPower}, {"delegated_power", gs.DelegatedPower}, {"total_power", gs.TotalPower}, {"delegation_history", gs.DelegationHistory}} {
		seen := make(map[[2]any]bool, len(list.cps))
		for _, c := range list.cps {
			k := [2]any{c.Account, c.Height}
			if seen[k] || c.Height < 0 {
				return errorsmod.Wrapf(ErrInvalidGenesis, "%s checkpoint of %q at %d repeated or negative", list.name, c.Account, c.Height)
			}
			seen[k] = true
			if list.name != "delegation_history" && (c.Power.IsNil() || c.Power.IsNegative()) {
				return errorsmod.Wrapf(ErrInvalidGenesis, "%s checkpoint of %q at %d: power %v", list.name, c.Account, c.Height, c.Power)
			}
		}
	}
	for _, c := range gs.TotalPower {
		if c.Account != "" {
			return errorsmod.Wrapf(ErrInvalidGenesis, "total_power checkpoint at %d names an account", c.Height)
		}
	}
	for _, o := range gs.Overrides {
		if !proposals[o.ProposalId] || o.Delegate == "" || o.Power.IsNil() || o.Power.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "override of %q on %d: unknown proposal, empty delegate or bad power", o.Delegate, o.ProposalId)
		}
	}
	jobs := make(map[uint64]bool, len(gs.AnalysisJobs))
	for _, j := range gs.AnalysisJobs {
		if jobs[j.JobId] || !proposals[j.ProposalId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "analysis job %d: repeated or unknown proposal %d", j.JobId, j.ProposalId)
		}
		jobs[j.JobId] = true
	}
	return nil
}
