package keeper

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/llmesh/mesh/x/pool/types"
)

// FuzzShareMath checks the rounding directions on arbitrary pools: a deposit
// never buys shares worth more than it paid, a withdrawal never burns shares
// worth less than it takes, and the rate left behind never falls.
func FuzzShareMath(f *testing.F) {
	f.Add(uint64(400_000_000), uint64(360_000_000), uint64(9), uint64(1))
	f.Add(uint64(3), uint64(10), uint64(7), uint64(2))
	f.Add(uint64(1), uint64(1_000_000_007), uint64(1), uint64(1_000))
	f.Add(uint64(999_999_999_999), uint64(1), uint64(5), uint64(1))
	f.Fuzz(func(t *testing.T, shares, tokens, deposit, withdraw uint64) {
		if shares == 0 || tokens == 0 || deposit == 0 || withdraw == 0 {
			t.Skip()
		}
		pool := types.Pool{Tokens: math.NewIntFromUint64(tokens), Shares: math.LegacyNewDecFromInt(math.NewIntFromUint64(shares))}
		rate := pool.Tokens.ToLegacyDec().Quo(pool.Shares)

		bought := sharesForDeposit(pool, math.NewIntFromUint64(deposit))
		require.True(t, bought.MulInt(pool.Tokens).LTE(math.LegacyNewDecFromInt(math.NewIntFromUint64(deposit)).Mul(pool.Shares)),
			"deposit %d bought %s shares worth more", deposit, bought)
		after := pool
		after.Tokens = pool.Tokens.Add(math.NewIntFromUint64(deposit))
		after.Shares = pool.Shares.Add(bought)
		if after.Shares.IsPositive() {
			require.True(t, after.Tokens.ToLegacyDec().Quo(after.Shares).GTE(rate.Sub(math.LegacyNewDecWithPrec(1, 17))))
		}

		// Withdraw at most the whole pool's token value.
		amt := math.NewIntFromUint64(withdraw)
		if amt.GT(pool.Tokens) {
			amt = pool.Tokens
		}
		burned := sharesForWithdrawal(pool, amt)
		require.True(t, burned.MulInt(pool.Tokens).GTE(math.LegacyNewDecFromInt(amt).Mul(pool.Shares)),
			"withdrawing %s burned only %s shares", amt, burned)
		require.True(t, burned.LTE(pool.Shares))
		require.True(t, tokensFromShares(pool, pool.Shares).LTE(pool.Tokens))
	})
}
