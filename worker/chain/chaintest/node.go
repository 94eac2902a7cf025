// Package chaintest is a fake meshd node for the worker's tests: a real
// gRPC server on loopback that answers the auth, tx, x/compute and
// x/inference calls meshd-worker makes, checks signatures and sequences as
// the ante handler does, plays x/compute's proof-of-compute rounds (commit
// window, sample, reveal verified with the spec's VerifyRows),
// x/inference's commit–reveal of the jobs a test adds and x/training's
// tasks and rounds.
//
// It is a test double, not a chain: a tx accepted by CheckTx is executed at
// once as if it were in the next block.
package chaintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// SimGas is the gas every simulation reports.
const SimGas = 100_000

// Epoch is the fake's current PoC epoch.
type Epoch struct {
	Number, Start        int64
	Seed, SampleSeed     []byte
	CommitEnd, RevealEnd int64
	Dims                 poc.Dims
	K                    uint32
}

type account struct {
	num, seq uint64
}

// Node is the fake node. Its fields are guarded by Lock/Unlock (use Do).
type Node struct {
	ChainID string
	enc     chain.Encoding

	mu     sync.Mutex
	height int64
	epoch  Epoch
	// Eligible workers (by address) are challenged; all when nil.
	Eligible    map[string]bool
	accounts    map[string]*account
	commitments map[string]*computetypes.Commitment
	txs         map[string]*sdk.TxResponse
	// RejectNext, when set, is CheckTx's answer to the next broadcast.
	RejectNext *sdk.TxResponse
	// RefuseCommits makes CheckTx refuse every tx with a MsgCommitPoC or
	// MsgCommitResult ("mempool is full"), so that only a vote extension
	// (ApplyVoteExtension) commits.
	RefuseCommits bool
	// BeforeBroadcast, when set, runs (locked) at the next broadcast, after
	// the client's simulation: e.g. to bump a sequence in between.
	BeforeBroadcast func(n *Node)
	// Broadcasts counts BroadcastTx calls; Accepted the txs that passed
	// CheckTx; CommitBroadcasts the BroadcastTx calls whose tx carries a
	// MsgCommitPoC or MsgCommitResult, accepted or not (what a vote
	// extension that lands first saves).
	Broadcasts, Accepted, CommitBroadcasts int
	// LastTx is the last accepted tx.
	LastTx sdk.Tx

	models map[string]inferencetypes.Model
	jobs   []*inferencetypes.Job // job i+1 at index i
	// JobsPageLimit, when > 0, caps the page size of Query/Jobs.
	JobsPageLimit int
	// JobsQueries counts Query/Jobs calls; ResultCommits and ResultReveals
	// the MsgCommitResult and MsgRevealResult executed.
	JobsQueries, ResultCommits, ResultReveals int

	// params is what Query/Params answers (SetParams); DefaultParams at New.
	params computetypes.Params

	// x/training (training.go).
	training       *trainingState
	trainingCounts TrainingCounts
}

// New makes a node at height 1 in epoch 1 (commit window to 10, reveal to 20).
func New(chainID string) (*Node, error) {
	enc, err := chain.NewEncoding()
	if err != nil {
		return nil, err
	}
	n := &Node{ChainID: chainID, enc: enc, height: 1, accounts: map[string]*account{},
		commitments: map[string]*computetypes.Commitment{}, txs: map[string]*sdk.TxResponse{},
		models: map[string]inferencetypes.Model{}, params: computetypes.DefaultParams()}
	n.epoch = Epoch{Number: 1, Start: 1, Seed: []byte("epoch-1"), SampleSeed: []byte("sample-1"), CommitEnd: 10, RevealEnd: 20,
		Dims: poc.Dims{M: 64, N: 32, P: 8}, K: 4}
	return n, nil
}

// SetParams sets x/compute's params as Query/Params answers them (the
// challenges keep their own shape: SetEpoch).
func (n *Node) SetParams(p computetypes.Params) { n.Do(func(n *Node) { n.params = p }) }

// Do runs f with the node locked.
func (n *Node) Do(f func(n *Node)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(n)
}

// Height returns the current height.
func (n *Node) Height() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.height
}

// SetHeight moves the chain to h (jobs move on as if every height in
// between had passed).
func (n *Node) SetHeight(h int64) {
	n.Do(func(n *Node) { n.height = h; n.advanceJobs(); n.advanceTraining() })
}

