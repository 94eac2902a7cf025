package types

import (
	"cosmossdk.io/math"
)

// Turnout is the power of all votes cast.
func (t Tally) Turnout() math.Int {
	return orZero(t.Yes).Add(orZero(t.No)).Add(orZero(t.Abstain)).Add(orZero(t.Veto))
}

// Vetoed reports whether veto × 10000 ≥ vetoBps × turnout with a positive veto.
func (t Tally) Vetoed(vetoBps uint32) bool {
	veto := orZero(t.Veto)
	return veto.IsPositive() && veto.MulRaw(BpsScale).GTE(t.Turnout().MulRaw(int64(vetoBps)))
}

// Decide is the outcome of a proposal at the end of its voting period:
// REJECTED without quorum (turnout × 10000 < quorum_bps × total power, or no
// power at all), VETOED at the veto threshold, PASSED when yes × 10000 >
// threshold_bps × (yes + no), REJECTED otherwise. The reason is for the CLI.
func Decide(p Proposal) (ProposalStatus, string) {
	t := p.Tally
	total := orZero(p.TotalPower)
	turnout := t.Turnout()
	if !total.IsPositive() || turnout.MulRaw(BpsScale).LT(total.MulRaw(int64(p.QuorumBps))) {
		return PROPOSAL_STATUS_REJECTED, "no quorum: turnout " + turnout.String() + " of total power " + total.String()
	}
	if t.Vetoed(p.VetoThresholdBps) {
		return PROPOSAL_STATUS_VETOED, "vetoed: " + orZero(t.Veto).String() + " of turnout " + turnout.String()
	}
	yes, no := orZero(t.Yes), orZero(t.No)
	if yes.MulRaw(BpsScale).GT(yes.Add(no).MulRaw(int64(p.ThresholdBps))) {
		return PROPOSAL_STATUS_PASSED, "passed: yes " + yes.String() + ", no " + no.String()
	}
	return PROPOSAL_STATUS_REJECTED, "rejected: yes " + yes.String() + ", no " + no.String()
}

// NewTally is an all-zero tally.
func NewTally() Tally {
	return Tally{Yes: math.ZeroInt(), No: math.ZeroInt(), Abstain: math.ZeroInt(), Veto: math.ZeroInt()}
}

// Add adds power to option's count (power may be negative to remove a vote).
func (t *Tally) Add(option VoteOption, power math.Int) {
	switch option {
	case VOTE_OPTION_YES:
		t.Yes = orZero(t.Yes).Add(power)
	case VOTE_OPTION_NO:
		t.No = orZero(t.No).Add(power)
	case VOTE_OPTION_ABSTAIN:
		t.Abstain = orZero(t.Abstain).Add(power)
	case VOTE_OPTION_VETO:
		t.Veto = orZero(t.Veto).Add(power)
	}
}

// IsFinal reports whether a status ends a proposal: its deposit is settled
// and nothing changes it any more.
func (s ProposalStatus) IsFinal() bool {
	switch s {
	case PROPOSAL_STATUS_REJECTED, PROPOSAL_STATUS_VETOED, PROPOSAL_STATUS_EXECUTED,
		PROPOSAL_STATUS_FAILED, PROPOSAL_STATUS_EXPIRED:
		return true
	}
	return false
}

func orZero(i math.Int) math.Int {
	if i.IsNil() {
		return math.ZeroInt()
	}
	return i
}
