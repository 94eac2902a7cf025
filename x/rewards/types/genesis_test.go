package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

const (
	alice = "cosmos1alice"
	bob   = "cosmos1bob"
)

// validGenesis: epoch 1 closed (poc, partly claimed), epoch 2 open with
// points of alice and bob, two poc contributors.
func validGenesis() types.GenesisState {
	c := func(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin("umesh", n)) }
	return types.GenesisState{
		Params:       types.DefaultParams(),
		CurrentEpoch: 2,
		Epochs: []types.EpochSummary{
			{
				Epoch: 1, StartHeight: 0, EndHeight: 10, Pot: c(1000), Carried: c(700),
				Categories: []types.CategoryEpoch{{
					Category: types.CategoryPoC, Points: math.NewInt(30), Participants: 2,
					Allocated: c(300), Rate: sdk.NewDecCoins(sdk.NewInt64DecCoin("umesh", 10)), Reserved: c(300), Claimed: c(100),
				}},
			},
			{
				Epoch: 2, StartHeight: 10,
				Categories: []types.CategoryEpoch{
					{Category: types.CategoryPoC, Points: math.NewInt(15), Participants: 2},
					{Category: types.CategoryData, Points: math.NewInt(4), Participants: 1},
				},
			},
		},
		Points: []types.PointsRecord{
			{Account: bob, Epoch: 1, Category: types.CategoryPoC, Points: 20},
			{Account: alice, Epoch: 2, Category: types.CategoryPoC, Points: 5},
			{Account: bob, Epoch: 2, Category: types.CategoryPoC, Points: 10},
			{Account: bob, Epoch: 2, Category: types.CategoryData, Points: 4},
		},
		Contributors: []types.Contributor{
			{Category: types.CategoryPoC, Account: alice, Index: 0},
			{Category: types.CategoryPoC, Account: bob, Index: 1},
			{Category: types.CategoryData, Account: bob, Index: 0},
		},
	}
}

func TestGenesisValidate(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate())
	require.NoError(t, validGenesis().Validate())

	for _, tc := range []struct {
		name   string
		mutate func(*types.GenesisState)
		want   error
	}{
		{"weights sum to 9000", func(g *types.GenesisState) { g.Params.Categories[0].WeightBps -= 1000 }, types.ErrInvalidParams},
		{"shares above 100 %", func(g *types.GenesisState) { g.Params.ComputeShareBps = 9000 }, types.ErrInvalidParams},
		{"current epoch 0", func(g *types.GenesisState) { g.CurrentEpoch = 0 }, types.ErrInvalidGenesis},
		{"epoch listed twice", func(g *types.GenesisState) { g.Epochs = append(g.Epochs, g.Epochs[0]) }, types.ErrInvalidGenesis},
		{"no open epoch summary", func(g *types.GenesisState) { g.CurrentEpoch = 3 }, types.ErrInvalidGenesis},
		{"epoch after the open one", func(g *types.GenesisState) {
			g.Epochs = append(g.Epochs, types.EpochSummary{Epoch: 3, StartHeight: 11, EndHeight: 12})
		}, types.ErrInvalidGenesis},
		{"epoch 0", func(g *types.GenesisState) {
			g.Epochs = append(g.Epochs, types.EpochSummary{Epoch: 0, EndHeight: 1})
		}, types.ErrInvalidGenesis},
		{"open epoch with end height", func(g *types.GenesisState) { g.Epochs[1].EndHeight = 11 }, types.ErrInvalidGenesis},
		{"closed epoch without end height", func(g *types.GenesisState) { g.Epochs[0].EndHeight = 0 }, types.ErrInvalidGenesis},
		{"end before start", func(g *types.GenesisState) { g.Epochs[0].StartHeight = 11 }, types.ErrInvalidGenesis},
		{"claimed above reserved", func(g *types.GenesisState) {
			g.Epochs[0].Categories[0].Claimed = sdk.NewCoins(sdk.NewInt64Coin("umesh", 301))
		}, types.ErrInvalidGenesis},
		{"reserved above allocated", func(g *types.GenesisState) {
			g.Epochs[0].Categories[0].Reserved = sdk.NewCoins(sdk.NewInt64Coin("umesh", 301))
		}, types.ErrInvalidGenesis},
		{"open epoch with an allocation", func(g *types.GenesisState) {
			g.Epochs[1].Categories[0].Allocated = sdk.NewCoins(sdk.NewInt64Coin("umesh", 1))
		}, types.ErrInvalidGenesis},
		{"category twice in an epoch", func(g *types.GenesisState) {
			g.Epochs[0].Categories = append(g.Epochs[0].Categories, g.Epochs[0].Categories[0])
		}, types.ErrInvalidGenesis},
		{"negative points", func(g *types.GenesisState) { g.Epochs[0].Categories[0].Points = math.NewInt(-1) }, types.ErrInvalidGenesis},
		{"points record twice", func(g *types.GenesisState) { g.Points = append(g.Points, g.Points[1]) }, types.ErrInvalidGenesis},
		{"zero points record", func(g *types.GenesisState) { g.Points[0].Points = 0 }, types.ErrInvalidGenesis},
		{"points record without account", func(g *types.GenesisState) { g.Points[0].Account = "" }, types.ErrInvalidGenesis},
		{"points in an unknown epoch", func(g *types.GenesisState) { g.Points[0].Epoch = 7 }, types.ErrInvalidGenesis},
		{"points in a category the epoch lacks", func(g *types.GenesisState) { g.Points[0].Category = types.CategoryTraining }, types.ErrInvalidGenesis},
		{"open epoch records short of its points", func(g *types.GenesisState) { g.Points[1].Points = 4 }, types.ErrInvalidGenesis},
		{"open epoch records above its points", func(g *types.GenesisState) { g.Points[1].Points = 6 }, types.ErrInvalidGenesis},
		{"closed epoch records above its points", func(g *types.GenesisState) { g.Points[0].Points = 31 }, types.ErrInvalidGenesis},
		{"contributor index gap", func(g *types.GenesisState) { g.Contributors[1].Index = 2 }, types.ErrInvalidGenesis},
		{"contributor index twice", func(g *types.GenesisState) { g.Contributors[1].Index = 0 }, types.ErrInvalidGenesis},
		{"contributor listed twice", func(g *types.GenesisState) {
			g.Contributors = append(g.Contributors, types.Contributor{Category: types.CategoryPoC, Account: alice, Index: 2})
		}, types.ErrInvalidGenesis},
		{"contributor without account", func(g *types.GenesisState) { g.Contributors[2].Account = "" }, types.ErrInvalidGenesis},
		{"contributor of a bad category name", func(g *types.GenesisState) { g.Contributors[2].Category = "Data!" }, types.ErrInvalidGenesis},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := validGenesis()
			tc.mutate(&g)
			require.ErrorIs(t, g.Validate(), tc.want)
		})
	}

	// Closed epochs may hold fewer records than points (claimed ones are gone).
	g := validGenesis()
	g.Points = g.Points[1:]
	require.NoError(t, g.Validate())
}

