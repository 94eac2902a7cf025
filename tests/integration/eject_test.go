package integration

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	poolkeeper "github.com/llmesh/mesh/x/pool/keeper"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
)

// On the full app (issue 17): an x/dao proposal carrying x/pool's
// MsgEjectProvider passes the vote, waits out the timelock and executes.
// The ejected pool is slashed by the fraction (its delegator's unbonding
// too), tombstoned, its Ejection stored, and its worker is no longer
// eligible in x/compute, while the other provider's worker still is. The
// provider's unjail is refused with ErrTombstoned, and an ejection sent
// outside a proposal is refused at submission of the proposal naming
// another authority or directly by its signer.
func TestEjectProviderThroughDao(t *testing.T) {
	const selfBond = 10_000_000
	f := testutil.SetupWithGenesis(t, 6, sdkmath.NewInt(1_000_000_000), func(cdc codec.Codec, gen map[string]json.RawMessage) {
		pocGenesis(cdc, gen)
		daoGenesis(cdc, gen)
	})
	c := &daoChain{t: t, f: f, seqs: map[string]uint64{}}
	cheat, honest, cheatWorker, honestWorker, alice, erin := f.Accounts[0], f.Accounts[1], f.Accounts[2], f.Accounts[3], f.Accounts[4], f.Accounts[5]
	daoAddr := authtypes.NewModuleAddress(daotypes.ModuleName)

	var txs []signed
	for _, p := range [][2]testutil.Account{{cheat, cheatWorker}, {honest, honestWorker}} {
		txs = append(txs, signed{p[0], &pooltypes.MsgCreatePool{Provider: p[0].Address.String(), SelfBond: sdk.NewInt64Coin("umesh", selfBond), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)}})
	}
	testutil.RequireTxsOK(t, c.block(txs...))
	txs = nil
	for _, p := range [][2]testutil.Account{{cheat, cheatWorker}, {honest, honestWorker}} {
		txs = append(txs, signed{p[0], &computetypes.MsgAuthorizeWorker{Provider: p[0].Address.String(), Worker: p[1].Address.String()}})
	}
	testutil.RequireTxsOK(t, c.block(append(txs,
		signed{alice, &daotypes.MsgLock{Owner: alice.Address.String(), Amount: sdk.NewInt64Coin("umesh", 4_000_000), Duration: 1000 * time.Second}},
		signed{erin, &pooltypes.MsgDelegate{Delegator: erin.Address.String(), Provider: cheat.Address.String(), Amount: sdk.NewInt64Coin("umesh", 5_000_000)}})...))
	txs = nil
	for _, p := range [][2]testutil.Account{{cheat, cheatWorker}, {honest, honestWorker}} {
		txs = append(txs, signed{p[1], &computetypes.MsgRegisterWorker{Worker: p[1].Address.String(), Provider: p[0].Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Tops: 1, ComputeUnits: 2}, Models: []string{"m1"}}})
	}
	// erin leaves part of her stake: the unbonding is slashed as well.
	testutil.RequireTxsOK(t, c.block(append(txs,
		signed{erin, &pooltypes.MsgUndelegate{Delegator: erin.Address.String(), Provider: cheat.Address.String(), Amount: sdk.NewInt64Coin("umesh", 2_000_000)}})...))

	eligible := func(w testutil.Account) bool {
		t.Helper()
		ctx := f.Ctx()
		wk, err := f.App.ComputeKeeper.Workers.Get(ctx, w.Address)
		require.NoError(t, err)
		ok, err := f.App.ComputeKeeper.IsEligible(ctx, wk, wk.RegisteredEpoch+1)
		require.NoError(t, err)
		return ok
	}
	require.True(t, eligible(cheatWorker))
	require.True(t, eligible(honestWorker))
	before, err := f.App.PoolKeeper.GetPool(f.Ctx(), cheat.Address)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(selfBond+3_000_000), before.Tokens)

	// The ejection signed by anyone but the DAO fails; a proposal naming
	// another authority is refused at submission.
	eject := &pooltypes.MsgEjectProvider{Authority: daoAddr.String(), Provider: cheat.Address.String(),
		SlashFraction: sdkmath.LegacyNewDecWithPrec(1, 1), Reason: "forged PoC reveals (forum thread 17)", Tombstone: true}
	notDao := *eject
	notDao.Authority = alice.Address.String()
	res := c.block(signed{alice, &notDao})
	requireCode(t, res.TxResults[0], pooltypes.ModuleName, pooltypes.ErrInvalidSigner.ABCICode())
	anyBad, err := codectypes.NewAnyWithValue(&notDao)
	require.NoError(t, err)
	res = c.block(signed{alice, &daotypes.MsgSubmitProposal{Proposer: alice.Address.String(), Title: "Eject", Summary: "wrong authority",
		Messages: []*codectypes.Any{anyBad}, Deposit: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000))}})
	requireCode(t, res.TxResults[0], daotypes.ModuleName, daotypes.ErrInvalidProposal.ABCICode())

	anyEject, err := codectypes.NewAnyWithValue(eject)
	require.NoError(t, err)
	testutil.RequireTxsOK(t, c.block(signed{alice, &daotypes.MsgSubmitProposal{Proposer: alice.Address.String(), Title: "Eject a cheating provider",
		Summary:  "Its worker forged proof-of-compute reveals: slash 10 % and tombstone the pool.",
		Messages: []*codectypes.Any{anyEject}, Deposit: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000))}}))
	var id uint64
	it, err := f.App.DaoKeeper.Proposals.Iterate(f.Ctx(), nil)
	require.NoError(t, err)
	kvs, err := it.KeyValues()
	require.NoError(t, err)
	id = kvs[len(kvs)-1].Key
	testutil.RequireTxsOK(t, c.block(signed{alice, &daotypes.MsgVote{Voter: alice.Address.String(), ProposalId: id, Option: daotypes.VOTE_OPTION_YES}}))

	c.advance(10 * time.Second)
	require.Equal(t, daotypes.PROPOSAL_STATUS_PASSED, c.proposal(id).Status, c.proposal(id).Result)
	exec := signed{erin, &daotypes.MsgExecuteProposal{Executor: erin.Address.String(), ProposalId: id}}
	res = c.block(exec)
	requireCode(t, res.TxResults[0], daotypes.ModuleName, daotypes.ErrTimelock.ABCICode())
	require.True(t, eligible(cheatWorker), "nothing happens during the timelock")

	c.advance(5 * time.Second)
	res = c.block(exec)
	testutil.RequireTxsOK(t, res)
	p := c.proposal(id)
	require.Equal(t, daotypes.PROPOSAL_STATUS_EXECUTED, p.Status, p.Result)
	var ejected *pooltypes.EventProviderEjected
	for _, ev := range res.TxResults[0].Events {
		if ev.Type == "mesh.pool.v1.EventProviderEjected" {
			ejected = testutil.TypedEvent(t, ev).(*pooltypes.EventProviderEjected)
		}
	}
	require.NotNil(t, ejected, "the executed message's event")
	require.True(t, ejected.Tombstoned)

	ctx := f.Ctx()
	pool, err := f.App.PoolKeeper.GetPool(ctx, cheat.Address)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt((selfBond+3_000_000)*9/10), pool.Tokens, "10 % slashed")
	require.True(t, pool.Jailed)
	require.True(t, pool.Tombstoned)
	require.Equal(t, poolkeeper.TombstoneJailedUntil, pool.JailedUntil)
	ubs, err := poolkeeper.NewQuerier(f.App.PoolKeeper).Unbondings(ctx, &pooltypes.QueryUnbondingsRequest{Delegator: erin.Address.String()})
	require.NoError(t, err)
	require.Len(t, ubs.Unbondings, 1)
	require.Equal(t, sdkmath.NewInt(1_800_000), ubs.Unbondings[0].Balance, "the unbonding lost 10 % too")
	ej, err := f.App.PoolKeeper.GetEjection(ctx, cheat.Address)
	require.NoError(t, err)
	require.Equal(t, pooltypes.Ejection{Provider: cheat.Address.String(), Reason: eject.Reason, SlashFraction: eject.SlashFraction,
		Slashed: sdk.NewInt64Coin("umesh", 1_300_000+200_000), Height: ctx.BlockHeight(), Tombstoned: true}, ej)
	require.Equal(t, ej.Height, ejected.Height)

	// The cheat's worker is out of PoC and inference; the honest one is not.
	require.False(t, eligible(cheatWorker))
	require.True(t, eligible(honestWorker))
	ok, err := f.App.PoolKeeper.IsEligible(ctx, cheat.Address)
	require.NoError(t, err)
	require.False(t, ok)

	// Tombstoned: the provider can never unjail, even with its stake topped up.
	c.advance(3 * time.Second)
	res = c.block(signed{cheat, &pooltypes.MsgDelegate{Delegator: cheat.Address.String(), Provider: cheat.Address.String(), Amount: sdk.NewInt64Coin("umesh", 5_000_000)}},
		signed{cheat, &pooltypes.MsgUnjail{Provider: cheat.Address.String()}})
	require.Zero(t, res.TxResults[0].Code, res.TxResults[0].Log)
	requireCode(t, res.TxResults[1], pooltypes.ModuleName, pooltypes.ErrTombstoned.ABCICode())
	require.False(t, eligible(cheatWorker))
}
