package integration

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	poolkeeper "github.com/llmesh/mesh/x/pool/keeper"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardskeeper "github.com/llmesh/mesh/x/rewards/keeper"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// injVoucher is the IBC voucher of an 18-decimal token (INJ over a channel).
const injVoucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"

func bigAmount(t *testing.T, s string) sdkmath.Int {
	t.Helper()
	i, ok := sdkmath.NewIntFromString(s)
	require.True(t, ok, s)
	return i
}

// pricesGenesis: a model priced 1000umesh and 5,000 INJ (5×10^21 base units,
// above 2^64) per worker, the voucher in fee_denoms, funded INJ for every
// test account (those holding userBalance umesh), small pool stakes, the
// loyalty bonus off (a claim then pays exactly what the pool was given) and
// no compute epoch during the test (the workers run no proof of compute).
func pricesGenesis(userBalance, funded sdkmath.Int) func(codec.Codec, map[string]json.RawMessage) {
	return func(cdc codec.Codec, gen map[string]json.RawMessage) {
		var ig inferencetypes.GenesisState
		cdc.MustUnmarshalJSON(gen[inferencetypes.ModuleName], &ig)
		ig.Params.FeeDenoms = []string{injVoucher}
		ig.Models = append(ig.Models, inferencetypes.Model{
			Id: "m1", Name: "two prices", Version: "1", Runtime: inferencetypes.RuntimeInt8Embedded, Deterministic: true,
			Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000), sdk.NewCoin(injVoucher, sdkmath.NewIntWithDecimal(5, 21))),
			Status: inferencetypes.MODEL_STATUS_ACTIVE,
		})
		gen[inferencetypes.ModuleName] = cdc.MustMarshalJSON(&ig)

		var pg pooltypes.GenesisState
		cdc.MustUnmarshalJSON(gen[pooltypes.ModuleName], &pg)
		pg.Params.BaseMinStake, pg.Params.PerUnitStake = sdkmath.NewInt(1_000_000), sdkmath.NewInt(100_000)
		pg.Params.LoyaltyMaxBps = 0
		gen[pooltypes.ModuleName] = cdc.MustMarshalJSON(&pg)

		var bg banktypes.GenesisState
		cdc.MustUnmarshalJSON(gen[banktypes.ModuleName], &bg)
		voucher := sdk.NewCoins(sdk.NewCoin(injVoucher, funded))
		for i := range bg.Balances {
			if bg.Balances[i].Coins.AmountOf("umesh").Equal(userBalance) {
				bg.Balances[i].Coins = bg.Balances[i].Coins.Add(voucher...)
				bg.Supply = bg.Supply.Add(voucher...)
			}
		}
		gen[banktypes.ModuleName] = cdc.MustMarshalJSON(&bg)

		testutil.SetComputeEpoch(cdc, gen, 24*time.Hour)
	}
}

