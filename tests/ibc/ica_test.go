package ibc_test

import (
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	icacontrollertypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/controller/types"
	icatypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"
	ibcerrors "github.com/cosmos/ibc-go/v11/modules/core/errors"
	ibccoretypes "github.com/cosmos/ibc-go/v11/modules/core/types"
	ibctesting "github.com/cosmos/ibc-go/v11/testing"

	"github.com/llmesh/mesh/app"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
)

const (
	// icaModel is the model chainA registers for requests sent through the
	// interchain account.
	icaModel = "ica-m1"
	// icaModelPrice per assigned worker, in umesh.
	icaModelPrice = 1_000
	// icaFunding is what the interchain account holds on chainA before the
	// tests send anything through it.
	icaFunding = 1_000_000
)

// icaEnv is two meshd chains joined by an interchain-accounts channel:
// chainB is the controller (its owner account registers and drives the
// interchain account with icacontroller's MsgRegisterInterchainAccount and
// MsgSendTx, as meshd wires no ICA auth module), chainA the host.
type icaEnv struct {
	t              *testing.T
	coord          *ibctesting.Coordinator
	chainA, chainB *ibctesting.TestChain
	path           *ibctesting.Path // EndpointA: icahost on chainA; EndpointB: the owner's controller port on chainB
	host, ctrl     *app.MeshApp
	owner          ibctesting.SenderAccount // on chainB
	ica            sdk.AccAddress           // the interchain account, on chainA
}

// setupICA opens a connection between two meshd chains and registers the
// owner's interchain account: the controller's MsgRegisterInterchainAccount
// starts an ORDERED channel handshake that chainA (icahost) completes.
func setupICA(t *testing.T) *icaEnv {
	t.Helper()
	coord := ibctesting.NewCustomAppCoordinator(t, 2, meshAppCreator(t))
	chainA := coord.GetChain(ibctesting.GetChainID(1))
	chainB := coord.GetChain(ibctesting.GetChainID(2))
	e := &icaEnv{t: t, coord: coord, chainA: chainA, chainB: chainB,
		host: meshAppOf(t, chainA), ctrl: meshAppOf(t, chainB), owner: chainB.SenderAccounts[1]}

	e.path = ibctesting.NewPath(chainA, chainB)
	e.path.SetupConnections()
	version := icatypes.NewDefaultMetadataString(e.path.EndpointB.ConnectionID, e.path.EndpointA.ConnectionID)
	portID, err := icatypes.NewControllerPortID(e.ownerAddr())
	require.NoError(t, err)
	e.path.EndpointA.ChannelConfig = &ibctesting.ChannelConfig{PortID: icatypes.HostPortID, Version: version, Order: channeltypes.ORDERED}
	e.path.EndpointB.ChannelConfig = &ibctesting.ChannelConfig{PortID: portID, Version: version, Order: channeltypes.ORDERED}

	res, err := chainB.SendMsgsWithSender(e.owner, icacontrollertypes.NewMsgRegisterInterchainAccount(
		e.path.EndpointB.ConnectionID, e.ownerAddr(), version, channeltypes.ORDERED))
	require.NoError(t, err)
	e.path.EndpointB.ChannelID, err = ibctesting.ParseChannelIDFromEvents(res.Events)
	require.NoError(t, err)
	require.NoError(t, e.path.EndpointA.ChanOpenTry())
	require.NoError(t, e.path.EndpointB.ChanOpenAck())
	require.NoError(t, e.path.EndpointA.ChanOpenConfirm())

	addr, found := e.host.ICAHostKeeper.GetInterchainAccountAddress(chainA.GetContext(), e.path.EndpointA.ConnectionID, portID)
	require.True(t, found, "no interchain account on the host")
	e.ica = sdk.MustAccAddressFromBech32(addr)
	return e
}

func (e *icaEnv) ownerAddr() string { return e.owner.SenderAccount.GetAddress().String() }

// balanceA is addr's balance of denom on chainA.
func (e *icaEnv) balanceA(addr sdk.AccAddress, denom string) sdkmath.Int {
	return e.host.BankKeeper.GetBalance(e.chainA.GetContext(), addr, denom).Amount
}

// fund sends amount umesh from a chainA sender to the interchain account.
func (e *icaEnv) fund(amount int64) {
	e.t.Helper()
	from := e.chainA.SenderAccounts[1]
	_, err := e.chainA.SendMsgsWithSender(from, banktypes.NewMsgSend(from.SenderAccount.GetAddress(), e.ica,
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount))))
	require.NoError(e.t, err)
}

