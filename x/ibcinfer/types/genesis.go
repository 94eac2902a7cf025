package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/internal/validate"
)

// DefaultGenesis has default params and nothing pending.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the params, that each job and each refund packet appears
// once, and the fields of each entry.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	jobs := make(map[uint64]bool, len(gs.PendingAcks))
	for _, p := range gs.PendingAcks {
		if p.JobId == 0 || jobs[p.JobId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "pending ack of job %d: zero or listed twice", p.JobId)
		}
		jobs[p.JobId] = true
		if err := p.validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "pending ack of job %d: %v", p.JobId, err)
		}
	}
	type key struct {
		channel string
		seq     uint64
	}
	refunds := make(map[key]bool, len(gs.Refunds))
	for _, r := range gs.Refunds {
		k := key{r.Channel, r.Sequence}
		if r.Channel == "" || r.Sequence == 0 || refunds[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "refund %s/%d: empty or listed twice", r.Channel, r.Sequence)
		}
		refunds[k] = true
		if err := validate.AddressField("requester", r.Requester, ErrInvalidAddress); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "refund %s/%d: %v", r.Channel, r.Sequence, err)
		}
		if err := r.Amount.Validate(); err != nil || !r.Amount.IsPositive() || r.Receiver == "" || r.Attempt == 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "refund %s/%d: amount %s, receiver %q, attempt %d", r.Channel, r.Sequence, r.Amount, r.Receiver, r.Attempt)
		}
	}
	return nil
}

func (p PendingAck) validate() error {
	if err := validate.AddressField("requester", p.Requester, ErrInvalidAddress); err != nil {
		return err
	}
	if err := p.Received.Validate(); err != nil || !p.Received.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidGenesis, "received %s", p.Received)
	}
	pk := p.Packet
	if pk.Sequence == 0 || pk.SourcePort == "" || pk.SourceChannel == "" || pk.DestinationPort == "" || pk.DestinationChannel == "" || len(pk.Data) == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "packet has an empty field")
	}
	if p.Sender == "" {
		return errorsmod.Wrap(ErrInvalidGenesis, "empty sender")
	}
	return nil
}
