package chaintest

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

type computeServer struct {
	computetypes.UnimplementedQueryServer
	n *Node
}

func (s *computeServer) Epoch(context.Context, *computetypes.QueryEpochRequest) (*computetypes.QueryEpochResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	e := s.n.epoch
	return &computetypes.QueryEpochResponse{Height: s.n.height, Epoch: computetypes.EpochInfo{Number: e.Number, StartHeight: e.Start,
		Seed: e.Seed, CommitEnd: e.CommitEnd, RevealEnd: e.RevealEnd, SampleSeed: s.n.sampleSeed()}}, nil
}

func (s *computeServer) Params(context.Context, *computetypes.QueryParamsRequest) (*computetypes.QueryParamsResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	return &computetypes.QueryParamsResponse{Params: s.n.params}, nil
}

func (s *computeServer) Worker(_ context.Context, req *computetypes.QueryWorkerRequest) (*computetypes.QueryWorkerResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if s.n.accounts[req.Address] == nil {
		return nil, status.Errorf(codes.NotFound, "worker %s not found", req.Address)
	}
	return &computetypes.QueryWorkerResponse{Worker: computetypes.Worker{Address: req.Address, Status: computetypes.WORKER_STATUS_ACTIVE,
		Spec: computetypes.HardwareSpec{ComputeUnits: 1}}}, nil
}

func (s *computeServer) Challenge(_ context.Context, req *computetypes.QueryChallengeRequest) (*computetypes.QueryChallengeResponse, error) {
	n := s.n
	n.mu.Lock()
	defer n.mu.Unlock()
	addr, err := chain.AddressCodec.StringToBytes(req.Worker)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	e := n.epoch
	res := &computetypes.QueryChallengeResponse{Epoch: e.Number, Seed: poc.ChallengeSeed(e.Seed, addr),
		M: uint32(e.Dims.M), N: uint32(e.Dims.N), P: uint32(e.Dims.P), CommitEnd: e.CommitEnd, RevealEnd: e.RevealEnd,
		Eligible: n.eligible(req.Worker)}
	if c := n.commitments[req.Worker]; c != nil {
		cp := *c
		res.Commitment = &cp
		if seed := n.sampleSeed(); seed != nil {
			res.SampleIndices = poc.SampleIndices(seed, addr, c.Rows, e.K)
		}
	}
	return res, nil
}

func (n *Node) eligible(worker string) bool { return n.Eligible == nil || n.Eligible[worker] }

// sampleSeed is drawn once the commit window has closed.
func (n *Node) sampleSeed() []byte {
	if n.height > n.epoch.CommitEnd {
		return n.epoch.SampleSeed
	}
	return nil
}

// abciErr is a failed message's ABCI code.
type abciErr struct {
	Codespace string
	Code      uint32
	Log       string
}

func txErr(e interface {
	Codespace() string
	ABCICode() uint32
	Error() string
}, log string) *abciErr {
	return &abciErr{Codespace: e.Codespace(), Code: e.ABCICode(), Log: log + ": " + e.Error()}
}

// deliver executes x/compute's PoC messages, x/inference's result messages
// and x/training's worker messages at height+1 as the keepers do; dryRun
// (simulation) checks them without changing state.
func (n *Node) deliver(msgs []sdk.Msg, dryRun bool) *abciErr {
	height := n.height + 1
	e := n.epoch
	for _, msg := range msgs {
		switch m := msg.(type) {
		case *inferencetypes.MsgCommitResult, *inferencetypes.MsgRevealResult:
			if err := n.deliverInference(m, height, dryRun); err != nil {
				return err
			}
		case *trainingtypes.MsgJoinTask, *trainingtypes.MsgCommitUpdate, *trainingtypes.MsgRevealUpdate, *trainingtypes.MsgSubmitAggregate:
			if err := n.deliverTraining(m, height, dryRun); err != nil {
				return err
			}
		case *computetypes.MsgCommitPoC:
			switch {
			case m.Epoch != e.Number:
				return txErr(computetypes.ErrWrongEpoch, "commit")
			case height > e.CommitEnd:
				return txErr(computetypes.ErrCommitWindowClosed, "commit")
			case !n.eligible(m.Worker):
				return txErr(computetypes.ErrNotEligible, "commit")
			case n.commitments[m.Worker] != nil:
				return txErr(computetypes.ErrDuplicateCommit, "commit")
			case len(m.Root) != 32:
				return txErr(computetypes.ErrInvalidRoot, "commit")
			}
			if dryRun {
				continue
			}
			n.commitments[m.Worker] = &computetypes.Commitment{Worker: m.Worker, Epoch: m.Epoch, Root: m.Root,
				Rows: uint32(e.Dims.M), Height: height}
		case *computetypes.MsgRevealPoC:
			c := n.commitments[m.Worker]
			switch {
			case m.Epoch != e.Number:
				return txErr(computetypes.ErrWrongEpoch, "reveal")
			case c == nil:
				return txErr(computetypes.ErrNoCommitment, "reveal")
			case height <= e.CommitEnd || height > e.RevealEnd:
				return txErr(computetypes.ErrRevealWindow, "reveal")
			case c.Outcome != computetypes.PROOF_OUTCOME_UNSPECIFIED:
				return txErr(computetypes.ErrAlreadyRevealed, "reveal")
			}
			addr, _ := chain.AddressCodec.StringToBytes(m.Worker)
			idx := poc.SampleIndices(e.SampleSeed, addr, c.Rows, e.K)
			var ri []uint32
			var vals [][]byte
			var proofs [][][]byte
			for _, r := range m.Rows {
				ri, vals, proofs = append(ri, r.Index), append(vals, r.Values), append(proofs, r.Proof)
			}
			ok, err := poc.VerifyRows(poc.ChallengeSeed(e.Seed, addr), c.Root, e.Dims, idx, ri, vals, proofs)
			switch {
			case err != nil:
				return txErr(computetypes.ErrInvalidReveal, err.Error())
			case dryRun:
			case ok:
				c.Outcome = computetypes.PROOF_OUTCOME_PASS
			default:
				c.Outcome = computetypes.PROOF_OUTCOME_FRAUD
			}
		}
	}
	return nil
}

// RootOf is the Merkle root a correct worker commits in the current epoch.
func (n *Node) RootOf(worker string) []byte {
	n.mu.Lock()
	e := n.epoch
	n.mu.Unlock()
	addr, _ := chain.AddressCodec.StringToBytes(worker)
	_, tree, _ := poc.Prove(poc.ChallengeSeed(e.Seed, addr), e.Dims)
	return tree.Root()
}
