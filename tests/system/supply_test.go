package system

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// blockResults is the part of CometBFT's /block_results the tests read.
type blockResults struct {
	TxsResults []struct {
		Code   uint32      `json:"code"`
		Events []abciEvent `json:"events"`
	} `json:"txs_results"`
	FinalizeBlockEvents []abciEvent `json:"finalize_block_events"`
}

// blockResults reads a block's results from the node's RPC, on loopback.
func (l *localnet) blockResults(t *testing.T, height int64) blockResults {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/block_results?height=%d", l.rpcPort, height))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Result blockResults `json:"result"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Result
}

// supplyAt is the total supply of umesh after block height.
func (l *localnet) supplyAt(t *testing.T, height int64) int64 {
	t.Helper()
	var res struct {
		Amount struct {
			Amount string `json:"amount"`
		} `json:"amount"`
	}
	l.cli.RunJSON(t, &res, "q", "bank", "total-supply-of", denom, "--height", strconv.FormatInt(height, 10),
		"--home", l.nodeHome(), "-o", "json")
	n, err := strconv.ParseInt(res.Amount.Amount, 10, 64)
	require.NoError(t, err)
	return n
}

// checkSupplyBurns: over a window of blocks on the localnet, in which the
// workers pay fees for their commits and reveals, every fee-paying tx burns
// half its fee (fee_burn_bps 5000, rounded down), and the total supply moves
// by exactly x/mint's block inflation less what was burned: the fee burns
// and the other burns (x/inference's share of job fees, slashes).
func checkSupplyBurns(t *testing.T, l *localnet) {
	t.Helper()
	h0 := l.height(t)
	before := l.supplyAt(t, h0)

	var txs, feeTxs int
	var fees, wantFeeBurn, feeBurned, burned, minted int64
	addBurns := func(events []abciEvent) {
		for _, e := range events {
			switch e.Type {
			case "burn":
				burned += umeshOf(t, e.attr("amount"))
			case "mint": // x/mint's event; its amount is an integer of bond denom
				n, err := strconv.ParseInt(e.attr("amount"), 10, 64)
				require.NoError(t, err, "mint amount %q", e.attr("amount"))
				minted += n
			}
		}
	}
	scan := func(h int64) {
		res := l.blockResults(t, h)
		for _, tx := range res.TxsResults {
			txs++
			var fee int64
			for _, e := range tx.Events {
				switch e.Type {
				case "tx":
					if f := e.attr("fee"); f != "" {
						fee = umeshOf(t, f)
					}
				case "mesh.rewards.v1.EventFeeBurned":
					feeBurned += umeshOf(t, e.attr("burned"))
				}
			}
			if fee > 0 {
				feeTxs++
				fees += fee
				wantFeeBurn += fee / 2
			}
			addBurns(tx.Events)
		}
		addBurns(res.FinalizeBlockEvents)
	}
	// At least 12 blocks, and on until the workers' commits and reveals
	// have paid at least three fees (a compute epoch or so).
	h1 := h0
	waitFor(t, fmt.Sprintf("12 blocks and 3 fee-paying txs after height %d", h0), 2*time.Minute, func() (bool, string) {
		for top := l.height(t); h1 < top; {
			h1++
			scan(h1)
		}
		return h1 >= h0+12 && feeTxs >= 3, fmt.Sprintf("height %d, %d fee-paying txs", h1, feeTxs)
	})
	after := l.supplyAt(t, h1)
	t.Logf("blocks %d..%d: %d txs (%d with fees), fees %dumesh, fee burn %dumesh, all burns %dumesh, minted %dumesh, supply %d → %d",
		h0+1, h1, txs, feeTxs, fees, feeBurned, burned, minted, before, after)
	require.Positive(t, feeTxs, "the workers' txs pay fees")
	require.Equal(t, wantFeeBurn, feeBurned, "half of every fee is burned")
	require.GreaterOrEqual(t, burned, feeBurned, "fee burns are bank burns")
	require.Positive(t, minted, "x/mint inflates every block")
	require.Equal(t, before+minted-burned, after, "supply = before + minted − burned")
	// Relative to minting the supply has fallen by at least half the fees
	// (each rounded down).
	require.LessOrEqual(t, after-before, minted-wantFeeBurn)
}
