package abci

import (
	"bytes"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	"github.com/cometbft/cometbft/libs/protoio"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ExtensionsInBlock reports whether the block at height carries the
// extended commit of height−1 as its first transaction: the votes of
// height−1 had extensions (vote_extensions_enable_height ≤ height−1).
func ExtensionsInBlock(ctx sdk.Context, height int64) bool {
	cp := ctx.ConsensusParams()
	if cp.Abci == nil || cp.Abci.VoteExtensionsEnableHeight == 0 {
		return false
	}
	return height > cp.Abci.VoteExtensionsEnableHeight
}

// Proposals wraps the app's proposal handlers: PrepareProposal injects the
// extended commit of the previous height as the block's first
// transaction, ProcessProposal checks it and hands the rest on.
type Proposals struct {
	ve      *VoteExtensions
	prepare sdk.PrepareProposalHandler
	process sdk.ProcessProposalHandler
}

// NewProposals wraps prepare and process (e.g. baseapp's default handlers).
func NewProposals(ve *VoteExtensions, prepare sdk.PrepareProposalHandler, process sdk.ProcessProposalHandler) *Proposals {
	return &Proposals{ve: ve, prepare: prepare, process: process}
}

// PrepareProposal prunes the local last commit of every extension this
// node cannot verify itself (bad signature or refused by
// VerifyVoteExtension: the local commit may hold extensions that never went
// through VerifyVoteExtension, cometbft#2361) by marking those votes absent,
// puts the result first and lets the wrapped handler fill the rest of the
// block within what is left of max_tx_bytes.
func (p *Proposals) PrepareProposal(ctx sdk.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	if !ExtensionsInBlock(ctx, req.Height) {
		return p.prepare(ctx, req)
	}
	commit := p.prune(ctx, req.LocalLastCommit)
	if err := baseapp.ValidateVoteExtensions(ctx, p.ve.staking, req.Height, ctx.ChainID(), commit); err != nil {
		// Other validators will refuse this proposal; the round moves on.
		p.ve.logger.Error("PrepareProposal: the extended commit does not validate", "height", req.Height, "err", err)
	}
	bz, err := commit.Marshal()
	if err != nil {
		return nil, err
	}
	inner := *req
	inner.MaxTxBytes -= int64(len(bz))
	if inner.MaxTxBytes < 0 {
		inner.MaxTxBytes = 0
	}
	resp, err := p.prepare(ctx, &inner)
	if err != nil {
		return nil, err
	}
	resp.Txs = append([][]byte{bz}, resp.Txs...)
	return resp, nil
}

// prune returns commit with every committed vote whose extension fails the
// signature check or verify marked absent, its extension dropped.
func (p *Proposals) prune(ctx sdk.Context, commit abci.ExtendedCommitInfo) abci.ExtendedCommitInfo {
	out := commit
	out.Votes = make([]abci.ExtendedVoteInfo, len(commit.Votes))
	copy(out.Votes, commit.Votes)
	for i, v := range out.Votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			continue
		}
		err := p.checkSignature(ctx, commit.Round, v)
		if err == nil {
			err = p.ve.verify(ctx, v.Validator.Address, v.VoteExtension)
		}
		if err != nil {
			p.ve.logger.Info("PrepareProposal: leaving out an unverifiable vote extension", "validator", fmt.Sprintf("%X", v.Validator.Address), "err", err)
			out.Votes[i].BlockIdFlag = cmtproto.BlockIDFlagAbsent
			out.Votes[i].VoteExtension, out.Votes[i].ExtensionSignature = nil, nil
		}
	}
	return out
}

// checkSignature checks a vote's extension signature as
// baseapp.ValidateVoteExtensions does.
func (p *Proposals) checkSignature(ctx sdk.Context, round int32, v abci.ExtendedVoteInfo) error {
	if len(v.ExtensionSignature) == 0 {
		return fmt.Errorf("no extension signature")
	}
	pk, err := p.ve.staking.GetPubKeyByConsAddr(ctx, v.Validator.Address)
	if err != nil {
		return err
	}
	cmtPK, err := cryptoenc.PubKeyFromProto(pk)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cve := cmtproto.CanonicalVoteExtension{Extension: v.VoteExtension, Height: ctx.BlockHeight() - 1, Round: int64(round), ChainId: ctx.ChainID()}
	if _, err := protoio.NewDelimitedWriter(&buf).WriteMsg(&cve); err != nil {
		return err
	}
	if !cmtPK.VerifySignature(buf.Bytes(), v.ExtensionSignature) {
		return fmt.Errorf("bad extension signature")
	}
	return nil
}

// ProcessProposal rejects a proposal whose first transaction is not a
// canonical extended commit of the previous height that
// baseapp.ValidateVoteExtensions accepts (signatures, ordering against
// the block's last commit, > 2/3 of the power) and whose every committed
// extension passes VerifyVoteExtension's checks; the remaining
// transactions go to the wrapped handler.
func (p *Proposals) ProcessProposal(ctx sdk.Context, req *abci.RequestProcessProposal) (resp *abci.ResponseProcessProposal, err error) {
	if !ExtensionsInBlock(ctx, req.Height) {
		return p.process(ctx, req)
	}
	reject := &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}
	defer func() {
		if r := recover(); r != nil {
			p.ve.logger.Error("ProcessProposal panicked; rejecting", "height", req.Height, "panic", r)
			resp, err = reject, nil
		}
	}()
	if err := p.checkInjected(ctx, req.Txs); err != nil {
		p.ve.logger.Info("proposal rejected: bad extended commit", "height", req.Height, "err", err)
		return reject, nil
	}
	inner := *req
	inner.Txs = req.Txs[1:]
	return p.process(ctx, &inner)
}

func (p *Proposals) checkInjected(ctx sdk.Context, txs [][]byte) error {
	if len(txs) == 0 {
		return fmt.Errorf("no extended commit")
	}
	commit, err := DecodeExtendedCommit(txs[0])
	if err != nil {
		return err
	}
	if err := baseapp.ValidateVoteExtensions(ctx, p.ve.staking, ctx.BlockHeight(), ctx.ChainID(), commit); err != nil {
		return err
	}
	for _, v := range commit.Votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			continue
		}
		if err := p.ve.verify(ctx, v.Validator.Address, v.VoteExtension); err != nil {
			return fmt.Errorf("extension of %X: %w", v.Validator.Address, err)
		}
	}
	return nil
}

// DecodeExtendedCommit decodes a block's first transaction as the
// canonical encoding of an extended commit.
func DecodeExtendedCommit(bz []byte) (abci.ExtendedCommitInfo, error) {
	var commit abci.ExtendedCommitInfo
	if err := commit.Unmarshal(bz); err != nil {
		return commit, fmt.Errorf("extended commit: %w", err)
	}
	if re, err := commit.Marshal(); err != nil || !bytes.Equal(re, bz) {
		return commit, fmt.Errorf("extended commit is not canonical protobuf")
	}
	return commit, nil
}
