package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktestutil "github.com/cosmos/cosmos-sdk/x/bank/testutil"

	"github.com/llmesh/mesh/x/inference/keeper"
	"github.com/llmesh/mesh/x/inference/types"
)

// voucher is an IBC voucher denom of an 18-decimal token (INJ-like).
const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"

// bigInt parses a decimal integer (amounts above 2^64).
func bigInt(t testing.TB, s string) math.Int {
	t.Helper()
	i, ok := math.NewIntFromString(s)
	require.True(t, ok, s)
	return i
}

// twoPriceFixture is the test model priced 1000umesh and 5,000 INJ
// (5×10^21 base units, above 2^64) per worker, the voucher in fee_denoms,
// three workers and the pools' loyalty bonus off (so that a claim pays
// exactly what was added).
func twoPriceFixture(t *testing.T) (*fixture, []worker) {
	f := newFixture(t, func(p *types.Params) { p.FeeDenoms = []string{voucher} })
	pp, err := f.pool.Params.Get(f.ctx)
	require.NoError(t, err)
	pp.LoyaltyMaxBps = 0
	require.NoError(t, f.pool.Params.Set(f.ctx, pp))
	m := testModel(modelID, true)
	m.Prices = sdk.NewCoins(sdk.NewInt64Coin(denom, 1000), sdk.NewCoin(voucher, bigInt(t, "5000000000000000000000")))
	_, err = f.msg.UpdateModel(f.ctx, &types.MsgUpdateModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	return f, f.addWorkers(3)
}

// runJob requests msg in a block, lets the next block assign it, commits
// (assignment order: the first assigned worker earns the speed bonus) and
// reveals the same answer, and returns the ended job.
func (f *fixture) runJob(msg *types.MsgRequestInference) types.Job {
	f.t.Helper()
	var id uint64
	f.block(func() { id = f.request(msg).JobId })
	f.block(nil)
	ws := f.assigned(id)
	f.inBlock(f.commitResult, id, ws, "4")
	f.inBlock(f.revealResult, id, ws, "4")
	return f.job(id)
}

// TestRequestPaidInEitherPrice: one model, two prices. A request paid in
// umesh is charged the umesh price × r; one paid in the voucher, the voucher
// price × r (18-decimal amounts above 2^64), and its fee goes through the
// same split — burned, protocol account, the agreeing pools (commission,
// then delegators) — in the voucher, exact to the unit, and the provider
// claims it in the voucher.
func TestRequestPaidInEitherPrice(t *testing.T) {
	f, _ := twoPriceFixture(t)
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	funded := bigInt(t, "20000000000000000000000") // 20,000 INJ
	require.NoError(t, banktestutil.FundAccount(f.ctx, f.bk, requester, sdk.NewCoins(sdk.NewCoin(voucher, funded))))

	// In umesh: price 1000 × 3, as before.
	job := f.runJob(f.requestMsg(requester))
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, "3000umesh", job.Fee.String())
	require.Equal(t, "150umesh", job.Burned.String())
	require.Equal(t, "7000", f.balance(requester).String(), "paid 3000, refunded 500")
	require.Equal(t, funded.String(), f.bk.GetBalance(f.ctx, requester, voucher).Amount.String(), "no voucher moved")

	// In the voucher: max_fee 16,000 INJ for a fee of 5,000 INJ × 3.
	supply0 := f.bk.GetSupply(f.ctx, voucher).Amount
	msg := f.requestMsg(requester)
	msg.MaxFee = sdk.NewCoin(voucher, bigInt(t, "16000000000000000000000"))
	job = f.runJob(msg)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	fee := bigInt(t, "15000000000000000000000")
	require.Equal(t, sdk.NewCoin(voucher, fee), job.Fee)
	// F = 15,000 INJ: burned 5 %, workers 85 % = 12,750 INJ, protocol 10 %;
	// first ⌊12,750 × 11000 / 30000⌋ = 4,675 INJ, each (12,750 − 4,675) / 2 = 4,037.5 INJ, no dust.
	burned, protocol := bigInt(t, "750000000000000000000"), bigInt(t, "1500000000000000000000")
	first, each := bigInt(t, "4675000000000000000000"), bigInt(t, "4037500000000000000000")
	require.Equal(t, sdk.NewCoin(voucher, burned), job.Burned)
	require.Equal(t, sdk.NewCoin(voucher, protocol), job.ProtocolFee)
	require.Equal(t, sdk.NewCoin(voucher, bigInt(t, "1000000000000000000000")), job.Refunded)
	require.Equal(t, supply0.Sub(burned).String(), f.bk.GetSupply(f.ctx, voucher).Amount.String(), "burned from the supply")
	require.Equal(t, funded.Sub(fee).String(), f.bk.GetBalance(f.ctx, requester, voucher).Amount.String(), "paid F, the rest refunded")
	require.Equal(t, "7000", f.balance(requester).String(), "no umesh moved")
	require.Equal(t, protocol.String(), f.bk.GetBalance(f.ctx, f.ak.GetModuleAddress(types.ProtocolFeeAccount), voucher).Amount.String())
	require.Equal(t, "0", f.bk.GetBalance(f.ctx, f.ak.GetModuleAddress(types.ModuleName), voucher).Amount.String(), "escrow empty")

	var fastest worker
	for _, a := range job.Assignments {
		w := sdk.MustAccAddressFromBech32(a.Worker)
		want := each
		if a.CommitOrder == 1 {
			want, fastest = first, worker{addr: w, provider: f.providerOf(w)}
		}
		require.Equal(t, sdk.NewCoin(voucher, want), a.Paid, a.Worker)
		pool, err := f.pool.GetPool(f.ctx, f.providerOf(w))
		require.NoError(t, err)
		// 10 % commission, exactly (no truncation at 18 decimals).
		require.Equal(t, math.LegacyNewDecFromInt(want).QuoInt64(10).String(), pool.Commission.AmountOf(voucher).String())
	}

	// The provider, its pool's only delegator, claims its share in the
	// voucher: commission + the delegators' part = everything added.
	before := f.bk.GetBalance(f.ctx, fastest.provider, voucher).Amount
	paid, err := f.pool.Claim(f.ctx, fastest.provider, fastest.provider)
	require.NoError(t, err)
	require.Equal(t, first.String(), paid.AmountOf(voucher).String())
	require.Equal(t, before.Add(first).String(), f.bk.GetBalance(f.ctx, fastest.provider, voucher).Amount.String())
	require.True(t, paid.AmountOf(denom).IsPositive(), "and its umesh share of the first job")
}

