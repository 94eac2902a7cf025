package ibc_test

import (
	"testing"
	"time"

	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	gmptypes "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/types"
	channeltypesv2 "github.com/cosmos/ibc-go/v11/modules/core/04-channel/v2/types"
	ibctesting "github.com/cosmos/ibc-go/v11/testing"

	"github.com/llmesh/mesh/app"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// gmpCall sends, from the user on chainB over the IBC v2 path, a GMP call
// whose payload is msgs signed by the user's predictable account on
// chainA, and returns chainA's acknowledgement.
func gmpCall(t *testing.T, e *inferenceEnv, path *ibctesting.Path, salt []byte, msgs ...proto.Message) channeltypesv2.Acknowledgement {
	t.Helper()
	payload, err := gmptypes.SerializeCosmosTx(e.mesh.AppCodec(), msgs)
	require.NoError(t, err)
	res, err := e.chainB.SendMsgsWithSender(e.user, &gmptypes.MsgSendCall{
		SourceClient: path.EndpointB.ClientID, Sender: e.userAddr().String(), Salt: salt, Payload: payload,
		TimeoutTimestamp: uint64(e.chainB.GetContext().BlockTime().Add(time.Hour).Unix()), Encoding: gmptypes.EncodingProtobuf,
	})
	require.NoError(t, err)
	packet, err := ibctesting.ParseV2PacketFromEvents(res.Events)
	require.NoError(t, err)
	require.NoError(t, path.EndpointA.UpdateClient())
	ack, err := path.EndpointA.MsgRecvPacketWithAck(packet)
	require.NoError(t, err)
	return ack
}

// TestGMPRequestInference: an IBC v2 counterparty calls meshd through 27-gmp.
// Its user's predictable account (BuildAddressPredictable of meshd's client,
// the sender and a salt), funded on meshd, requests an inference: the job's
// requester is that account and the fee is escrowed from it. A message the
// ICA host would not allow (worker registration) is refused (meshgmp/2 on
// meshd; IBC v2's error acknowledgement carries no code), and nothing of
// that call is executed.
func TestGMPRequestInference(t *testing.T) {
	e := setupInference(t)
	path := ibctesting.NewPath(e.chainA, e.chainB)
	path.SetupV2()

	salt := []byte("mesh")
	id := gmptypes.NewAccountIdentifier(path.EndpointA.ClientID, e.userAddr().String(), salt)
	account, err := gmptypes.BuildAddressPredictable(&id)
	require.NoError(t, err)
	funding := sdk.NewInt64Coin(app.BondDenom, 1_000_000)
	_, err = e.chainA.SendMsgs(banktypes.NewMsgSend(e.chainA.SenderAccount.GetAddress(), account, sdk.NewCoins(funding)))
	require.NoError(t, err)

	fee := sdk.NewInt64Coin(app.BondDenom, 2000) // price 1000umesh × 2
	ack := gmpCall(t, e, path, salt, &inferencetypes.MsgRequestInference{
		Requester: account.String(), ModelId: inferModel, Input: []byte(inferInput), MaxFee: fee, Redundancy: 2,
	})
	require.NotEqual(t, channeltypesv2.ErrorAcknowledgement[:], ack.AppAcknowledgements[0], "the call succeeded")
	var jobs []inferencetypes.Job
	require.NoError(t, e.mesh.InferenceKeeper.Jobs.Walk(e.chainA.GetContext(), nil, func(_ uint64, j inferencetypes.Job) (bool, error) {
		jobs = append(jobs, j)
		return false, nil
	}))
	require.Len(t, jobs, 1)
	require.Equal(t, account.String(), jobs[0].Requester, "the GMP account is the requester")
	require.Equal(t, fee, jobs[0].MaxFee)
	requireAmount(t, funding.Amount.Sub(fee.Amount), e.balanceA(account, app.BondDenom), "the fee was escrowed from the GMP account")

	// Refused: a worker registration, even batched after an allowed send.
	before := e.balanceA(account, app.BondDenom)
	ack = gmpCall(t, e, path, salt,
		banktypes.NewMsgSend(account, e.chainA.SenderAccount.GetAddress(), sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))),
		&computetypes.MsgRegisterWorker{Worker: account.String(), Provider: account.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{inferModel}})
	require.Equal(t, channeltypesv2.ErrorAcknowledgement[:], ack.AppAcknowledgements[0], "an error acknowledgement")
	requireAmount(t, before, e.balanceA(account, app.BondDenom), "nothing of a refused call is executed")
	_, err = e.mesh.ComputeKeeper.GetWorker(e.chainA.GetContext(), account)
	require.Error(t, err, "no worker registered")
}
