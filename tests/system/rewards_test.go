package system

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pendingView is the part of `meshd q rewards pending` the tests read.
type pendingView struct {
	Amount []struct {
		Denom  string `json:"denom"`
		Amount string `json:"amount"`
	} `json:"amount"`
	Epochs       int    `json:"epochs"`
	CurrentEpoch string `json:"current_epoch"`
	ToPool       bool   `json:"to_pool"`
}

func (p pendingView) umesh() int64 {
	for _, c := range p.Amount {
		if c.Denom == "umesh" {
			n, _ := strconv.ParseInt(c.Amount, 10, 64)
			return n
		}
	}
	return 0
}

func (l *localnet) pending(t *testing.T, who string) pendingView {
	t.Helper()
	var p pendingView
	l.cli.RunJSON(t, &p, "q", "rewards", "pending", who, "--home", l.nodeHome(), "-o", "json")
	return p
}

// txEvent returns attribute key of the first event of type typ in a
// committed tx (typed events quote string values as JSON).
func (l *localnet) txEvent(t *testing.T, hash, typ, key string) string {
	t.Helper()
	for _, e := range l.txEvents(t, hash) {
		if e.Type == typ && e.has(key) {
			return e.attr(key)
		}
	}
	t.Fatalf("tx %s has no %s.%s", hash, typ, key)
	return ""
}

// hasTransfer reports whether a committed tx has a bank transfer of amount to recipient.
func (l *localnet) hasTransfer(t *testing.T, hash, recipient, amount string) bool {
	t.Helper()
	for _, e := range l.txEvents(t, hash) {
		if e.Type != "transfer" {
			continue
		}
		if e.attr("recipient") == recipient && e.attr("amount") == amount {
			return true
		}
	}
	return false
}

// umeshOf parses the umesh amount of a coins string such as "123umesh,4ibc/X".
func umeshOf(t *testing.T, coins string) int64 {
	t.Helper()
	for _, c := range strings.Split(coins, ",") {
		if n, ok := strings.CutSuffix(c, "umesh"); ok && n != "" {
			v, err := strconv.ParseInt(n, 10, 64)
			require.NoError(t, err)
			return v
		}
	}
	return 0
}

// checkRewardsClaim: provider-2's pending rewards grow with every closed
// compute epoch while its worker passes, and `meshd tx rewards claim` moves
// them — through its pool, whose only delegator it is — to its balance.
func checkRewardsClaim(t *testing.T, l *localnet) {
	t.Helper()
	provider := strings.TrimSpace(l.cli.Run(t, "keys", "show", "provider-2", "-a", "--home", l.nodeHome()))
	first := l.pending(t, "provider-2") // by key name …
	require.True(t, first.ToPool, "provider-2 runs a pool: its rewards go through it")
	last := first
	for i := 0; i < 2; i++ {
		prev := last
		waitFor(t, fmt.Sprintf("reward epoch %s to close", prev.CurrentEpoch), 2*time.Minute, func() (bool, string) {
			last = l.pending(t, provider) // … or by address
			return last.CurrentEpoch != prev.CurrentEpoch && last.umesh() > prev.umesh(),
				fmt.Sprintf("epoch %s, pending %dumesh (was %dumesh in epoch %s)", last.CurrentEpoch, last.umesh(), prev.umesh(), prev.CurrentEpoch)
		})
	}
	require.Greater(t, last.Epochs, first.Epochs)

	before := l.cli.Balance(t, provider, "umesh", "--home", l.nodeHome())
	const fee = 10_000
	res := l.cli.SubmitTx(t, []string{"tx", "rewards", "claim", "--from", "provider-2", "--home", l.nodeHome(),
		"--gas", "600000", "--fees", fmt.Sprintf("%dumesh", fee)}, "--home", l.nodeHome())
	claimed := umeshOf(t, l.txEvent(t, res.TxHash, "mesh.rewards.v1.EventRewardsClaimed", "amount"))
	withdrawn := umeshOf(t, l.txEvent(t, res.TxHash, "mesh.rewards.v1.EventRewardsClaimed", "withdrawn"))
	// Half of the claim's fee was burned as it was collected (fee_burn_bps).
	require.Equal(t, int64(fee/2), umeshOf(t, l.txEvent(t, res.TxHash, "mesh.rewards.v1.EventFeeBurned", "burned")))
	require.GreaterOrEqual(t, claimed, last.umesh(), "the claim pays at least what was pending before it")
	// The pool pays its sole delegator everything but sub-unit dust.
	require.GreaterOrEqual(t, withdrawn, claimed-1)
	// The pool's payment is a bank transfer to the provider in the claim tx.
	require.True(t, l.hasTransfer(t, res.TxHash, provider, fmt.Sprintf("%dumesh", withdrawn)),
		"claim tx %s has no transfer of %dumesh to %s", res.TxHash, withdrawn, provider)
	// The balance grows by that less the claim's fee; provider-2 also pays
	// its worker's commit/reveal fees through its fee grant meanwhile (a few
	// hundred umesh each), hence the lower slack.
	after := l.cli.Balance(t, provider, "umesh", "--home", l.nodeHome())
	require.LessOrEqual(t, after, before+withdrawn-fee)
	require.GreaterOrEqual(t, after, before+withdrawn-fee-20_000)
	require.Greater(t, after, before, "the claim is worth more than its fee")

	// Nothing closed is left unpaid: pending now counts only epochs closed
	// after the claim's block.
	p := l.pending(t, provider)
	require.LessOrEqual(t, p.Epochs, 1, "pending after the claim: %+v", p)

	// Its self-delegation's loyalty age is shown and grows; the bonus rate is
	// still 0 (loyalty_threshold is 30 days).
	age := func() (int64, string) {
		var d struct {
			Delegation struct {
				BondedSince string `json:"bonded_since"`
			} `json:"delegation"`
			AgeSeconds      json.Number `json:"age_seconds"`
			LoyaltyBonusBps json.Number `json:"loyalty_bonus_bps"`
		}
		l.cli.RunJSON(t, &d, "q", "pool", "delegation", provider, provider, "--home", l.nodeHome(), "-o", "json")
		require.NotEmpty(t, d.Delegation.BondedSince)
		require.Contains(t, []json.Number{"", "0"}, d.LoyaltyBonusBps)
		n, _ := d.AgeSeconds.Int64()
		return n, d.Delegation.BondedSince
	}
	age0, since := age()
	waitFor(t, "the delegation's loyalty age to grow", time.Minute, func() (bool, string) {
		a, s := age()
		return a > age0 && s == since, fmt.Sprintf("age %ds (was %ds), bonded_since %s", a, age0, s)
	})
}