// TestPricesRefused: a request in a denom the model has no price in, or in
// a denom not allowed, fails with ErrFeeDenomNotAllowed and changes nothing;
// so does a model priced in a denom not allowed, and removing from
// fee_denoms a denom a model is priced in (ErrInvalidParams).
func TestPricesRefused(t *testing.T) {
	f, _ := twoPriceFixture(t)
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	require.NoError(t, banktestutil.FundAccount(f.ctx, f.bk, requester, sdk.NewCoins(sdk.NewInt64Coin("ibc/OTHER", 1_000_000), sdk.NewInt64Coin("uatom", 1_000_000))))
	f.block(nil)

	// A second allowed denom the model is not priced in.
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.FeeDenoms = append(params.FeeDenoms, "ibc/OTHER")
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)

	for name, fee := range map[string]sdk.Coin{
		"allowed, not a price of the model": sdk.NewInt64Coin("ibc/OTHER", 5000),
		"not allowed":                       sdk.NewInt64Coin("uatom", 5000),
	} {
		msg := f.requestMsg(requester)
		msg.MaxFee = fee
		f.requireRejected(types.ErrFeeDenomNotAllowed, func() error { return deliver(f.ctx, f.msg.RequestInference, msg) }, name)
	}
	// Below the voucher price × 3 (by one base unit).
	msg := f.requestMsg(requester)
	msg.MaxFee = sdk.NewCoin(voucher, bigInt(t, "14999999999999999999999"))
	f.requireRejected(types.ErrFeeTooLow, func() error { return deliver(f.ctx, f.msg.RequestInference, msg) }, "voucher fee too low")

	// Models priced in a denom not allowed, registered or updated.
	bad := testModel("m2", false)
	bad.Prices = sdk.NewCoins(sdk.NewInt64Coin(denom, 1), sdk.NewInt64Coin("uatom", 1))
	f.requireRejected(types.ErrFeeDenomNotAllowed, func() error {
		return deliver(f.ctx, f.msg.RegisterModel, &types.MsgRegisterModel{Authority: f.authority, Model: bad})
	}, "register")
	bad.Id = modelID
	f.requireRejected(types.ErrFeeDenomNotAllowed, func() error {
		return deliver(f.ctx, f.msg.UpdateModel, &types.MsgUpdateModel{Authority: f.authority, Model: bad})
	}, "update")
	// Stateless: duplicates, zero amounts, the deprecated single price.
	dup := testModel("m3", false)
	dup.Prices = sdk.Coins{sdk.NewInt64Coin(denom, 1), sdk.NewInt64Coin(denom, 2)}
	old := sdk.NewInt64Coin(denom, 1000)
	deprecated := testModel("m4", false)
	deprecated.Price = &old //nolint:staticcheck // refused
	for name, m := range map[string]types.Model{"duplicate denom": dup, "deprecated price": deprecated} {
		f.requireRejected(types.ErrInvalidModel, func() error {
			return deliver(f.ctx, f.msg.RegisterModel, &types.MsgRegisterModel{Authority: f.authority, Model: m})
		}, name)
	}

	// The voucher cannot leave fee_denoms while the model is priced in it.
	params.FeeDenoms = []string{"ibc/OTHER"}
	f.requireRejected(types.ErrInvalidParams, func() error {
		return deliver(f.ctx, f.msg.UpdateParams, &types.MsgUpdateParams{Authority: f.authority, Params: params})
	}, "drop a denom in use")
	// Once the model no longer is, it can.
	m := testModel(modelID, true)
	_, err = f.msg.UpdateModel(f.ctx, &types.MsgUpdateModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
}

