package system

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// poolView is the part of `meshd q pool pool` the test reads.
type poolView struct {
	Pool struct {
		Tokens     string `json:"tokens"`
		Jailed     bool   `json:"jailed"`
		Tombstoned bool   `json:"tombstoned"`
	} `json:"pool"`
	Eligible bool `json:"eligible"`
}

func (l *localnet) poolOf(t *testing.T, provider string) poolView {
	t.Helper()
	var p poolView
	l.cli.RunJSON(t, &p, "q", "pool", "pool", provider, "--home", l.nodeHome(), "-o", "json")
	return p
}

// requestR sends an inference request of redundancy r from alice and
// returns the job id (l.request asks for 3 workers; after the ejection only
// two providers are eligible).
func (l *localnet) requestR(t *testing.T, r int, input string) string {
	t.Helper()
	res := l.cli.SubmitTx(t, []string{"tx", "inference", "request", "mesh-embedded-v1", input,
		"--max-fee", fmt.Sprintf("%dumesh", 1000*r), "--redundancy", strconv.Itoa(r), "--mode", "exact", "--from", "alice",
		"--home", l.nodeHome(), "--gas", "600000", "--fees", "1500umesh"}, "--home", l.nodeHome())
	ids := l.jobIDs(t, res.TxHash)
	require.Len(t, ids, 1, "EventInferenceRequested in tx %s", res.TxHash)
	return ids[0]
}

// logWorkers logs a job that did not finalize and the workers' log tails.
func (l *localnet) logWorkers(t *testing.T, j jobView) {
	t.Helper()
	t.Logf("job %s ended %s, assignments %+v", j.Job.ID, j.Job.Status, j.Job.Assignments)
	for i := 1; i <= 3; i++ {
		t.Logf("worker-%d log:\n%s", i, tail(filepath.Join(l.home, fmt.Sprintf("worker-%d.log", i)), 8))
	}
}

func assigned(j jobView) []string {
	var out []string
	for _, a := range j.Job.Assignments {
		out = append(out, a.Worker)
	}
	return out
}