// On the full app: a job paid in an IBC voucher of an 18-decimal token,
// amounts above 2^64, finalizes; the requester pays price × r and gets the
// rest back; 5 % is burned from the voucher's supply; the protocol share
// reaches x/rewards' pot; each agreeing worker's pool is paid in the
// voucher, and a delegator and the provider claim it, every balance exact
// to the base unit.
func TestJobPaidInIBCVoucher(t *testing.T) {
	const selfBond = 10_000_000
	funded := bigAmount(t, "20000000000000000000000") // 20,000 INJ
	userBalance := sdkmath.NewInt(1_000_000_000)
	f := testutil.SetupWithGenesis(t, 6, userBalance, pricesGenesis(userBalance, funded))
	req, others := f.Accounts[0], f.Accounts[1:]
	provs, workers, delegator := others[0:2], others[2:4], others[4]
	bank := f.App.BankKeeper
	voucherOf := func(a sdk.AccAddress) sdkmath.Int { return bank.GetBalance(f.Ctx(), a, injVoucher).Amount }
	require.Equal(t, funded.String(), voucherOf(req.Address).String())

	// Two providers, a worker each serving m1; a delegator bonds as much as
	// provider 0 in its pool.
	var txs [][]byte
	for i, p := range provs {
		txs = append(txs, f.SignTx(t, p, 0,
			&pooltypes.MsgCreatePool{Provider: p.Address.String(), SelfBond: sdk.NewInt64Coin("umesh", selfBond), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: p.Address.String(), Worker: workers[i].Address.String()}))
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	txs = nil
	for i, w := range workers {
		txs = append(txs, f.SignTx(t, w, 0, &computetypes.MsgRegisterWorker{
			Worker: w.Address.String(), Provider: provs[i].Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{"m1"},
		}))
	}
	txs = append(txs, f.SignTx(t, delegator, 0, &pooltypes.MsgDelegate{
		Delegator: delegator.Address.String(), Provider: provs[0].Address.String(), Amount: sdk.NewInt64Coin("umesh", selfBond),
	}))
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))

	// The request, in the voucher: max_fee 11,000 INJ for a fee of 5,000 INJ × 2.
	supply0 := bank.GetSupply(f.Ctx(), injVoucher).Amount
	rewardsAddr := f.App.AccountKeeper.GetModuleAddress(rewardstypes.ModuleName)
	rewards0 := voucherOf(rewardsAddr)
	input := []byte("is this proposal risky?")
	testutil.RequireTxsOK(t, f.NextBlock(t, f.SignTx(t, req, 0, &inferencetypes.MsgRequestInference{
		Requester: req.Address.String(), ModelId: "m1", Input: input,
		MaxFee: sdk.NewCoin(injVoucher, bigAmount(t, "11000000000000000000000")), Redundancy: 2,
	})))
	f.NextBlock(t) // its BeginBlocker assigns the job
	job, err := f.App.InferenceKeeper.GetJob(f.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, inferencetypes.JOB_STATUS_COMMITTING, job.Status)
	fee := sdkmath.NewIntWithDecimal(1, 22)
	require.Equal(t, sdk.NewCoin(injVoucher, fee), job.Fee)

	// Both workers commit (in assignment order: the first earns the speed
	// bonus), then reveal the same answer.
	answerJob(t, f, job, workers, "low", fromSequence(t, f, 1))

	job, err = f.App.InferenceKeeper.GetJob(f.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, job.Status)
	// F = 10^22: burned 5 % = 5×10^20, protocol 10 % = 10^21, workers
	// 8.5×10^21: first ⌊8.5×10^21 × 11000 / 20000⌋ = 4.675×10^21, the other
	// 3.825×10^21; refund 10^21.
	burned, protocol := sdkmath.NewIntWithDecimal(5, 20), sdkmath.NewIntWithDecimal(1, 21)
	share := map[string]sdkmath.Int{}
	for _, a := range job.Assignments {
		want := bigAmount(t, "3825000000000000000000")
		if a.CommitOrder == 1 {
			want = bigAmount(t, "4675000000000000000000")
		}
		require.Equal(t, sdk.NewCoin(injVoucher, want), a.Paid, a.Worker)
		share[a.Provider] = want
	}
	require.Equal(t, sdk.NewCoin(injVoucher, burned), job.Burned)
	require.Equal(t, sdk.NewCoin(injVoucher, protocol), job.ProtocolFee)
	require.Equal(t, sdk.NewCoin(injVoucher, sdkmath.NewIntWithDecimal(1, 21)), job.Refunded)
	require.Equal(t, funded.Sub(fee).String(), voucherOf(req.Address).String(), "paid F; the rest of max_fee refunded")
	require.Equal(t, supply0.Sub(burned).String(), bank.GetSupply(f.Ctx(), injVoucher).Amount.String(), "5 % burned")
	require.Equal(t, "0", voucherOf(f.App.AccountKeeper.GetModuleAddress(inferencetypes.ModuleName)).String(), "no escrow left")

	// The next block's x/rewards split sweeps the protocol share into its pot.
	f.NextBlock(t)
	require.Equal(t, rewards0.Add(protocol).String(), voucherOf(rewardsAddr).String())
	pot, err := rewardskeeper.NewQuerier(f.App.RewardsKeeper).Pot(f.Ctx(), &rewardstypes.QueryPotRequest{})
	require.NoError(t, err)
	require.Equal(t, protocol.String(), pot.Pot.AmountOf(injVoucher).String(), "the protocol share waits in the pot")

	// Claims in the voucher. Pool 0 has two equal delegations (the provider's
	// self-bond and the delegator's): 5 % commission to the provider, the
	// rest halved. Pool 1 has only its provider, who gets all of its share.
	pq := poolkeeper.NewQuerier(f.App.PoolKeeper)
	s0 := share[provs[0].Address.String()]
	commission0 := s0.MulRaw(5).QuoRaw(100)
	half := s0.Sub(commission0).QuoRaw(2)
	require.Equal(t, s0.String(), commission0.Add(half).Add(half).String(), "no rounding at these amounts")
	want := map[string]sdkmath.Int{
		delegator.Address.String(): half,
		provs[0].Address.String():  commission0.Add(half),
		provs[1].Address.String():  share[provs[1].Address.String()],
	}
	pending, err := pq.Delegation(f.Ctx(), &pooltypes.QueryDelegationRequest{Delegator: delegator.Address.String(), Provider: provs[0].Address.String()})
	require.NoError(t, err)
	require.Equal(t, half.String(), pending.PendingRewards.AmountOf(injVoucher).String(), "pending before the claim")

	claims := []struct {
		who      testutil.Account
		provider testutil.Account
		seq      uint64
	}{{delegator, provs[0], 1}, {provs[0], provs[0], 1}, {provs[1], provs[1], 1}}
	before := map[string]sdkmath.Int{}
	txs = nil
	for _, c := range claims {
		before[c.who.Address.String()] = voucherOf(c.who.Address)
		txs = append(txs, f.SignTx(t, c.who, c.seq, &pooltypes.MsgClaim{Delegator: c.who.Address.String(), Provider: c.provider.Address.String()}))
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	for _, c := range claims {
		a := c.who.Address.String()
		require.Equal(t, before[a].Add(want[a]).String(), voucherOf(c.who.Address).String(), "claimed in the voucher: %s", a)
	}
	poolAddr := f.App.AccountKeeper.GetModuleAddress(pooltypes.ModuleName)
	require.Equal(t, "0", voucherOf(poolAddr).String(), "every voucher the pools were paid was claimed")
}
