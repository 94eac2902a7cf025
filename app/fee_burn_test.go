package app_test

import (
	"encoding/json"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/llmesh/mesh/app"
	"github.com/llmesh/mesh/testutil"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// Half of a transaction's fee is burned as it is collected: with inflation
// off, the total supply falls by exactly ⌊fee / 2⌋ and the tx's events say so.
func TestHalfOfEveryFeeIsBurned(t *testing.T) {
	f := testutil.SetupWithGenesis(t, 2, sdkmath.NewInt(1_000_000_000), noInflation)
	from, to := f.Accounts[0], f.Accounts[1]
	supply := func() sdkmath.Int { return f.App.BankKeeper.GetSupply(f.Ctx(), app.BondDenom).Amount }
	f.NextBlock(t)
	before := supply()

	send := banktypes.NewMsgSend(from.Address, to.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	res := f.NextBlock(t, f.SignTxWithFee(t, from, 0, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 10_001)), send))
	testutil.RequireTxsOK(t, res)

	require.Equal(t, before.SubRaw(5_000), supply(), "⌊10,001 × 50 %⌋ burned")
	var burned []string
	for _, ev := range res.TxResults[0].Events {
		if ev.Type == proto.MessageName(&rewardstypes.EventFeeBurned{}) {
			for _, a := range ev.Attributes {
				burned = append(burned, a.Key+"="+a.Value)
			}
		}
	}
	require.ElementsMatch(t, []string{`fee="10001umesh"`, `burned="5000umesh"`}, burned)
	f.NextBlock(t)
	require.Equal(t, before.SubRaw(5_000), supply(), "the rest of the fee is split, not burned")
}

// noInflation turns x/mint off in a test genesis, so that the supply moves
// only by burns.
func noInflation(cdc codec.Codec, gen map[string]json.RawMessage) {
	var mint minttypes.GenesisState
	cdc.MustUnmarshalJSON(gen[minttypes.ModuleName], &mint)
	mint.Minter.Inflation = sdkmath.LegacyZeroDec()
	mint.Params.InflationMin, mint.Params.InflationMax = sdkmath.LegacyZeroDec(), sdkmath.LegacyZeroDec()
	gen[minttypes.ModuleName] = cdc.MustMarshalJSON(&mint)
}