// sendTx has the owner send msgs through MsgSendTx, relays the packet to
// chainA and returns the packet, chainA's acknowledgement (raw and parsed)
// and the result of the receipt there.
func (e *icaEnv) sendTx(msgs ...proto.Message) (channeltypes.Packet, []byte, channeltypes.Acknowledgement, *abci.ExecTxResult) {
	e.t.Helper()
	data, err := icatypes.SerializeCosmosTx(e.ctrl.AppCodec(), msgs, icatypes.EncodingProtobuf)
	require.NoError(e.t, err)
	packetData := icatypes.InterchainAccountPacketData{Type: icatypes.EXECUTE_TX, Data: data}
	res, err := e.chainB.SendMsgsWithSender(e.owner,
		icacontrollertypes.NewMsgSendTx(e.ownerAddr(), e.path.EndpointB.ConnectionID, uint64(time.Hour), packetData))
	require.NoError(e.t, err)
	packet, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(e.t, err)

	require.NoError(e.t, e.path.EndpointA.UpdateClient())
	recvRes, err := e.path.EndpointA.RecvPacketWithResult(packet)
	require.NoError(e.t, err, "the receipt itself succeeds; a refused tx is an error acknowledgement")
	ackBz, err := ibctesting.ParseAckFromEvents(recvRes.Events)
	require.NoError(e.t, err, "icahost acknowledges at receipt")
	require.Equal(e.t, channeltypes.CommitAcknowledgement(ackBz), e.chainA.GetAcknowledgement(packet))
	var ack channeltypes.Acknowledgement
	require.NoError(e.t, channeltypes.SubModuleCdc.UnmarshalJSON(ackBz, &ack))
	return packet, ackBz, ack, recvRes
}

// ackOnB relays chainA's acknowledgement to the controller and checks that
// it was processed there: the packet commitment is gone and the ORDERED
// channel is still open (only a timeout closes it).
func (e *icaEnv) ackOnB(packet channeltypes.Packet, ackBz []byte) {
	e.t.Helper()
	require.NoError(e.t, e.path.EndpointB.UpdateClient())
	require.NoError(e.t, e.path.EndpointB.AcknowledgePacket(packet, ackBz))
	commitment := e.ctrl.IBCKeeper.ChannelKeeper.GetPacketCommitment(e.chainB.GetContext(),
		packet.SourcePort, packet.SourceChannel, packet.Sequence)
	require.Empty(e.t, commitment, "the controller cleared the packet commitment")
	require.Equal(e.t, channeltypes.OPEN, e.path.EndpointB.GetChannel().State)
	require.Equal(e.t, channeltypes.OPEN, e.path.EndpointA.GetChannel().State)
}

// setupICAWorkers registers icaModel on chainA (priced in umesh) and two
// providers (SenderAccounts 2, 3) with one worker each (4, 5) serving it —
// the setup of setupInference in inference_test.go, without the voucher.
func (e *icaEnv) setupICAWorkers() []string {
	e.t.Helper()
	ctx := e.chainA.GetContext()
	ik := e.host.InferenceKeeper
	require.NoError(e.t, ik.RegisterModel(ctx, ik.GetAuthority(), inferencetypes.Model{
		Id: icaModel, Name: "ica test model", Version: "1",
		WeightsDigest: strings.Repeat("cd", 32), WeightsUri: "meshd:test", Runtime: "int8-embedded", Deterministic: true,
		Prices: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, icaModelPrice)),
		Status: inferencetypes.MODEL_STATUS_ACTIVE,
	}))
	e.coord.CommitBlock(e.chainA)

	var workers []string
	for i := range 2 {
		prov, w := e.chainA.SenderAccounts[2+i], e.chainA.SenderAccounts[4+i]
		provAddr, wAddr := prov.SenderAccount.GetAddress().String(), w.SenderAccount.GetAddress().String()
		_, err := e.chainA.SendMsgsWithSender(prov,
			&pooltypes.MsgCreatePool{Provider: provAddr, SelfBond: sdk.NewInt64Coin(app.BondDenom, 1_000_000_000), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: provAddr, Worker: wAddr})
		require.NoError(e.t, err)
		_, err = e.chainA.SendMsgsWithSender(w, &computetypes.MsgRegisterWorker{
			Worker: wAddr, Provider: provAddr,
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{icaModel},
		})
		require.NoError(e.t, err)
		workers = append(workers, wAddr)
	}
	return workers
}

