package ibc_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	wasmvmtypes "github.com/CosmWasm/wasmvm/v3/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	ibctesting "github.com/cosmos/ibc-go/v11/testing"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/app"
)

// ibcCallbacksWasm is wasmd's ibc_callbacks test contract (tests/e2e/testdata
// of the wasmd module, read from the module cache): its transfer message
// sends ICS-20 with src_callback and dest_callback memos, and it records
// every callback it gets.
func ibcCallbacksWasm(t *testing.T) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CosmWasm/wasmd").Output()
	require.NoError(t, err)
	bz, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "tests", "e2e", "testdata", "ibc_callbacks.wasm"))
	require.NoError(t, err)
	return bz
}

// instantiate stores and instantiates code on chain from its first sender.
func instantiate(t *testing.T, chain *ibctesting.TestChain, code []byte) sdk.AccAddress {
	t.Helper()
	sender := chain.SenderAccount.GetAddress().String()
	res, err := chain.SendMsgs(&wasmtypes.MsgStoreCode{Sender: sender, WASMByteCode: code})
	require.NoError(t, err)
	var stored wasmtypes.MsgStoreCodeResponse
	require.NoError(t, chain.Codec.Unmarshal(msgResponse(t, chain, res.Data), &stored))
	res, err = chain.SendMsgs(&wasmtypes.MsgInstantiateContract{Sender: sender, Admin: sender, CodeID: stored.CodeID, Label: "cb", Msg: []byte(`{}`)})
	require.NoError(t, err)
	var inst wasmtypes.MsgInstantiateContractResponse
	require.NoError(t, chain.Codec.Unmarshal(msgResponse(t, chain, res.Data), &inst))
	addr, err := sdk.AccAddressFromBech32(inst.Address)
	require.NoError(t, err)
	return addr
}

// msgResponse is the first message response of a tx's result data.
func msgResponse(t *testing.T, chain *ibctesting.TestChain, data []byte) []byte {
	t.Helper()
	var d sdk.TxMsgData
	require.NoError(t, chain.Codec.Unmarshal(data, &d))
	require.NotEmpty(t, d.MsgResponses)
	return d.MsgResponses[0].Value
}

type callbackStats struct {
	IBCAckCallbacks         []wasmvmtypes.IBCPacketAckMsg           `json:"ibc_ack_callbacks"`
	IBCTimeoutCallbacks     []wasmvmtypes.IBCPacketTimeoutMsg       `json:"ibc_timeout_callbacks"`
	IBCDestinationCallbacks []wasmvmtypes.IBCDestinationCallbackMsg `json:"ibc_destination_callbacks"`
}

func queryStats(t *testing.T, chain *ibctesting.TestChain, contract sdk.AccAddress) callbackStats {
	t.Helper()
	meshApp := meshAppOf(t, chain)
	bz, err := meshApp.WasmKeeper.QuerySmart(chain.GetContext(), contract, []byte(`{"callback_stats":{}}`))
	require.NoError(t, err)
	var s callbackStats
	require.NoError(t, json.Unmarshal(bz, &s))
	return s
}

// TestCallbacksThroughInferenceMiddleware pins the order of meshd's transfer
// stack, callbacks(wasm) → ibcinfer → transfer: a contract on the
// counterparty sends a transfer whose memo carries src_callback and
// dest_callback to a contract on meshd. The memo is not an inference
// request, so x/ibcinfer passes it through; the callbacks middleware above
// it calls the meshd contract's destination callback, and the counterparty
// contract gets its acknowledgement callback. Then the same from meshd to
// the counterparty.
func TestCallbacksThroughInferenceMiddleware(t *testing.T) {
	_, chainA, chainB, path := setupTransferPath(t)
	code := ibcCallbacksWasm(t)
	onMesh, onB := instantiate(t, chainA, code), instantiate(t, chainB, code)

	// chainB's contract → meshd's contract.
	one := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1)))
	msg, err := json.Marshal(map[string]any{"transfer": map[string]any{
		"to_address": onMesh.String(), "channel_id": path.EndpointB.ChannelID, "timeout_seconds": 100,
	}})
	require.NoError(t, err)
	res, err := chainB.SendMsgs(&wasmtypes.MsgExecuteContract{Sender: chainB.SenderAccount.GetAddress().String(),
		Contract: onB.String(), Msg: msg, Funds: one})
	require.NoError(t, err)
	packet, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)
	require.NoError(t, path.RelayPacket(packet))

	voucherOnMesh := transfertypes.NewDenom(app.BondDenom, transfertypes.NewHop(path.EndpointA.ChannelConfig.PortID, path.EndpointA.ChannelID)).IBCDenom()
	meshStats := queryStats(t, chainA, onMesh)
	require.Len(t, meshStats.IBCDestinationCallbacks, 1, "meshd's contract got its destination callback")
	require.Equal(t, onMesh.String(), meshStats.IBCDestinationCallbacks[0].Transfer.Receiver)
	require.Equal(t, wasmvmtypes.Array[wasmvmtypes.Coin]{wasmvmtypes.NewCoin(1, voucherOnMesh)}, meshStats.IBCDestinationCallbacks[0].Transfer.Funds)
	requireAmount(t, sdkmath.OneInt(), meshAppOf(t, chainA).BankKeeper.GetBalance(chainA.GetContext(), onMesh, voucherOnMesh).Amount, "the contract holds the voucher")
	bStats := queryStats(t, chainB, onB)
	require.Len(t, bStats.IBCAckCallbacks, 1, "the sending contract got its acknowledgement callback")
	require.Equal(t, []byte(`{"result":"AQ=="}`), bStats.IBCAckCallbacks[0].Acknowledgement.Data)

	// meshd's contract → chainB's contract: src_callback on meshd.
	msg, err = json.Marshal(map[string]any{"transfer": map[string]any{
		"to_address": onB.String(), "channel_id": path.EndpointA.ChannelID, "timeout_seconds": 100,
	}})
	require.NoError(t, err)
	res, err = chainA.SendMsgs(&wasmtypes.MsgExecuteContract{Sender: chainA.SenderAccount.GetAddress().String(),
		Contract: onMesh.String(), Msg: msg, Funds: one})
	require.NoError(t, err)
	packet, err = ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)
	require.NoError(t, path.RelayPacket(packet))
	require.Len(t, queryStats(t, chainA, onMesh).IBCAckCallbacks, 1, "meshd's contract got its acknowledgement callback")
	require.Len(t, queryStats(t, chainB, onB).IBCDestinationCallbacks, 1)
}
