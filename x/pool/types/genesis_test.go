package types_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

var (
	prov  = sdk.AccAddress("provider____________").String()
	prov2 = sdk.AccAddress("provider2___________").String()
	alice = sdk.AccAddress("alice_______________").String()
)

func validGenesis() types.GenesisState {
	index := sdk.NewDecCoins(sdk.NewDecCoinFromDec("umesh", math.LegacyMustNewDecFromStr("0.5")))
	return types.GenesisState{
		Params: types.DefaultParams(),
		Pools: []types.Pool{
			{Provider: prov, Tokens: math.NewInt(150), Shares: math.LegacyNewDec(150), CommissionRate: math.LegacyZeroDec(), RewardPerShare: index},
			{Provider: prov2, Tokens: math.NewInt(5), Shares: math.LegacyZeroDec(), CommissionRate: math.LegacyOneDec()},
		},
		Delegations: []types.Delegation{
			{Provider: prov, Delegator: prov, Shares: math.LegacyNewDec(100), RewardPerSharePaid: index},
			{Provider: prov, Delegator: alice, Shares: math.LegacyNewDec(50)},
		},
		Unbondings: []types.UnbondingEntry{
			{Id: 3, Provider: prov, Delegator: alice, InitialBalance: math.NewInt(10), Balance: math.NewInt(4), CreationHeight: 2, CompletionTime: time.Unix(100, 0).UTC()},
		},
		NextUnbondingId: 4,
	}
}

func TestDefaultGenesisIsValid(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate())
	require.NoError(t, validGenesis().Validate())
}

func TestGenesisValidateFailures(t *testing.T) {
	cases := map[string]func(gs *types.GenesisState){
		"invalid params":          func(gs *types.GenesisState) { gs.Params.MaxUnbondingsPerBlock = 0 },
		"duplicate pool":          func(gs *types.GenesisState) { gs.Pools = append(gs.Pools, gs.Pools[0]) },
		"bad provider":            func(gs *types.GenesisState) { gs.Pools[1].Provider = "nope" },
		"negative tokens":         func(gs *types.GenesisState) { gs.Pools[1].Tokens = math.NewInt(-1) },
		"nil shares":              func(gs *types.GenesisState) { gs.Pools[1].Shares = math.LegacyDec{} },
		"commission above one":    func(gs *types.GenesisState) { gs.Pools[1].CommissionRate = math.LegacyNewDec(2) },
		"negative jail height":    func(gs *types.GenesisState) { gs.Pools[1].JailedUntil = -1 },
		"pool shares != sum":      func(gs *types.GenesisState) { gs.Pools[0].Shares = math.LegacyNewDec(151) },
		"delegation without pool": func(gs *types.GenesisState) { gs.Delegations[1].Provider = alice },
		"duplicate delegation":    func(gs *types.GenesisState) { gs.Delegations = append(gs.Delegations, gs.Delegations[1]) },
		"zero delegation shares":  func(gs *types.GenesisState) { gs.Delegations[1].Shares = math.LegacyZeroDec() },
		"bad delegator":           func(gs *types.GenesisState) { gs.Delegations[1].Delegator = "x" },
		"paid index above pool's": func(gs *types.GenesisState) {
			gs.Delegations[1].RewardPerSharePaid = sdk.NewDecCoins(sdk.NewInt64DecCoin("umesh", 1))
		},
		"unbonding id at next id":  func(gs *types.GenesisState) { gs.NextUnbondingId = 3 },
		"duplicate unbonding id":   func(gs *types.GenesisState) { gs.Unbondings = append(gs.Unbondings, gs.Unbondings[0]) },
		"unbonding without pool":   func(gs *types.GenesisState) { gs.Unbondings[0].Provider = alice },
		"balance above initial":    func(gs *types.GenesisState) { gs.Unbondings[0].Balance = math.NewInt(11) },
		"negative balance":         func(gs *types.GenesisState) { gs.Unbondings[0].Balance = math.NewInt(-1) },
		"nil initial balance":      func(gs *types.GenesisState) { gs.Unbondings[0].InitialBalance = math.Int{} },
		"negative creation height": func(gs *types.GenesisState) { gs.Unbondings[0].CreationHeight = -1 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			gs := validGenesis()
			mutate(&gs)
			require.Error(t, gs.Validate())
		})
	}
}

func TestParamsValidate(t *testing.T) {
	p := types.DefaultParams()
	require.NoError(t, p.Validate())
	require.Equal(t, "umesh", p.BondDenom)
	require.Equal(t, math.NewInt(100_000_000), p.BaseMinStake)
	require.Equal(t, math.NewInt(10_000_000), p.PerUnitStake)
	require.Equal(t, 21*24*time.Hour, p.UnbondingPeriod)
	require.Equal(t, uint32(100), p.MaxUnbondingsPerBlock)
	require.Equal(t, uint32(7), p.MaxUnbondingEntries)
	require.Equal(t, types.SLASH_DESTINATION_BURN, p.SlashDestination)
	require.Equal(t, math.LegacyMustNewDecFromStr("0.5"), p.MaxCommissionRate)

	min, err := p.MinSelfStake(3)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(130_000_000), min)
	huge := p
	huge.PerUnitStake = math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))
	_, err = huge.MinSelfStake(1 << 10)
	require.Error(t, err, "overflow is an error, not a panic")

	zero := p
	zero.BaseMinStake, zero.PerUnitStake, zero.MaxCommissionRate = math.ZeroInt(), math.ZeroInt(), math.LegacyZeroDec()
	require.NoError(t, zero.Validate())
}

// TestMsgValidateBasic: the stateless checks CheckTx runs.
func TestMsgValidateBasic(t *testing.T) {
	good := sdk.NewInt64Coin("umesh", 1)
	require.NoError(t, (&types.MsgDelegate{Delegator: alice, Provider: prov, Amount: good}).ValidateBasic())
	require.ErrorIs(t, (&types.MsgDelegate{Delegator: alice, Provider: prov}).ValidateBasic(), types.ErrInvalidDenom)
	require.ErrorIs(t, (&types.MsgUndelegate{Delegator: alice, Provider: "", Amount: good}).ValidateBasic(), types.ErrInvalidAddress)
	require.ErrorIs(t, (&types.MsgCreatePool{Provider: prov, SelfBond: good}).ValidateBasic(), types.ErrInvalidCommission)
	require.NoError(t, (&types.MsgUnjail{Provider: prov}).ValidateBasic())
	require.ErrorIs(t, (&types.MsgClaim{Delegator: alice, Provider: "bad"}).ValidateBasic(), types.ErrInvalidAddress)
	require.ErrorIs(t, (&types.MsgUpdateParams{Authority: alice}).ValidateBasic(), types.ErrInvalidParams)
}
