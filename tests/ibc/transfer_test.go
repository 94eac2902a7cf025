package ibc_test

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	clienttypes "github.com/cosmos/ibc-go/v11/modules/core/02-client/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"
	ibctesting "github.com/cosmos/ibc-go/v11/testing"

	"github.com/llmesh/mesh/app"
)

// injDenom is an 18-decimal token native to the counterparty chain (as INJ
// is on Injective).
const injDenom = "inj"

// successAck is the acknowledgement ICS-20 v1 writes for a received packet.
var successAck = channeltypes.NewResultAcknowledgement([]byte{byte(1)}).Acknowledgement()

// TestTransferLargeAmountRoundTrip sends ~123456 INJ (18 decimals, more than
// 2^64 base units) from the counterparty to meshd and back. Amounts that do
// not fit in a uint64 must survive the packet's string encoding, the voucher
// mint on meshd, the burn on the way back and the unescrow at the source.
func TestTransferLargeAmountRoundTrip(t *testing.T) {
	coord, chainA, chainB, path := setupTransferPath(t)
	mesh, counterparty := meshAppOf(t, chainA), meshAppOf(t, chainB)

	amount, ok := sdkmath.NewIntFromString("123456789012345678901234") // 123456.789… INJ
	require.True(t, ok)
	twoTo64 := new(big.Int).Lsh(big.NewInt(1), 64)
	require.Positive(t, amount.BigInt().Cmp(twoTo64), "the amount must exceed 2^64 (not fit in a uint64)")

	// Dedicated user accounts: SenderAccounts[0] relays (and is the genesis
	// delegator), so balances of [1] move only because of the transfers.
	sender := chainB.SenderAccounts[1]
	senderAddr := sender.SenderAccount.GetAddress()
	receiver := chainA.SenderAccounts[1]
	receiverAddr := receiver.SenderAccount.GetAddress()

	// inj is native to chainB: mint it to the sender. GetContext is the
	// next block's state, so the mint lands with the committed block.
	injCoins := sdk.NewCoins(sdk.NewCoin(injDenom, amount))
	ctxB := chainB.GetContext()
	require.NoError(t, counterparty.BankKeeper.MintCoins(ctxB, minttypes.ModuleName, injCoins))
	require.NoError(t, counterparty.BankKeeper.SendCoinsFromModuleToAccount(ctxB, minttypes.ModuleName, senderAddr, injCoins))
	coord.CommitBlock(chainB)
	requireAmount(t, amount, counterparty.BankKeeper.GetBalance(chainB.GetContext(), senderAddr, injDenom).Amount, "sender inj after mint")

	escrowB := transfertypes.GetEscrowAddress(path.EndpointB.ChannelConfig.PortID, path.EndpointB.ChannelID)

	// --- chainB → meshd ---
	msg := transfertypes.NewMsgTransfer(
		path.EndpointB.ChannelConfig.PortID, path.EndpointB.ChannelID,
		sdk.NewCoin(injDenom, amount), senderAddr.String(), receiverAddr.String(),
		chainA.GetTimeoutHeight(), 0, "")
	res, err := chainB.SendMsgsWithSender(sender, msg)
	require.NoError(t, err)
	packet, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)

	// The packet carries the amount as a decimal string, in full.
	data, err := transfertypes.UnmarshalPacketData(packet.GetData(), transfertypes.V1, "")
	require.NoError(t, err)
	require.Equal(t, amount.String(), data.Token.Amount)

	// The source escrows the tokens as soon as the packet is sent.
	ctxB = chainB.GetContext()
	requireAmount(t, sdkmath.ZeroInt(), counterparty.BankKeeper.GetBalance(ctxB, senderAddr, injDenom).Amount, "sender inj after send")
	requireAmount(t, amount, counterparty.BankKeeper.GetBalance(ctxB, escrowB, injDenom).Amount, "escrow inj after send")
	requireAmount(t, amount, counterparty.TransferKeeper.GetTotalEscrowForDenom(ctxB, injDenom).Amount, "total escrow inj after send")

	_, ack, err := path.RelayPacketWithResults(packet)
	require.NoError(t, err)
	require.Equal(t, successAck, ack)

	// meshd minted the voucher ibc/hash(transfer/<meshd channel>/inj).
	voucher := transfertypes.NewDenom(injDenom, transfertypes.NewHop(path.EndpointA.ChannelConfig.PortID, path.EndpointA.ChannelID))
	require.Equal(t, "transfer/"+path.EndpointA.ChannelID+"/"+injDenom, voucher.Path())
	voucherDenom := voucher.IBCDenom()

	ctxA := chainA.GetContext()
	denomRes, err := mesh.TransferKeeper.Denom(ctxA, &transfertypes.QueryDenomRequest{Hash: voucherDenom})
	require.NoError(t, err)
	require.Equal(t, voucher.Path(), denomRes.Denom.Path())
	require.Equal(t, voucherDenom, denomRes.Denom.IBCDenom())

	requireAmount(t, amount, mesh.BankKeeper.GetBalance(ctxA, receiverAddr, voucherDenom).Amount, "receiver voucher on meshd")
	requireAmount(t, amount, mesh.BankKeeper.GetSupply(ctxA, voucherDenom).Amount, "voucher supply on meshd")

	// --- meshd → chainB: the voucher goes home ---
	msg = transfertypes.NewMsgTransfer(
		path.EndpointA.ChannelConfig.PortID, path.EndpointA.ChannelID,
		sdk.NewCoin(voucherDenom, amount), receiverAddr.String(), senderAddr.String(),
		chainB.GetTimeoutHeight(), 0, "")
	res, err = chainA.SendMsgsWithSender(receiver, msg)
	require.NoError(t, err)
	packet, err = ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)

	// meshd is not the source of inj, so the voucher is burned on send.
	ctxA = chainA.GetContext()
	requireAmount(t, sdkmath.ZeroInt(), mesh.BankKeeper.GetBalance(ctxA, receiverAddr, voucherDenom).Amount, "receiver voucher after return")
	requireAmount(t, sdkmath.ZeroInt(), mesh.BankKeeper.GetSupply(ctxA, voucherDenom).Amount, "voucher supply after return")

	_, ack, err = path.RelayPacketWithResults(packet)
	require.NoError(t, err)
	require.Equal(t, successAck, ack)

	// chainB unescrowed the full amount back to the original sender.
	ctxB = chainB.GetContext()
	requireAmount(t, amount, counterparty.BankKeeper.GetBalance(ctxB, senderAddr, injDenom).Amount, "sender inj after round trip")
	requireAmount(t, sdkmath.ZeroInt(), counterparty.BankKeeper.GetBalance(ctxB, escrowB, injDenom).Amount, "escrow inj after round trip")
	requireAmount(t, sdkmath.ZeroInt(), counterparty.TransferKeeper.GetTotalEscrowForDenom(ctxB, injDenom).Amount, "total escrow inj after round trip")
	requireAmount(t, amount, counterparty.BankKeeper.GetSupply(ctxB, injDenom).Amount, "inj supply on chainB")
}