// TestICARegisterAccount: the controller's MsgRegisterInterchainAccount
// opens an ORDERED channel to chainA's icahost, which creates the account;
// both chains agree on its address, and the host executes only meshd's
// allow list, not "*".
func TestICARegisterAccount(t *testing.T) {
	e := setupICA(t)
	ctxA, ctxB := e.chainA.GetContext(), e.chainB.GetContext()

	require.Equal(t, channeltypes.OPEN, e.path.EndpointA.GetChannel().State)
	require.Equal(t, channeltypes.OPEN, e.path.EndpointB.GetChannel().State)
	require.Equal(t, channeltypes.ORDERED, e.path.EndpointA.GetChannel().Ordering)

	ctrlAddr, found := e.ctrl.ICAControllerKeeper.GetInterchainAccountAddress(ctxB, e.path.EndpointB.ConnectionID, e.path.EndpointB.ChannelConfig.PortID)
	require.True(t, found, "the controller records the address from the handshake")
	require.Equal(t, e.ica.String(), ctrlAddr)
	activeB, found := e.ctrl.ICAControllerKeeper.GetActiveChannelID(ctxB, e.path.EndpointB.ConnectionID, e.path.EndpointB.ChannelConfig.PortID)
	require.True(t, found)
	require.Equal(t, e.path.EndpointB.ChannelID, activeB)

	acc := e.host.AccountKeeper.GetAccount(ctxA, e.ica)
	require.NotNil(t, acc, "the host created the account")
	_, isICA := acc.(*icatypes.InterchainAccount)
	require.True(t, isICA, "an interchain account, not a plain one: %T", acc)
	require.Nil(t, acc.GetPubKey(), "no key on chainA controls it")
	var md icatypes.Metadata
	require.NoError(t, icatypes.ModuleCdc.UnmarshalJSON([]byte(e.path.EndpointA.GetChannel().Version), &md))
	require.Equal(t, e.ica.String(), md.Address, "the channel version carries the address")

	require.Equal(t, app.ICAHostAllowMessages(), e.host.ICAHostKeeper.GetParams(ctxA).AllowMessages)
}

// TestICARequestInference: the controller sends MsgRequestInference
// through MsgSendTx. chainA creates the job with the interchain account as
// requester and max_fee escrowed from it; the success acknowledgement
// carries the job id; the job is then assigned to the two workers.
func TestICARequestInference(t *testing.T) {
	e := setupICA(t)
	workers := e.setupICAWorkers()
	e.fund(icaFunding)
	escrow := e.host.AccountKeeper.GetModuleAddress(inferencetypes.ModuleName)
	escrowBefore := e.balanceA(escrow, app.BondDenom)
	requireAmount(t, sdkmath.NewInt(icaFunding), e.balanceA(e.ica, app.BondDenom), "interchain account funded")

	maxFee := sdk.NewInt64Coin(app.BondDenom, 2*icaModelPrice)
	packet, ackBz, ack, _ := e.sendTx(&inferencetypes.MsgRequestInference{
		Requester: e.ica.String(), ModelId: icaModel, Input: []byte("2+2="), MaxFee: maxFee, Redundancy: 2,
	})
	require.True(t, ack.Success(), "success acknowledgement: %s", ackBz)

	// The result is the tx's TxMsgData: one MsgRequestInferenceResponse.
	var txMsgData sdk.TxMsgData
	require.NoError(t, proto.Unmarshal(ack.GetResult(), &txMsgData))
	require.Len(t, txMsgData.MsgResponses, 1)
	require.Equal(t, "/mesh.inference.v1.MsgRequestInferenceResponse", txMsgData.MsgResponses[0].TypeUrl)
	var resp inferencetypes.MsgRequestInferenceResponse
	require.NoError(t, proto.Unmarshal(txMsgData.MsgResponses[0].Value, &resp))
	require.NotZero(t, resp.JobId)

	job, err := e.host.InferenceKeeper.GetJob(e.chainA.GetContext(), resp.JobId)
	require.NoError(t, err)
	require.Equal(t, e.ica.String(), job.Requester, "the interchain account is the requester")
	require.Equal(t, icaModel, job.ModelId)
	require.Equal(t, maxFee, job.MaxFee)
	require.True(t, inferencetypes.IsOpen(job.Status), "job %d is %s", resp.JobId, job.Status)
	requireAmount(t, sdkmath.NewInt(icaFunding).Sub(maxFee.Amount), e.balanceA(e.ica, app.BondDenom), "max_fee left the interchain account")
	requireAmount(t, escrowBefore.Add(maxFee.Amount), e.balanceA(escrow, app.BondDenom), "max_fee in x/inference's escrow")

	e.ackOnB(packet, ackBz)

	// Eligible workers: the queued job is drawn in a later block.
	for range 3 {
		if job.Status != inferencetypes.JOB_STATUS_QUEUED {
			break
		}
		e.coord.CommitBlock(e.chainA)
		job, err = e.host.InferenceKeeper.GetJob(e.chainA.GetContext(), resp.JobId)
		require.NoError(t, err)
	}
	require.Equal(t, inferencetypes.JOB_STATUS_COMMITTING, job.Status)
	var assigned []string
	for _, a := range job.Assignments {
		assigned = append(assigned, a.Worker)
	}
	require.ElementsMatch(t, workers, assigned)
}