func TestParamsValidate(t *testing.T) {
	require.NoError(t, types.DefaultParams().Validate())
	for _, tc := range []struct {
		name   string
		mutate func(*types.Params)
		ok     bool
	}{
		{"compute + treasury = 100 %", func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = 8000, 2000 }, true},
		{"compute + treasury > 100 %", func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = 8001, 2000 }, false},
		{"uint32 wrap-around", func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = 1<<32-1, 1 }, false},
		{"one category at 100 %", func(p *types.Params) { p.Categories = []types.CategoryWeight{{Name: "x", WeightBps: 10_000}} }, true},
		{"a category at 0 %", func(p *types.Params) {
			p.Categories = []types.CategoryWeight{{Name: "x", WeightBps: 10_000}, {Name: "y", WeightBps: 0}}
		}, true},
		{"weights 9999", func(p *types.Params) { p.Categories[0].WeightBps-- }, false},
		{"weights wrap uint32", func(p *types.Params) {
			p.Categories = []types.CategoryWeight{{Name: "x", WeightBps: 1<<32 - 1}, {Name: "y", WeightBps: 10_001}}
		}, false},
		{"17 categories", func(p *types.Params) {
			p.Categories = nil
			for i := 0; i < 17; i++ {
				p.Categories = append(p.Categories, types.CategoryWeight{Name: string(rune('a' + i)), WeightBps: 0})
			}
			p.Categories[0].WeightBps = 10_000
		}, false},
		{"category name 33 characters", func(p *types.Params) {
			p.Categories = []types.CategoryWeight{{Name: "abcdefghijklmnopqrstuvwxyz0123456", WeightBps: 10_000}}
		}, false},
		{"category name 32 characters", func(p *types.Params) {
			p.Categories = []types.CategoryWeight{{Name: "abcdefghijklmnopqrstuvwxyz012345", WeightBps: 10_000}}
		}, true},
		{"category name starting with -", func(p *types.Params) {
			p.Categories = []types.CategoryWeight{{Name: "-x", WeightBps: 10_000}}
		}, false},
		{"max epochs per claim 1000", func(p *types.Params) { p.MaxEpochsPerClaim = 1000 }, true},
		{"max epochs per claim 1001", func(p *types.Params) { p.MaxEpochsPerClaim = 1001 }, false},
		{"quality threshold 100 %", func(p *types.Params) { p.QualityThresholdBps = 10_000 }, true},
		{"quality bonus +1000 %", func(p *types.Params) { p.QualityBonusBps = 100_000 }, true},
		{"speed bonus above +1000 %", func(p *types.Params) { p.SpeedBonusBps = 100_001 }, false},
		{"epoch identifier 65 characters", func(p *types.Params) {
			p.EpochIdentifier = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm"
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := types.DefaultParams()
			tc.mutate(&p)
			if tc.ok {
				require.NoError(t, p.Validate())
			} else {
				require.ErrorIs(t, p.Validate(), types.ErrInvalidParams)
			}
		})
	}
}
