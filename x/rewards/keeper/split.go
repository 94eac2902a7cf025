package keeper

import (
	"math/big"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

// splitBlockRewards moves ⌊coins × compute_share_bps / 10000⌋ of each denom
// to x/rewards and ⌊coins × treasury_share_bps / 10000⌋ to the treasury;
// the rest stays in the fee collector for x/distribution. Work is
// O(denoms in the fee collector + denoms in the protocol fee account).
func (k Keeper) splitBlockRewards(ctx sdk.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	collected := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(k.feeCollector))
	compute := MulBpsFloor(collected, params.ComputeShareBps)
	treasury := MulBpsFloor(collected, params.TreasuryShareBps)
	if !compute.IsZero() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, k.feeCollector, types.ModuleName, compute); err != nil {
			return err
		}
	}
	if !treasury.IsZero() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, k.feeCollector, types.TreasuryModuleName, treasury); err != nil {
			return err
		}
	}
	protocol := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(types.ProtocolFeeAccount))
	if !protocol.IsZero() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ProtocolFeeAccount, types.ModuleName, protocol); err != nil {
			return err
		}
	}
	if collected.IsZero() && protocol.IsZero() {
		return nil
	}
	return kit.Emit(ctx, &types.EventBlockRewardSplit{
		Collected:    collected.String(),
		Compute:      compute.String(),
		Treasury:     treasury.String(),
		Validators:   collected.Sub(compute...).Sub(treasury...).String(),
		ProtocolFees: protocol.String(),
	})
}

// MulBpsFloor returns ⌊c × bps / 10000⌋ for each coin, dropping zeros. The
// product is taken in big.Int, so amounts near the 256-bit Int bound do not
// overflow; the result never exceeds c.
func MulBpsFloor(coins sdk.Coins, bps uint32) sdk.Coins {
	out := sdk.NewCoins()
	if bps == 0 {
		return out
	}
	for _, c := range coins {
		if a := mulDivFloor(c.Amount, uint64(bps), types.BpsScale); a.IsPositive() {
			out = out.Add(sdk.NewCoin(c.Denom, a))
		}
	}
	return out
}

// mulDivFloor is ⌊a × num / den⌋ for num ≤ den (so the result fits where a does).
func mulDivFloor(a math.Int, num, den uint64) math.Int {
	x := new(big.Int).Mul(a.BigInt(), new(big.Int).SetUint64(num))
	return math.NewIntFromBigInt(x.Quo(x, new(big.Int).SetUint64(den)))
}