// Advance adds blocks; past the epoch's reveal window the next epoch starts
// (same shape and window lengths, new seeds, no commitments).
func (n *Node) Advance(blocks int64) {
	n.Do(func(n *Node) {
		n.height += blocks
		for n.height > n.epoch.RevealEnd {
			e := n.epoch
			commitLen, revealLen := e.CommitEnd-e.Start, e.RevealEnd-e.CommitEnd
			e.Number++
			e.Seed = fmt.Appendf(nil, "epoch-%d", e.Number)
			e.SampleSeed = fmt.Appendf(nil, "sample-%d", e.Number)
			e.Start = n.epoch.RevealEnd + 1
			e.CommitEnd = e.Start + commitLen
			e.RevealEnd = e.CommitEnd + revealLen
			n.epoch = e
			n.commitments = map[string]*computetypes.Commitment{}
		}
		n.advanceJobs()
		n.advanceTraining()
	})
}

// SetEpoch replaces the current epoch and forgets its commitments.
func (n *Node) SetEpoch(e Epoch) {
	n.Do(func(n *Node) { n.epoch, n.commitments = e, map[string]*computetypes.Commitment{} })
}

// ClearCommitments forgets every commitment of the epoch.
func (n *Node) ClearCommitments() {
	n.Do(func(n *Node) { n.commitments = map[string]*computetypes.Commitment{} })
}

// AddAccount creates an account (as a fee grant or a transfer would).
func (n *Node) AddAccount(addr string) {
	n.Do(func(n *Node) {
		if n.accounts[addr] == nil {
			n.accounts[addr] = &account{num: uint64(10 + len(n.accounts))}
		}
	})
}

// Sequence returns an account's sequence.
func (n *Node) Sequence(addr string) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a := n.accounts[addr]; a != nil {
		return a.seq
	}
	return 0
}

// BumpSequence moves an account's sequence as another client's tx would
// (call it inside Do or BeforeBroadcast).
func (n *Node) BumpSequence(addr string, by uint64) { n.accounts[addr].seq += by }

// Commitment returns worker's commitment in the current epoch, if any.
func (n *Node) Commitment(worker string) *computetypes.Commitment {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c := n.commitments[worker]; c != nil {
		cp := *c
		return &cp
	}
	return nil
}

// Serve serves the node on lis until the test ends.
func (n *Node) Serve(t testing.TB, lis net.Listener) {
	srv := grpc.NewServer(grpc.ForceServerCodec(n.enc.Codec.GRPCCodec()))
	authtypes.RegisterQueryServer(srv, &authServer{n: n})
	txtypes.RegisterServiceServer(srv, &txServer{n: n})
	computetypes.RegisterQueryServer(srv, &computeServer{n: n})
	inferencetypes.RegisterQueryServer(srv, &inferenceServer{n: n})
	trainingtypes.RegisterQueryServer(srv, &trainingServer{n: n})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
}

// Listen serves the node on a fresh loopback port and returns its address.
func (n *Node) Listen(t testing.TB) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.Serve(t, lis)
	return lis.Addr().String()
}

type authServer struct {
	authtypes.UnimplementedQueryServer
	n *Node
}

func (s *authServer) AccountInfo(_ context.Context, req *authtypes.QueryAccountInfoRequest) (*authtypes.QueryAccountInfoResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	a := s.n.accounts[req.Address]
	if a == nil {
		return nil, status.Errorf(codes.NotFound, "account %s not found", req.Address)
	}
	return &authtypes.QueryAccountInfoResponse{Info: &authtypes.BaseAccount{Address: req.Address, AccountNumber: a.num, Sequence: a.seq}}, nil
}

type txServer struct {
	txtypes.UnimplementedServiceServer
	n *Node
}

func sequenceErr(want, got uint64) string {
	return fmt.Sprintf("account sequence mismatch, expected %d, got %d: incorrect account sequence", want, got)
}