// TestMigrate1to2: a v1 model's single price becomes its list of prices and
// the deprecated field is cleared; a model priced in a denom not in
// fee_denoms (unpayable in v1) gets the denom added and, if ACTIVE, is
// retired, so that nothing becomes payable that was not.
func TestMigrate1to2(t *testing.T) {
	f := newFixture(t, nil)
	v1 := func(id string, price sdk.Coin, status types.ModelStatus) types.Model {
		m := testModel(id, true)
		m.Prices, m.Price, m.Status = nil, &price, status //nolint:staticcheck // a v1 model
		return m
	}
	stored := []types.Model{
		v1(modelID, sdk.NewInt64Coin(denom, 1000), types.MODEL_STATUS_ACTIVE),
		v1("candidate", sdk.NewInt64Coin(voucher, 7), types.MODEL_STATUS_CANDIDATE),
		v1("inj-active", sdk.NewCoin(voucher, bigInt(t, "5000000000000000000000")), types.MODEL_STATUS_ACTIVE),
	}
	for _, m := range stored {
		require.NoError(t, f.k.Models.Set(f.ctx, m.Id, m)) // written as v1 did, unchecked
	}
	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))

	get := func(id string) types.Model {
		m, err := f.k.GetModel(f.ctx, id)
		require.NoError(t, err)
		require.Nil(t, m.Price, id) //nolint:staticcheck // cleared
		require.NoError(t, types.ValidateModel(m), id)
		return m
	}
	require.Equal(t, "1000umesh", get(modelID).Prices.String())
	require.Equal(t, types.MODEL_STATUS_ACTIVE, get(modelID).Status)
	require.Equal(t, "7"+voucher, get("candidate").Prices.String())
	require.Equal(t, types.MODEL_STATUS_CANDIDATE, get("candidate").Status)
	require.Equal(t, "5000000000000000000000"+voucher, get("inj-active").Prices.String())
	require.Equal(t, types.MODEL_STATUS_RETIRED, get("inj-active").Status, "unpayable in v1: retired")
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []string{voucher}, params.FeeDenoms)

	// The migrated state is a valid genesis, and the migration is idempotent.
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	before := f.snapshot()
	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))
	require.Equal(t, before, f.snapshot())
}
