package integration

import (
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/testutil"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardskeeper "github.com/llmesh/mesh/x/rewards/keeper"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

func mustCoins(t *testing.T, s string) sdk.Coins {
	t.Helper()
	c, err := sdk.ParseCoinsNormalized(s)
	require.NoError(t, err)
	return c
}

// On the full app, over many compute epochs: every block's inflation plus
// the previous block's fees are split 60/20/20 to the unit; two honest
// workers' providers see their pending rewards grow every epoch; their
// claims move exactly what they earned through their pools to their
// balances; and minted + fees = burned (half of each fee) + rewards
// (balance + claimed) + treasury + validators, to the unit.
func TestRewardsOnTheFullApp(t *testing.T) {
	const selfBond = 10_000_000
	f := testutil.SetupWithGenesis(t, 8, sdkmath.NewInt(1_000_000_000), pocGenesis)
	rng := rand.New(rand.NewSource(7))
	feeCollector := f.App.AccountKeeper.GetModuleAddress(authtypes.FeeCollectorName)
	rewardsAddr := f.App.AccountKeeper.GetModuleAddress(rewardstypes.ModuleName)
	daoAddr := f.App.AccountKeeper.GetModuleAddress(rewardstypes.TreasuryModuleName)

	seqs := map[string]uint64{}
	var workers []*simWorker
	var txs [][]byte
	for i := 0; i < 2; i++ {
		prov, wacc := f.Accounts[2*i], f.Accounts[2*i+1]
		txs = append(txs, f.SignTx(t, prov, 0,
			&pooltypes.MsgCreatePool{Provider: prov.Address.String(), SelfBond: sdk.NewInt64Coin("umesh", selfBond), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: prov.Address.String(), Worker: wacc.Address.String()}))
		seqs[prov.Address.String()] = 1
		workers = append(workers, &simWorker{name: "honest", kind: honest, provider: prov, acc: wacc,
			rows: map[int64][][]byte{}, trees: map[int64]*poc.Tree{}})
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	txs = nil
	for _, w := range workers {
		txs = append(txs, f.SignTx(t, w.acc, w.seq, &computetypes.MsgRegisterWorker{
			Worker: w.acc.Address.String(), Provider: w.provider.Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 2}, Models: []string{"m1"},
		}))
		w.seq++
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))

	daoStart := f.App.BankKeeper.GetAllBalances(f.Ctx(), daoAddr)
	rewardsStart := f.App.BankKeeper.GetAllBalances(f.Ctx(), rewardsAddr)
	cq := computekeeper.NewQuerier(f.App.ComputeKeeper)
	rq := rewardskeeper.NewQuerier(f.App.RewardsKeeper)
	senders := f.Accounts[4:]
	var minted, fees, burned, collected, toRewards, toTreasury, toValidators sdk.Coins
	lastPending := map[string]sdkmath.Int{}
	grew := map[string]int{}
	lastEpoch := uint64(1)
	pendingFees := f.App.BankKeeper.GetAllBalances(f.Ctx(), feeCollector) // fees of the last block, split next block

	const blocks = 10 * 8 // eight compute epochs
	for b := 0; b < blocks; b++ {
		var txs [][]byte
		for _, w := range workers {
			if tx := w.act(t, f, cq); tx != nil {
				txs = append(txs, tx)
			}
		}
		// Bank sends paying random fees.
		for i := 0; i < 2; i++ {
			from := senders[rng.Intn(len(senders))]
			fee := sdk.NewCoins(sdk.NewInt64Coin("umesh", 1+rng.Int63n(50_000)))
			txs = append(txs, f.SignTxWithFee(t, from, seqs[from.Address.String()], fee,
				&banktypes.MsgSend{FromAddress: from.Address.String(), ToAddress: f.Accounts[0].Address.String(), Amount: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1))}))
			seqs[from.Address.String()]++
			fees = fees.Add(fee...)
			burned = burned.Add(rewardskeeper.MulBpsFloor(fee, 5000)...) // fee_burn_bps, as the fee is collected
		}
		res := f.NextBlock(t, txs...)
		testutil.RequireTxsOK(t, res)

		var mintedNow sdk.Coins
		var split *rewardstypes.EventBlockRewardSplit
		for _, ev := range res.Events {
			switch ev.Type {
			case "mint":
				for _, a := range ev.Attributes {
					if a.Key == "amount" {
						amt, ok := sdkmath.NewIntFromString(a.Value)
						require.True(t, ok)
						mintedNow = sdk.NewCoins(sdk.NewCoin("umesh", amt))
					}
				}
			case "mesh.rewards.v1.EventBlockRewardSplit":
				split = testutil.TypedEvent(t, ev).(*rewardstypes.EventBlockRewardSplit)
			}
		}
		require.NotNil(t, split, "block %d: no split", b)
		got := mustCoins(t, split.Collected)
		require.Equal(t, pendingFees.Add(mintedNow...).String(), got.String(), "collected = minted now + last block's fees")
		c, tr, v := mustCoins(t, split.Compute), mustCoins(t, split.Treasury), mustCoins(t, split.Validators)
		require.Equal(t, got.String(), c.Add(tr...).Add(v...).String())
		require.Equal(t, rewardskeeper.MulBpsFloor(got, 6000).String(), c.String())
		require.Equal(t, rewardskeeper.MulBpsFloor(got, 2000).String(), tr.String())
		minted, collected = minted.Add(mintedNow...), collected.Add(got...)
		toRewards, toTreasury, toValidators = toRewards.Add(c...), toTreasury.Add(tr...), toValidators.Add(v...)
		pendingFees = f.App.BankKeeper.GetAllBalances(f.Ctx(), feeCollector)

		// Pending rewards grow with every closed epoch.
		pot, err := rq.Pot(f.Ctx(), &rewardstypes.QueryPotRequest{})
		require.NoError(t, err)
		if pot.CurrentEpoch != lastEpoch {
			lastEpoch = pot.CurrentEpoch
			for _, w := range workers {
				p, err := rq.Pending(f.Ctx(), &rewardstypes.QueryPendingRequest{Account: w.provider.Address.String()})
				require.NoError(t, err)
				require.True(t, p.ToPool)
				now := p.Amount.AmountOf("umesh")
				if prev, ok := lastPending[w.provider.Address.String()]; ok && now.GT(prev) {
					grew[w.provider.Address.String()]++
				}
				lastPending[w.provider.Address.String()] = now
			}
		}
	}
	for _, w := range workers {
		require.GreaterOrEqual(t, grew[w.provider.Address.String()], 5, "pending grew in most epochs")
	}

	// Claims: each provider is its pool's only delegator, so the pool pays
	// it back what the claim put in, less sub-unit dust.
	var claimed sdk.Coins
	txs = nil
	before := map[string]sdk.Coins{}
	for _, w := range workers {
		addr := w.provider.Address.String()
		before[addr] = f.App.BankKeeper.GetAllBalances(f.Ctx(), w.provider.Address)
		txs = append(txs, f.SignTx(t, w.provider, seqs[addr], &rewardstypes.MsgClaimRewards{Claimant: addr}))
		seqs[addr]++
	}
	res := f.NextBlock(t, txs...)
	testutil.RequireTxsOK(t, res)
	for i, w := range workers {
		var ev *rewardstypes.EventRewardsClaimed
		for _, e := range res.TxResults[i].Events {
			if e.Type == "mesh.rewards.v1.EventRewardsClaimed" {
				ev = testutil.TypedEvent(t, e).(*rewardstypes.EventRewardsClaimed)
			}
		}
		require.NotNil(t, ev)
		amount, withdrawn := mustCoins(t, ev.Amount), mustCoins(t, ev.Withdrawn)
		require.True(t, amount.AmountOf("umesh").IsPositive())
		require.True(t, ev.ToPool)
		require.True(t, withdrawn.AmountOf("umesh").GTE(amount.AmountOf("umesh").SubRaw(1)))
		after := f.App.BankKeeper.GetAllBalances(f.Ctx(), w.provider.Address)
		require.Equal(t, before[w.provider.Address.String()].Add(withdrawn...).String(), after.String())
		claimed = claimed.Add(amount...)
	}
	// The claim block split too.
	for _, ev := range res.Events {
		if ev.Type == "mesh.rewards.v1.EventBlockRewardSplit" {
			split := testutil.TypedEvent(t, ev).(*rewardstypes.EventBlockRewardSplit)
			got := mustCoins(t, split.Collected)
			require.Equal(t, pendingFees.String(), got.Sub(mintedOf(t, res)...).String())
			collected, minted = collected.Add(got...), minted.Add(mintedOf(t, res)...)
			toRewards = toRewards.Add(mustCoins(t, split.Compute)...)
			toTreasury = toTreasury.Add(mustCoins(t, split.Treasury)...)
			toValidators = toValidators.Add(mustCoins(t, split.Validators)...)
		}
	}

	// Conservation, to the unit.
	ctx := f.Ctx()
	require.Equal(t, minted.Add(fees...).Sub(burned...).Sub(f.App.BankKeeper.GetAllBalances(ctx, feeCollector)...).String(), collected.String(),
		"everything minted and paid in fees was burned or split, except this last block's fees still in the fee collector")
	require.Equal(t, collected.String(), toRewards.Add(toTreasury...).Add(toValidators...).String())
	rewardsNow := f.App.BankKeeper.GetAllBalances(ctx, rewardsAddr)
	require.Equal(t, rewardsStart.Add(toRewards...).String(), rewardsNow.Add(claimed...).String(), "rewards in = held + claimed")
	require.Equal(t, daoStart.Add(toTreasury...).String(), f.App.BankKeeper.GetAllBalances(ctx, daoAddr).String())
	pot, err := rq.Pot(ctx, &rewardstypes.QueryPotRequest{})
	require.NoError(t, err)
	require.Equal(t, rewardsNow.String(), pot.Pot.Add(pot.Outstanding...).String(), "held = pot + outstanding")
}

func mintedOf(t *testing.T, res *abci.ResponseFinalizeBlock) sdk.Coins {
	t.Helper()
	for _, ev := range res.Events {
		if ev.Type == "mint" {
			for _, a := range ev.Attributes {
				if a.Key == "amount" {
					amt, ok := sdkmath.NewIntFromString(a.Value)
					require.True(t, ok)
					return sdk.NewCoins(sdk.NewCoin("umesh", amt))
				}
			}
		}
	}
	return sdk.NewCoins()
}