// On the localnet (issue 17): the DAO ejects provider-3 with a proposal
// carrying x/pool's MsgEjectProvider (10 % slash, tombstone). alice, bob
// and carol lock and vote it through; after the timelock carol executes it.
// Then provider-3's pool has lost 10 % of its stake and is tombstoned
// (`meshd tx pool unjail` is refused with pool/23), `meshd q pool ejection`
// shows the reason, provider-3's worker gets no further inference job while
// the others answer, and provider-3's pending rewards stop growing over the
// next compute epochs while provider-2's still grow.
func TestEjectProviderLocalnet(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	l := newLocalnet(t,
		"LOCALNET_BLOCK_TIME=500ms",
		"LOCALNET_COMPUTE_EPOCH=12s",
		"LOCALNET_COMMIT_WINDOW=8",
		"LOCALNET_REVEAL_WINDOW=8",
		"LOCALNET_DAO_VOTING_PERIOD=20s",
		"LOCALNET_DAO_TIMELOCK=6s",
		"LOCALNET_WORKER_UNITS=2", "LOCALNET_WORKER_GOPS=2", // small PoC challenges: three workers share the test machine's cores
	)
	l.mustRun(t, "start")
	home := []string{"--home", l.nodeHome()}
	addr := func(key string) string {
		return strings.TrimSpace(l.cli.Run(t, append([]string{"keys", "show", key, "-a"}, home...)...))
	}
	workerAddr := func(i int) string {
		return strings.TrimSpace(l.cli.Worker(t, "address", "--home", filepath.Join(l.home, fmt.Sprintf("worker-%d", i))))
	}
	provider3 := addr("provider-3")
	w1, w2, w3 := workerAddr(1), workerAddr(2), workerAddr(3)
	t.Logf("localnet up after %s", time.Since(start).Round(time.Second))

	// Before: provider-3's worker is seated in inference jobs like the others
	// (a job may expire while the workers are still starting: try again).
	for try := 0; ; try++ {
		j := l.waitJobEnded(t, l.requestR(t, 3, fmt.Sprintf("is this proposal risky (%d)", try)))
		require.ElementsMatch(t, []string{w1, w2, w3}, assigned(j))
		if j.Job.Status == "JOB_STATUS_FINALIZED" {
			break
		}
		l.logWorkers(t, j)
		require.Less(t, try, 3, "no job finalized")
	}
	require.True(t, l.poolOf(t, provider3).Eligible)

	// The proposal.
	for _, who := range []string{"alice", "bob", "carol"} {
		l.tx(t, "dao", "lock", "100000000umesh", "1h", "--from", who)
	}
	var treasury struct {
		Address string `json:"address"`
	}
	l.cli.RunJSON(t, &treasury, append([]string{"q", "dao", "treasury", "-o", "json"}, home...)...)
	const reason = "worker forged proof-of-compute reveals (forum thread 17)"
	file := filepath.Join(t.TempDir(), "eject.json")
	bz, err := json.Marshal(map[string]any{
		"title":   "Eject provider-3",
		"summary": "provider-3's worker forged proof-of-compute reveals. Slash its pool by 10 % and tombstone it.",
		"deposit": "10000000umesh",
		"messages": []any{map[string]any{
			"@type":          "/mesh.pool.v1.MsgEjectProvider",
			"authority":      treasury.Address,
			"provider":       provider3,
			"slash_fraction": "0.1",
			"reason":         reason,
			"tombstone":      true,
		}},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, bz, 0o600))
	l.tx(t, "dao", "submit-proposal", file, "--from", "alice")
	var list struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	l.cli.RunJSON(t, &list, append([]string{"q", "dao", "proposals", "-o", "json"}, home...)...)
	require.NotEmpty(t, list.Proposals)
	id := list.Proposals[len(list.Proposals)-1].ID
	for _, who := range []string{"alice", "bob", "carol"} {
		l.tx(t, "dao", "vote", id, "yes", "--from", who)
	}
	var p proposalView
	waitFor(t, "voting to end", time.Minute, func() (bool, string) {
		p = l.proposal(t, id)
		return p.Proposal.Status == "PROPOSAL_STATUS_PASSED", p.Proposal.Status + " " + p.Proposal.Result
	})
	eta, err := time.Parse(time.RFC3339Nano, p.Proposal.ETA)
	require.NoError(t, err)
	before := l.poolOf(t, provider3)
	require.False(t, before.Pool.Jailed, "nothing happens during the timelock")
	tokensBefore, err := strconv.ParseInt(before.Pool.Tokens, 10, 64)
	require.NoError(t, err)
	time.Sleep(time.Until(eta) + time.Second)
	code, log := l.txCode(t, "dao", "execute", id, "--from", "carol")
	require.Zero(t, code, log)
	p = l.proposal(t, id)
	require.Equal(t, "PROPOSAL_STATUS_EXECUTED", p.Proposal.Status, p.Proposal.Result)
	t.Logf("proposal %s executed after %s", id, time.Since(start).Round(time.Second))

	// The pool: 10 % less stake (rounded up), tombstoned, ineligible.
	after := l.poolOf(t, provider3)
	tokensAfter, err := strconv.ParseInt(after.Pool.Tokens, 10, 64)
	require.NoError(t, err)
	require.Equal(t, tokensBefore-(tokensBefore+9)/10, tokensAfter, "10 %% of %d slashed", tokensBefore)
	require.True(t, after.Pool.Jailed)
	require.True(t, after.Pool.Tombstoned)
	require.False(t, after.Eligible)
	require.Contains(t, l.cli.Run(t, append([]string{"q", "pool", "ejection", provider3}, home...)...), reason)
	var ej struct {
		Ejection struct {
			Reason     string `json:"reason"`
			Tombstoned bool   `json:"tombstoned"`
			Slashed    struct {
				Amount string `json:"amount"`
			} `json:"slashed"`
		} `json:"ejection"`
	}
	l.cli.RunJSON(t, &ej, append([]string{"q", "pool", "ejection", provider3, "-o", "json"}, home...)...)
	require.Equal(t, reason, ej.Ejection.Reason)
	require.True(t, ej.Ejection.Tombstoned)
	require.Equal(t, strconv.FormatInt(tokensBefore-tokensAfter, 10), ej.Ejection.Slashed.Amount)
	require.Contains(t, l.cli.Run(t, append([]string{"q", "pool", "ejections"}, home...)...), provider3)
	code, log = l.txCode(t, "pool", "unjail", "--from", "provider-3")
	require.EqualValues(t, 23, code, "tombstoned: %s", log)

	// No further inference job for provider-3's worker; the others answer.
	// One seat per job: on a loaded machine one of the other workers may
	// miss a PoC epoch and sit out for a while, which must not fail this.
	epochAtEjection := l.pending(t, "provider-2").CurrentEpoch
	finalized := 0
	for i := 0; i < 3; i++ {
		j := l.waitJobEnded(t, l.requestR(t, 1, fmt.Sprintf("after the ejection, request %d", i)))
		require.Len(t, assigned(j), 1, "job %s", j.Job.ID)
		require.Contains(t, []string{w1, w2}, assigned(j)[0], "job %s", j.Job.ID)
		require.False(t, slices.Contains(assigned(j), w3))
		if j.Job.Status != "JOB_STATUS_FINALIZED" {
			l.logWorkers(t, j)
		} else {
			finalized++
		}
	}
	require.Positive(t, finalized, "the other workers still answer")

	// No new rewards for provider-3: its worker is no longer challenged.
	// Epochs that closed around the ejection may still pay it for earlier
	// work, so the baseline is taken two epochs after it; the validator's
	// and provider-2's rewards still grow.
	epochNum := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	var p2, p3 pendingView
	waitFor(t, "two compute epochs after the ejection", 2*time.Minute, func() (bool, string) {
		p2 = l.pending(t, "provider-2")
		return epochNum(p2.CurrentEpoch) >= epochNum(epochAtEjection)+2, "epoch " + p2.CurrentEpoch
	})
	p3 = l.pending(t, "provider-3")
	base1, base2, base3 := l.pending(t, "validator").umesh(), p2.umesh(), p3.umesh()
	var p1 pendingView
	waitFor(t, "the other providers' rewards to grow over the next epoch", 2*time.Minute, func() (bool, string) {
		p1, p2 = l.pending(t, "validator"), l.pending(t, "provider-2")
		return epochNum(p2.CurrentEpoch) > epochNum(p3.CurrentEpoch) && (p1.umesh() > base1 || p2.umesh() > base2),
			fmt.Sprintf("epoch %s, validator pending %d (was %d), provider-2 pending %d (was %d)", p2.CurrentEpoch, p1.umesh(), base1, p2.umesh(), base2)
	})
	require.Equal(t, base3, l.pending(t, "provider-3").umesh(), "provider-3's pending rewards stopped growing")
	t.Logf("validator pending %d → %d, provider-2 %d → %d; provider-3 stays at %d", base1, p1.umesh(), base2, p2.umesh(), base3)
	t.Logf("total %s", time.Since(start).Round(time.Second))
}
