package app_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/testutil"
)

// msgResponse decodes the first Msg response of tx i in a finalized block.
func msgResponse(t *testing.T, f *testutil.Fixture, data []byte, out interface{ Unmarshal([]byte) error }) {
	t.Helper()
	var msgData sdk.TxMsgData
	require.NoError(t, f.App.AppCodec().Unmarshal(data, &msgData))
	require.Len(t, msgData.MsgResponses, 1)
	require.NoError(t, out.Unmarshal(msgData.MsgResponses[0].Value))
}

// A real compiled contract (wasmd's hackatom, read from the module cache)
// is stored, instantiated, queried and executed through signed txs.
func TestWasmContractLifecycle(t *testing.T) {
	f := testutil.Setup(t, 3, sdkmath.NewInt(1_000_000_000))
	creator, verifier, beneficiary := f.Accounts[0], f.Accounts[1], f.Accounts[2]

	code, err := os.ReadFile(testutil.WasmdTestdata(t, "hackatom.wasm"))
	require.NoError(t, err)

	// Store.
	res := f.NextBlock(t, f.SignTx(t, creator, 0, &wasmtypes.MsgStoreCode{Sender: creator.Address.String(), WASMByteCode: code}))
	testutil.RequireTxsOK(t, res)
	var stored wasmtypes.MsgStoreCodeResponse
	msgResponse(t, f, res.TxResults[0].Data, &stored)
	require.EqualValues(t, 1, stored.CodeID)
	require.Len(t, stored.Checksum, 32)

	// Instantiate with a 5,000 umesh deposit.
	deposit := sdk.NewCoins(sdk.NewInt64Coin("umesh", 5_000))
	initMsg, err := json.Marshal(map[string]string{"verifier": verifier.Address.String(), "beneficiary": beneficiary.Address.String()})
	require.NoError(t, err)
	res = f.NextBlock(t, f.SignTx(t, creator, 1, &wasmtypes.MsgInstantiateContract{
		Sender: creator.Address.String(), Admin: creator.Address.String(), CodeID: stored.CodeID,
		Label: "hackatom", Msg: initMsg, Funds: deposit,
	}))
	testutil.RequireTxsOK(t, res)
	var inst wasmtypes.MsgInstantiateContractResponse
	msgResponse(t, f, res.TxResults[0].Data, &inst)
	contract := sdk.MustAccAddressFromBech32(inst.Address)
	require.Equal(t, "mesh", sdk.GetConfig().GetBech32AccountAddrPrefix())
	require.Len(t, contract, 32, "contract addresses are 32 bytes")
	require.Equal(t, deposit, f.App.BankKeeper.GetAllBalances(f.Ctx(), contract))

	// Query through the keeper's smart query.
	out, err := f.App.WasmKeeper.QuerySmart(f.Ctx(), contract, []byte(`{"verifier":{}}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"verifier":"`+verifier.Address.String()+`"}`, string(out))

	// A stranger cannot release: the tx fails with wasm's execute error and
	// no funds move.
	before := f.App.BankKeeper.GetBalance(f.Ctx(), beneficiary.Address, "umesh")
	res = f.NextBlock(t, f.SignTx(t, creator, 2, &wasmtypes.MsgExecuteContract{
		Sender: creator.Address.String(), Contract: contract.String(), Msg: []byte(`{"release":{}}`),
	}))
	require.Equal(t, wasmtypes.ErrExecuteFailed.ABCICode(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, wasmtypes.DefaultCodespace, res.TxResults[0].Codespace)
	require.Equal(t, deposit, f.App.BankKeeper.GetAllBalances(f.Ctx(), contract))
	require.Equal(t, before, f.App.BankKeeper.GetBalance(f.Ctx(), beneficiary.Address, "umesh"))

	// The verifier releases the deposit to the beneficiary.
	res = f.NextBlock(t, f.SignTx(t, verifier, 0, &wasmtypes.MsgExecuteContract{
		Sender: verifier.Address.String(), Contract: contract.String(), Msg: []byte(`{"release":{}}`),
	}))
	testutil.RequireTxsOK(t, res)
	require.True(t, f.App.BankKeeper.GetAllBalances(f.Ctx(), contract).IsZero())
	require.Equal(t, before.Add(deposit[0]), f.App.BankKeeper.GetBalance(f.Ctx(), beneficiary.Address, "umesh"))
}
