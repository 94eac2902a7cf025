package chaintest

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	"github.com/llmesh/mesh/worker/chain"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// ApplyVoteExtension plays meshd applying a validator's vote extension in
// the next block, before its txs: each commitment as if its worker had sent
// MsgCommitPoC or MsgCommitResult. One the chain refuses (already committed,
// window closed, not assigned) is skipped, as on chain. It returns how many
// were applied. Call it inside Do or BeforeBroadcast.
func (n *Node) ApplyVoteExtension(res *abcitypes.CommitmentsResponse) (applied int) {
	for _, c := range res.Poc {
		worker, err := chain.AddressCodec.BytesToString(c.Worker)
		if err == nil && n.deliver([]sdk.Msg{&computetypes.MsgCommitPoC{Worker: worker, Epoch: c.Epoch, Root: c.Root}}, false) == nil {
			applied++
		}
	}
	for _, c := range res.Results {
		worker, err := chain.AddressCodec.BytesToString(c.Worker)
		if err == nil && n.deliver([]sdk.Msg{&inferencetypes.MsgCommitResult{Worker: worker, JobId: c.JobId, Commitment: c.Commitment}}, false) == nil {
			applied++
		}
	}
	return applied
}

func hasCommit(msgs []sdk.Msg) bool {
	for _, m := range msgs {
		switch m.(type) {
		case *computetypes.MsgCommitPoC, *inferencetypes.MsgCommitResult:
			return true
		}
	}
	return false
}