// TestICAForbiddenMessagesRefused: messages outside the allow list —
// x/staking's MsgDelegate, x/compute's MsgRegisterWorker, and an allowed
// MsgSend batched with a forbidden one — are refused by the host with an
// error acknowledgement (ibc's ErrUnauthorized, code 8), which the controller
// processes; nothing changes on chainA, not even the allowed message of the
// batch. The ORDERED channel stays open, and an allowed MsgSend then goes
// through.
func TestICAForbiddenMessagesRefused(t *testing.T) {
	e := setupICA(t)
	e.fund(icaFunding)
	ctxA := e.chainA.GetContext()
	validators, err := e.host.StakingKeeper.GetAllValidators(ctxA)
	require.NoError(t, err)
	require.NotEmpty(t, validators)
	provider := e.chainA.SenderAccounts[2].SenderAccount.GetAddress()
	recipient := e.chainA.SenderAccounts[3].SenderAccount.GetAddress()
	recipientBefore := e.balanceA(recipient, app.BondDenom)
	coin := sdk.NewInt64Coin(app.BondDenom, 1_000)

	delegate := stakingtypes.NewMsgDelegate(e.ica.String(), validators[0].OperatorAddress, coin)
	registerWorker := &computetypes.MsgRegisterWorker{Worker: e.ica.String(), Provider: provider.String(),
		Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{"any"}}
	send := banktypes.NewMsgSend(e.ica, recipient, sdk.NewCoins(coin))

	for _, tc := range []struct {
		name      string
		msgs      []proto.Message
		forbidden string
	}{
		{"staking delegate", []proto.Message{delegate}, "/cosmos.staking.v1beta1.MsgDelegate"},
		{"compute register worker", []proto.Message{registerWorker}, "/mesh.compute.v1.MsgRegisterWorker"},
		{"allowed send batched with a forbidden delegate", []proto.Message{send, delegate}, "/cosmos.staking.v1beta1.MsgDelegate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			packet, ackBz, ack, recvRes := e.sendTx(tc.msgs...)
			require.False(t, ack.Success(), "error acknowledgement: %s", ackBz)
			require.Equal(t, channeltypes.NewErrorAcknowledgement(ibcerrors.ErrUnauthorized).Acknowledgement(), ackBz)
			// ibc core keeps the host's events of a refused packet, renamed
			// with the ibccallbackerror- prefix.
			reason, ok := eventAttr(recvRes.Events, ibccoretypes.ErrorAttributeKeyPrefix+icatypes.EventTypePacket,
				ibccoretypes.ErrorAttributeKeyPrefix+icatypes.AttributeKeyAckError)
			require.True(t, ok, "ics27_packet error attribute")
			require.Contains(t, reason, "message type not allowed: "+tc.forbidden)

			// No state change on chainA.
			ctx := e.chainA.GetContext()
			requireAmount(t, sdkmath.NewInt(icaFunding), e.balanceA(e.ica, app.BondDenom), "interchain account balance")
			requireAmount(t, recipientBefore, e.balanceA(recipient, app.BondDenom), "recipient of the batched send")
			delegations, err := e.host.StakingKeeper.GetDelegatorDelegations(ctx, e.ica, 10)
			require.NoError(t, err)
			require.Empty(t, delegations, "no staking delegation")
			_, err = e.host.ComputeKeeper.GetWorker(ctx, e.ica)
			require.Error(t, err, "no worker registered")

			e.ackOnB(packet, ackBz)
		})
	}

	// The channel still works: an allowed MsgSend is executed.
	packet, ackBz, ack, _ := e.sendTx(send)
	require.True(t, ack.Success(), "success acknowledgement: %s", ackBz)
	requireAmount(t, sdkmath.NewInt(icaFunding).Sub(coin.Amount), e.balanceA(e.ica, app.BondDenom), "interchain account after the send")
	requireAmount(t, recipientBefore.Add(coin.Amount), e.balanceA(recipient, app.BondDenom), "recipient after the send")
	e.ackOnB(packet, ackBz)
}
