package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// TestBurnFeeShare: ⌊fee × fee_burn_bps⌋ of each denom of a tx fee is burned
// from the fee collector; the block's inflation beside it and the rest of the
// fee stay there for the split.
func TestBurnFeeShare(t *testing.T) {
	for _, c := range []struct {
		name        string
		bps         uint32
		fee, burned string
	}{
		{"half, floored per denom", 5000, "10001umesh,7ibc/XYZ", "3ibc/XYZ,5000umesh"},
		{"all", 10_000, "10001umesh", "10001umesh"},
		{"none", 0, "10001umesh", ""},
		{"below one unit", 5000, "1umesh", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, withParams(func(p *types.Params) { p.FeeBurnBps = c.bps }))
			inflation := coins(t, "1000000umesh")
			fee := coins(t, c.fee)
			f.mintTo(authtypes.FeeCollectorName, inflation.Add(fee...)) // as x/mint and DeductFeeDecorator leave it
			supply := f.bk.GetSupply(f.ctx, "umesh")

			require.NoError(t, f.k.BurnFeeShare(f.ctx, fee))

			burned := coins(t, c.burned)
			requireCoins(t, inflation.Add(fee...).Sub(burned...), f.modBal(authtypes.FeeCollectorName))
			require.Equal(t, supply.Amount.Sub(burned.AmountOf("umesh")), f.bk.GetSupply(f.ctx, "umesh").Amount)
			require.True(t, f.modBal(types.ModuleName).IsZero(), "nothing stays in x/rewards")
			if burned.IsZero() {
				require.Empty(t, typedEvents[types.EventFeeBurned](f))
				return
			}
			require.Equal(t, []types.EventFeeBurned{{Fee: fee.String(), Burned: burned.String()}}, typedEvents[types.EventFeeBurned](f))
		})
	}
	f := newFixture(t)
	require.NoError(t, f.k.BurnFeeShare(f.ctx, sdk.NewCoins()), "a tx without a fee burns nothing")
	require.Empty(t, typedEvents[types.EventFeeBurned](f))
}
