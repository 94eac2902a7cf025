package integration

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/testutil"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// answerJob has job's assigned workers (found among workers) commit to
// output in one block and reveal it in the next; sign signs one worker's
// message with its next sequence. It requires both blocks' txs to succeed
// and returns the reveal block, whose EndBlock settles the job.
func answerJob(t *testing.T, f *testutil.Fixture, job inferencetypes.Job, workers []testutil.Account, output string,
	sign func(testutil.Account, sdk.Msg) []byte,
) *abci.ResponseFinalizeBlock {
	t.Helper()
	byAddr := map[string]testutil.Account{}
	for _, w := range workers {
		byAddr[w.Address.String()] = w
	}
	salt := make([]byte, 32)
	var commits, reveals [][]byte
	for _, a := range job.Assignments {
		w := byAddr[a.Worker]
		commits = append(commits, sign(w, &inferencetypes.MsgCommitResult{
			Worker: a.Worker, JobId: job.Id, Commitment: inferencetypes.Commitment(job.Id, w.Address, inferencetypes.Digest([]byte(output)), salt),
		}))
	}
	for _, a := range job.Assignments {
		reveals = append(reveals, sign(byAddr[a.Worker], &inferencetypes.MsgRevealResult{Worker: a.Worker, JobId: job.Id, Output: []byte(output), Salt: salt}))
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, commits...))
	res := f.NextBlock(t, reveals...)
	testutil.RequireTxsOK(t, res)
	return res
}

// fromSequence signs with each account's sequence counted from first.
func fromSequence(t *testing.T, f *testutil.Fixture, first uint64) func(testutil.Account, sdk.Msg) []byte {
	next := map[string]uint64{}
	return func(acc testutil.Account, msg sdk.Msg) []byte {
		seq, ok := next[acc.Address.String()]
		if !ok {
			seq = first
		}
		next[acc.Address.String()] = seq + 1
		return f.SignTx(t, acc, seq, msg)
	}
}
