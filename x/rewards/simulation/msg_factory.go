package simulation

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/keeper"
	"github.com/llmesh/mesh/x/rewards/types"
)

// MsgClaimRewardsFactory claims, for itself, the rewards of an account
// with points in a closed epoch (an account with a pool is paid into it).
func MsgClaimRewardsFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgClaimRewards] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgClaimRewards) {
		current, err := k.CurrentEpoch.Get(ctx)
		if err != nil {
			reporter.Skipf("current epoch: %s", err)
			return nil, nil
		}
		var owners []string
		_ = k.Points.Walk(ctx, nil, func(key collections.Triple[sdk.AccAddress, uint64, string], _ uint64) (bool, error) {
			addr := sdk.AccAddress(key.K1()).String()
			if key.K2() < current && testData.HasAccount(addr) && (len(owners) == 0 || owners[len(owners)-1] != addr) {
				owners = append(owners, addr)
			}
			return false, nil
		})
		if len(owners) == 0 {
			reporter.Skip("no points in a closed epoch")
			return nil, nil
		}
		acc := testData.GetAccount(reporter, owners[testData.Rand().Intn(len(owners))])
		return []simsx.SimAccount{acc}, &types.MsgClaimRewards{Claimant: acc.AddressBech32, Account: acc.AddressBech32}
	}
}
