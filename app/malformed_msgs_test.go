package app_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/app"
	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// A malformed message of any meshd module is refused by CheckTx, so it never
// reaches a block; a proposer that includes it anyway gets the same error
// and the sender pays no fee and keeps its sequence.
func TestMalformedMessagesRefusedInCheckTx(t *testing.T) {
	f := testutil.Setup(t, 1, sdkmath.NewInt(1_000_000_000))
	acc := f.Accounts[0]
	signer := acc.Address.String()
	zero := sdk.NewInt64Coin(app.BondDenom, 0)
	fee := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 5_000))
	for _, c := range []struct {
		codespace string
		msg       sdk.Msg
	}{
		{computetypes.ModuleName, &computetypes.MsgAuthorizeWorker{Provider: signer, Worker: "mesh1notanaddress"}},
		{inferencetypes.ModuleName, &inferencetypes.MsgRequestInference{Requester: signer, ModelId: "", Input: []byte("x"),
			MaxFee: sdk.NewInt64Coin(app.BondDenom, 10)}},
		{pooltypes.ModuleName, &pooltypes.MsgCreatePool{Provider: signer, SelfBond: zero, CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)}},
		{rewardstypes.ModuleName, &rewardstypes.MsgClaimRewards{Claimant: signer, Account: "mesh1notanaddress"}},
		{trainingtypes.ModuleName, &trainingtypes.MsgRegisterDataset{Owner: signer, Name: ""}},
		{daotypes.ModuleName, &daotypes.MsgLock{Owner: signer, Amount: zero}},
	} {
		t.Run(c.codespace, func(t *testing.T) {
			seq := f.App.AccountKeeper.GetAccount(f.Ctx(), acc.Address).GetSequence()
			before := f.App.BankKeeper.GetBalance(f.Ctx(), acc.Address, app.BondDenom)
			tx := f.SignTxWithFee(t, acc, seq, fee, c.msg)

			check, err := f.App.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
			require.NoError(t, err)
			require.NotZero(t, check.Code, "CheckTx accepted %T", c.msg)
			require.Equal(t, c.codespace, check.Codespace, check.Log)

			res := f.NextBlock(t, tx)
			require.Equal(t, check.Code, res.TxResults[0].Code, res.TxResults[0].Log)
			require.Equal(t, c.codespace, res.TxResults[0].Codespace)
			require.Equal(t, before, f.App.BankKeeper.GetBalance(f.Ctx(), acc.Address, app.BondDenom), "no fee charged")
			require.Equal(t, seq, f.App.AccountKeeper.GetAccount(f.Ctx(), acc.Address).GetSequence(), "sequence unchanged")
		})
	}
}