// TestTransferTimeoutRefunds sends umesh from meshd with a timeout a few
// blocks ahead on the counterparty, lets the counterparty pass that height
// without delivering the packet, and relays the timeout back: the sender
// gets every umesh back and no voucher ever exists on the counterparty.
func TestTransferTimeoutRefunds(t *testing.T) {
	coord, chainA, chainB, path := setupTransferPath(t)
	mesh, counterparty := meshAppOf(t, chainA), meshAppOf(t, chainB)

	sender := chainA.SenderAccounts[1]
	senderAddr := sender.SenderAccount.GetAddress()
	receiverAddr := chainB.SenderAccounts[1].SenderAccount.GetAddress()
	amount := sdkmath.NewInt(1_234_567)
	escrowA := transfertypes.GetEscrowAddress(path.EndpointA.ChannelConfig.PortID, path.EndpointA.ChannelID)

	ctxA := chainA.GetContext()
	senderBefore := mesh.BankKeeper.GetBalance(ctxA, senderAddr, app.BondDenom).Amount
	escrowBefore := mesh.BankKeeper.GetBalance(ctxA, escrowA, app.BondDenom).Amount
	totalEscrowBefore := mesh.TransferKeeper.GetTotalEscrowForDenom(ctxA, app.BondDenom).Amount

	// Time out three blocks from chainB's current height: chainB can receive
	// the packet only in blocks below timeoutHeight.
	const timeoutBlocks = 3
	timeoutHeight := clienttypes.NewHeight(clienttypes.ParseChainID(chainB.ChainID), uint64(chainB.App.LastBlockHeight())+timeoutBlocks)

	msg := transfertypes.NewMsgTransfer(
		path.EndpointA.ChannelConfig.PortID, path.EndpointA.ChannelID,
		sdk.NewCoin(app.BondDenom, amount), senderAddr.String(), receiverAddr.String(),
		timeoutHeight, 0, "")
	res, err := chainA.SendMsgsWithSender(sender, msg)
	require.NoError(t, err)
	packet, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)

	// The tokens left the sender for the escrow.
	ctxA = chainA.GetContext()
	requireAmount(t, senderBefore.Sub(amount), mesh.BankKeeper.GetBalance(ctxA, senderAddr, app.BondDenom).Amount, "sender umesh after send")
	requireAmount(t, escrowBefore.Add(amount), mesh.BankKeeper.GetBalance(ctxA, escrowA, app.BondDenom).Amount, "escrow umesh after send")

	// chainB moves past the timeout height while the packet is not relayed.
	coord.CommitNBlocks(chainB, timeoutBlocks)
	require.GreaterOrEqual(t, uint64(chainB.App.LastBlockHeight()), timeoutHeight.RevisionHeight)

	// A late relayer is turned away by chainB: the packet has timed out.
	require.NoError(t, path.EndpointB.UpdateClient())
	err = path.EndpointB.RecvPacket(packet)
	require.ErrorContains(t, err, channeltypes.ErrTimeoutElapsed.Error())

	// Relay the timeout: meshd's client of chainB must first see a chainB
	// height at or past the timeout, then MsgTimeout proves non-receipt.
	require.NoError(t, path.EndpointA.UpdateClient())
	require.NoError(t, path.EndpointA.TimeoutPacket(packet))

	// ibctesting signs every tx with a zero fee (and FinalizeBlock does not
	// apply min gas prices), so the refund must restore the exact balance.
	ctxA = chainA.GetContext()
	requireAmount(t, senderBefore, mesh.BankKeeper.GetBalance(ctxA, senderAddr, app.BondDenom).Amount, "sender umesh after timeout")
	requireAmount(t, escrowBefore, mesh.BankKeeper.GetBalance(ctxA, escrowA, app.BondDenom).Amount, "escrow umesh after timeout")
	requireAmount(t, totalEscrowBefore, mesh.TransferKeeper.GetTotalEscrowForDenom(ctxA, app.BondDenom).Amount, "total escrow umesh after timeout")
	require.Nil(t, mesh.IBCKeeper.ChannelKeeper.GetPacketCommitment(ctxA, packet.GetSourcePort(), packet.GetSourceChannel(), packet.GetSequence()),
		"the packet commitment is deleted by the timeout")

	// No voucher of umesh was ever minted on chainB.
	voucher := transfertypes.NewDenom(app.BondDenom, transfertypes.NewHop(path.EndpointB.ChannelConfig.PortID, path.EndpointB.ChannelID))
	ctxB := chainB.GetContext()
	require.False(t, counterparty.TransferKeeper.HasDenom(ctxB, voucher.Hash()), "denom %s must not be registered on chainB", voucher.Path())
	requireAmount(t, sdkmath.ZeroInt(), counterparty.BankKeeper.GetBalance(ctxB, receiverAddr, voucher.IBCDenom()).Amount, "receiver voucher on chainB")
	requireAmount(t, sdkmath.ZeroInt(), counterparty.BankKeeper.GetSupply(ctxB, voucher.IBCDenom()).Amount, "voucher supply on chainB")
}