// ante decodes a tx and checks what the ante handler checks: one signer
// with an account, the sequence, and (unless simulating) the signature.
func (n *Node) ante(ctx context.Context, bz []byte, simulate bool) (authsigning.Tx, *account, *sdk.TxResponse, error) {
	tx, err := n.enc.TxConfig.TxDecoder()(bz)
	if err != nil {
		return nil, nil, nil, status.Error(codes.InvalidArgument, err.Error())
	}
	stx := tx.(authsigning.Tx)
	sigs, err := stx.GetSignaturesV2()
	if err != nil || len(sigs) != 1 {
		return nil, nil, nil, status.Errorf(codes.InvalidArgument, "want one signature: %v", err)
	}
	sig := sigs[0]
	signers, err := stx.GetSigners()
	if err != nil || len(signers) != 1 {
		return nil, nil, nil, status.Errorf(codes.InvalidArgument, "want one signer: %v", err)
	}
	addr, _ := chain.AddressCodec.BytesToString(signers[0])
	a := n.accounts[addr]
	if a == nil {
		return nil, nil, &sdk.TxResponse{Codespace: "sdk", Code: 9, RawLog: "account " + addr + " does not exist"}, nil
	}
	if sig.Sequence != a.seq {
		return nil, nil, &sdk.TxResponse{Codespace: "sdk", Code: 32, RawLog: sequenceErr(a.seq, sig.Sequence)}, nil
	}
	if simulate {
		return stx, a, nil, nil
	}
	data, ok := sig.Data.(*signing.SingleSignatureData)
	if !ok || data.SignMode != signing.SignMode_SIGN_MODE_DIRECT {
		return nil, nil, &sdk.TxResponse{Codespace: "sdk", Code: 4, RawLog: "want SIGN_MODE_DIRECT"}, nil
	}
	signBytes, err := authsigning.GetSignBytesAdapter(ctx, n.enc.TxConfig.SignModeHandler(), signing.SignMode_SIGN_MODE_DIRECT,
		authsigning.SignerData{ChainID: n.ChainID, AccountNumber: a.num, Sequence: sig.Sequence, PubKey: sig.PubKey, Address: addr}, stx)
	if err != nil {
		return nil, nil, nil, status.Error(codes.Internal, err.Error())
	}
	if !bytes.Equal(sig.PubKey.Address(), signers[0]) || !sig.PubKey.VerifySignature(signBytes, data.Signature) {
		return nil, nil, &sdk.TxResponse{Codespace: "sdk", Code: 4, RawLog: "signature verification failed"}, nil
	}
	return stx, a, nil, nil
}

func (s *txServer) Simulate(ctx context.Context, req *txtypes.SimulateRequest) (*txtypes.SimulateResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	tx, _, rej, err := s.n.ante(ctx, req.TxBytes, true)
	if err != nil {
		return nil, err
	}
	if rej != nil {
		return nil, status.Error(codes.Unknown, rej.RawLog)
	}
	if err := s.n.deliver(tx.GetMsgs(), true); err != nil {
		// The text baseapp's Simulate answers with; the code is lost.
		return nil, status.Errorf(codes.Unknown, "failed to execute message; message index: 0: %s With gas wanted: '0' and gas used: '%d' ", err.Log, SimGas)
	}
	return &txtypes.SimulateResponse{GasInfo: &sdk.GasInfo{GasUsed: SimGas}}, nil
}

func (s *txServer) BroadcastTx(ctx context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	n := s.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Broadcasts++
	if tx, err := n.enc.TxConfig.TxDecoder()(req.TxBytes); err == nil && hasCommit(tx.GetMsgs()) {
		n.CommitBroadcasts++
	}
	if f := n.BeforeBroadcast; f != nil {
		n.BeforeBroadcast = nil
		f(n)
	}
	hash := fmt.Sprintf("%X", sha256.Sum256(req.TxBytes))
	if r := n.RejectNext; r != nil {
		n.RejectNext = nil
		r.TxHash = hash
		return &txtypes.BroadcastTxResponse{TxResponse: r}, nil
	}
	tx, acc, rej, err := n.ante(ctx, req.TxBytes, false)
	if err != nil {
		return nil, err
	}
	if rej == nil && n.RefuseCommits && hasCommit(tx.GetMsgs()) {
		rej = &sdk.TxResponse{Codespace: "sdk", Code: 20, RawLog: "mempool is full"}
	}
	if rej != nil {
		rej.TxHash = hash
		return &txtypes.BroadcastTxResponse{TxResponse: rej}, nil
	}
	acc.seq++
	n.Accepted++
	n.LastTx = tx
	// "Include" the tx in the next block.
	res := &sdk.TxResponse{TxHash: hash, Height: n.height + 1}
	if th := tx.GetTimeoutHeight(); th != 0 && uint64(n.height+1) > th {
		res.Codespace, res.Code, res.RawLog = "sdk", 30, "tx timeout height"
	} else if err := n.deliver(tx.GetMsgs(), false); err != nil {
		// The failed tx still used its sequence, as on a real chain.
		res.Codespace, res.Code, res.RawLog = err.Codespace, err.Code, err.Log
	}
	n.txs[hash] = res
	return &txtypes.BroadcastTxResponse{TxResponse: &sdk.TxResponse{TxHash: hash}}, nil
}

func (s *txServer) GetTx(_ context.Context, req *txtypes.GetTxRequest) (*txtypes.GetTxResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if r, ok := s.n.txs[req.Hash]; ok {
		return &txtypes.GetTxResponse{TxResponse: r}, nil
	}
	return nil, status.Error(codes.NotFound, "tx not found")
}
