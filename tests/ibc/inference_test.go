package ibc_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"
	host "github.com/cosmos/ibc-go/v11/modules/core/24-host"
	ibcexported "github.com/cosmos/ibc-go/v11/modules/core/exported"
	ibctesting "github.com/cosmos/ibc-go/v11/testing"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/app"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	ibcinfertypes "github.com/llmesh/mesh/x/ibcinfer/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
)

const (
	// inferModel is the model the serving chain (chainA) registers, priced
	// in umesh and in the inj voucher.
	inferModel = "ibc-m1"
	// inferInput and inferOutput: the question and the workers' answer.
	inferInput  = "2+2="
	inferOutput = "4"
)

var (
	// injPrice per assigned worker: 0.001 inj (18 decimals).
	injPrice = sdkmath.NewIntWithDecimal(1, 15)
	// injSent with each request: 5000 inj, more than 2^64 base units.
	injSent = sdkmath.NewIntWithDecimal(5, 21)
)

// inferenceEnv is two meshd chains: chainA serves inference (a model priced
// in the inj voucher, two providers with one worker each), chainB plays
// Injective (its user holds 18-decimal inj).
type inferenceEnv struct {
	t              *testing.T
	coord          *ibctesting.Coordinator
	chainA, chainB *ibctesting.TestChain
	path           *ibctesting.Path
	mesh, inj      *app.MeshApp
	voucher        string // the inj voucher's denom on chainA
	workers        []ibctesting.SenderAccount
	user           ibctesting.SenderAccount // on chainB
	userInj        sdkmath.Int              // the user's inj before the test
}

func setupInference(t *testing.T) *inferenceEnv {
	t.Helper()
	coord, chainA, chainB, path := setupTransferPath(t)
	e := &inferenceEnv{t: t, coord: coord, chainA: chainA, chainB: chainB, path: path,
		mesh: meshAppOf(t, chainA), inj: meshAppOf(t, chainB), user: chainB.SenderAccounts[1]}
	e.voucher = transfertypes.NewDenom(injDenom, transfertypes.NewHop(path.EndpointA.ChannelConfig.PortID, path.EndpointA.ChannelID)).IBCDenom()

	// The DAO accepts the voucher for fees and prices the model in it.
	ctx := chainA.GetContext()
	ik := e.mesh.InferenceKeeper
	p, err := ik.Params.Get(ctx)
	require.NoError(t, err)
	p.FeeDenoms = append(p.FeeDenoms, e.voucher)
	require.NoError(t, ik.Params.Set(ctx, p))
	require.NoError(t, ik.RegisterModel(ctx, ik.GetAuthority(), inferencetypes.Model{
		Id: inferModel, Name: "test model", Version: "1",
		WeightsDigest: strings.Repeat("ab", 32), WeightsUri: "meshd:test", Runtime: "int8-embedded", Deterministic: true,
		Prices: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1000), sdk.NewCoin(e.voucher, injPrice)),
		Status: inferencetypes.MODEL_STATUS_ACTIVE,
	}))
	coord.CommitBlock(chainA)

	// Two providers (SenderAccounts 2, 3), each with one worker (4, 5).
	for i := range 2 {
		prov, w := chainA.SenderAccounts[2+i], chainA.SenderAccounts[4+i]
		provAddr, wAddr := prov.SenderAccount.GetAddress().String(), w.SenderAccount.GetAddress().String()
		_, err := chainA.SendMsgsWithSender(prov,
			&pooltypes.MsgCreatePool{Provider: provAddr, SelfBond: sdk.NewInt64Coin(app.BondDenom, 1_000_000_000), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: provAddr, Worker: wAddr})
		require.NoError(t, err)
		_, err = chainA.SendMsgsWithSender(w, &computetypes.MsgRegisterWorker{
			Worker: wAddr, Provider: provAddr,
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{inferModel},
		})
		require.NoError(t, err)
		e.workers = append(e.workers, w)
	}

	// The user's inj, native to chainB.
	e.userInj = injSent.MulRaw(4)
	coins := sdk.NewCoins(sdk.NewCoin(injDenom, e.userInj))
	ctxB := chainB.GetContext()
	require.NoError(t, e.inj.BankKeeper.MintCoins(ctxB, minttypes.ModuleName, coins))
	require.NoError(t, e.inj.BankKeeper.SendCoinsFromModuleToAccount(ctxB, minttypes.ModuleName, e.userAddr(), coins))
	coord.CommitBlock(chainB)
	return e
}

func (e *inferenceEnv) userAddr() sdk.AccAddress { return e.user.SenderAccount.GetAddress() }

// requester is the user's derived account on chainA.
func (e *inferenceEnv) requester() sdk.AccAddress {
	return ibcinfertypes.DeriveAccount(e.path.EndpointA.ChannelID, e.userAddr().String())
}

// inferMemo is a request memo for the test model.
func inferMemo(redundancy uint32) string {
	return `{"mesh":{"infer":{"model":"` + inferModel + `","input":"` + inferInput + `","redundancy":` +
		sdkmath.NewInt(int64(redundancy)).String() + `,"max_blocks":30}}}`
}

// send transfers coin from the user on chainB to chainA with memo and
// returns the packet.
func (e *inferenceEnv) send(coin sdk.Coin, memo string) channeltypes.Packet {
	e.t.Helper()
	msg := transfertypes.NewMsgTransfer(e.path.EndpointB.ChannelConfig.PortID, e.path.EndpointB.ChannelID,
		coin, e.userAddr().String(), "ignored-receiver", e.chainA.GetTimeoutHeight(), 0, memo)
	res, err := e.chainB.SendMsgsWithSender(e.user, msg)
	require.NoError(e.t, err)
	packet, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(e.t, err)
	return packet
}

// recv relays packet to chainA and returns the receipt's result.
func (e *inferenceEnv) recv(packet channeltypes.Packet) *abci.ExecTxResult {
	e.t.Helper()
	require.NoError(e.t, e.path.EndpointA.UpdateClient())
	res, err := e.path.EndpointA.RecvPacketWithResult(packet)
	require.NoError(e.t, err)
	return res
}

// ackOnB relays chainA's acknowledgement of packet to chainB and returns
// the result of the acknowledgement tx there.
func (e *inferenceEnv) ackOnB(packet channeltypes.Packet, ack []byte) *abci.ExecTxResult {
	e.t.Helper()
	require.NoError(e.t, e.path.EndpointB.UpdateClient())
	res, err := e.path.EndpointB.AcknowledgePacketWithResult(packet, ack)
	require.NoError(e.t, err)
	return res
}

// writtenAck is chainA's acknowledgement of packet, if any.
func (e *inferenceEnv) hasAck(packet channeltypes.Packet) bool {
	_, found := e.mesh.IBCKeeper.ChannelKeeper.GetPacketAcknowledgement(e.chainA.GetContext(),
		packet.DestinationPort, packet.DestinationChannel, packet.Sequence)
	return found
}

// requireAckCommitted checks that chainA committed exactly ack for packet.
func (e *inferenceEnv) requireAckCommitted(packet channeltypes.Packet, ack []byte) {
	e.t.Helper()
	require.Equal(e.t, channeltypes.CommitAcknowledgement(ack), e.chainA.GetAcknowledgement(packet))
}

func (e *inferenceEnv) job(id uint64) inferencetypes.Job {
	e.t.Helper()
	job, err := e.mesh.InferenceKeeper.GetJob(e.chainA.GetContext(), id)
	require.NoError(e.t, err)
	return job
}

func (e *inferenceEnv) pendingJob(packet channeltypes.Packet) uint64 {
	e.t.Helper()
	var id uint64
	require.NoError(e.t, e.mesh.IBCInferKeeper.PendingAcks.Walk(e.chainA.GetContext(), nil, func(k uint64, pa ibcinfertypes.PendingAck) (bool, error) {
		if pa.Packet.Sequence == packet.Sequence && pa.Packet.DestinationChannel == packet.DestinationChannel {
			id = k
			return true, nil
		}
		return false, nil
	}))
	require.NotZero(e.t, id, "no pending acknowledgement for packet %d", packet.Sequence)
	return id
}

// answer has the assigned workers commit to and reveal inferOutput until
// the job ends, one worker tx per block, and returns the result of the tx
// that ended it.
func (e *inferenceEnv) answer(id uint64) *abci.ExecTxResult {
	e.t.Helper()
	for range 40 {
		job := e.job(id)
		require.True(e.t, inferencetypes.IsOpen(job.Status), "job %d ended as %s before its workers answered", id, job.Status)
		if job.Status == inferencetypes.JOB_STATUS_QUEUED {
			e.coord.CommitBlock(e.chainA)
			continue
		}
		for _, a := range job.Assignments {
			w := e.worker(a.Worker)
			addr := w.SenderAccount.GetAddress()
			salt := append([]byte("salt-"), addr...)
			var msg sdk.Msg
			switch {
			case job.Status == inferencetypes.JOB_STATUS_COMMITTING && len(a.Commitment) == 0:
				msg = &inferencetypes.MsgCommitResult{Worker: a.Worker, JobId: id,
					Commitment: inferencetypes.Commitment(id, addr, inferencetypes.Digest([]byte(inferOutput)), salt)}
			case job.Status == inferencetypes.JOB_STATUS_REVEALING && len(a.OutputDigest) == 0:
				msg = &inferencetypes.MsgRevealResult{Worker: a.Worker, JobId: id, Output: []byte(inferOutput), Salt: salt}
			default:
				continue
			}
			res, err := e.chainA.SendMsgsWithSender(w, msg)
			require.NoError(e.t, err)
			if !inferencetypes.IsOpen(e.job(id).Status) {
				return res
			}
			break // one tx per block; read the job again
		}
	}
	e.t.Fatalf("job %d never ended", id)
	return nil
}

func (e *inferenceEnv) worker(addr string) ibctesting.SenderAccount {
	for _, w := range e.workers {
		if w.SenderAccount.GetAddress().String() == addr {
			return w
		}
	}
	e.t.Fatalf("%s is not a test worker", addr)
	return ibctesting.SenderAccount{}
}

// balanceA and balanceB read balances on the two chains.
func (e *inferenceEnv) balanceA(addr sdk.AccAddress, denom string) sdkmath.Int {
	return e.mesh.BankKeeper.GetBalance(e.chainA.GetContext(), addr, denom).Amount
}

func (e *inferenceEnv) balanceB(addr sdk.AccAddress, denom string) sdkmath.Int {
	return e.inj.BankKeeper.GetBalance(e.chainB.GetContext(), addr, denom).Amount
}

// eventAttr returns the value of attribute key of the first event of type
// typ in events.
func eventAttr(events []abci.Event, typ, key string) (string, bool) {
	for _, ev := range events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}

// TestInferenceOverIBC: a user on the counterparty sends 5000 inj with an
// inference memo. meshd receives the tokens on the user's derived account,
// escrows them as the job's max_fee and writes no acknowledgement yet. Two
// workers answer; the job's end writes a success acknowledgement with the
// result, which the counterparty's ICS-20 module reports in its
// fungible_token_packet event; the unspent fee comes back by a second
// transfer. In the end the user has paid exactly price × redundancy.
func TestInferenceOverIBC(t *testing.T) {
	e := setupInference(t)
	requester := e.requester()

	packet := e.send(sdk.NewCoin(injDenom, injSent), inferMemo(2))
	recvRes := e.recv(packet)

	// Asynchronous: no acknowledgement at receipt, a pending one instead.
	require.False(t, e.hasAck(packet), "an inference packet must not be acknowledged at receipt")
	_, err := ibctesting.ParseAckFromEvents(recvRes.Events)
	require.Error(t, err, "no write_acknowledgement event at receipt")
	id := e.pendingJob(packet)
	got, ok := eventAttr(recvRes.Events, "mesh.ibcinfer.v1.EventRequestReceived", "job_id")
	require.True(t, ok)
	require.Equal(t, `"`+sdkmath.NewIntFromUint64(id).String()+`"`, got)

	job := e.job(id)
	require.Equal(t, requester.String(), job.Requester, "the requester is the derived account")
	require.Equal(t, inferModel, job.ModelId)
	require.Equal(t, sdk.NewCoin(e.voucher, injSent), job.MaxFee, "the whole transfer is the max_fee")
	require.Equal(t, ibcinfertypes.JobCallback, job.Callback)
	requireAmount(t, sdkmath.ZeroInt(), e.balanceA(requester, e.voucher), "derived account after escrow")
	requireAmount(t, injSent, e.balanceA(e.mesh.AccountKeeper.GetModuleAddress(inferencetypes.ModuleName), e.voucher), "x/inference escrow")
	// The packet's receiver is ignored: nothing arrived there.
	requireAmount(t, e.userInj.Sub(injSent), e.balanceB(e.userAddr(), injDenom), "user inj after sending")

	// The workers answer; the last reveal ends the job and writes the ack.
	endRes := e.answer(id)
	job = e.job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, job.Status)
	fee := injPrice.MulRaw(2)
	require.Equal(t, sdk.NewCoin(e.voucher, fee), job.Fee)
	refund := injSent.Sub(fee)

	ack, err := ibctesting.ParseAckFromEvents(endRes.Events)
	require.NoError(t, err)
	e.requireAckCommitted(packet, ack)
	var parsed channeltypes.Acknowledgement
	require.NoError(t, channeltypes.SubModuleCdc.UnmarshalJSON(ack, &parsed))
	require.True(t, parsed.Success(), "a finalized job is a success acknowledgement: %s", ack)
	var result ibcinfertypes.AckResult
	require.NoError(t, json.Unmarshal(parsed.GetResult(), &result))
	require.Equal(t, sdkmath.NewIntFromUint64(id).String(), result.JobID)
	require.Equal(t, inferModel, result.Model)
	require.Equal(t, []byte(inferOutput), result.Output)
	require.False(t, result.OutputTruncated)
	require.Equal(t, "exact", result.Mode)
	require.Len(t, result.Workers, 2)
	require.Equal(t, sdk.NewCoin(e.voucher, fee).String(), result.Fee)
	require.Equal(t, sdk.NewCoin(e.voucher, refund).String(), result.Refund)
	require.Equal(t, sdkmath.NewInt(job.EndedHeight).String(), result.Height)
	_, err = e.mesh.IBCInferKeeper.PendingAcks.Get(e.chainA.GetContext(), id)
	require.Error(t, err, "the pending acknowledgement is gone once written")

	// The same tx sent the unspent fee back.
	refundPacket, err := ibctesting.ParseV1PacketFromEvents(endRes.Events)
	require.NoError(t, err)
	var refundData transfertypes.FungibleTokenPacketData
	require.NoError(t, transfertypes.ModuleCdc.UnmarshalJSON(refundPacket.Data, &refundData))
	require.Equal(t, refund.String(), refundData.Amount)
	require.Equal(t, e.userAddr().String(), refundData.Receiver)
	require.Equal(t, ibcinfertypes.RefundMemoString(id), refundData.Memo)

	// On the counterparty: the ack is a success, and its event carries the result.
	ackRes := e.ackOnB(packet, ack)
	success, ok := eventAttr(ackRes.Events, transfertypes.EventTypePacket, transfertypes.AttributeKeyAckSuccess)
	require.True(t, ok, "fungible_token_packet success attribute")
	require.JSONEq(t, string(parsed.GetResult()), success)
	requireAmount(t, e.userInj.Sub(injSent), e.balanceB(e.userAddr(), injDenom), "a success ack refunds nothing by itself")

	// The refund arrives; the user paid exactly the fee.
	require.NoError(t, e.path.RelayPacket(refundPacket))
	requireAmount(t, e.userInj.Sub(fee), e.balanceB(e.userAddr(), injDenom), "user inj after the refund")
	requireAmount(t, sdkmath.ZeroInt(), e.balanceA(requester, e.voucher), "derived account after the refund")
	refunds, err := e.mesh.IBCInferKeeper.ExportGenesis(e.chainA.GetContext())
	require.NoError(t, err)
	require.Empty(t, refunds.Refunds, "an acknowledged refund is forgotten")
	require.Empty(t, refunds.PendingAcks)
}

// TestInferenceOverIBCRefusedAtReceipt: each bad request gets an error
// acknowledgement with its codespace and code; meshd keeps nothing (no job,
// no voucher, nothing on the derived account) and the counterparty refunds
// the user in full.
func TestInferenceOverIBCRefusedAtReceipt(t *testing.T) {
	e := setupInference(t)
	requester := e.requester()
	big := `{"mesh":{"infer":{"model":"` + inferModel + `","input":"` + strings.Repeat("x", 9000) + `"}}}`
	cases := []struct {
		name   string
		coin   sdk.Coin
		memo   string
		wantCS string
		code   uint32
	}{
		{"malformed json", sdk.NewCoin(injDenom, injSent), `{"mesh":{"infer":`, "ibcinfer", 5},
		{"memo over max_memo_bytes", sdk.NewCoin(injDenom, injSent), big, "ibcinfer", 6},
		{"duplicate key", sdk.NewCoin(injDenom, injSent), `{"mesh":{"infer":{"model":"a","model":"` + inferModel + `","input":"x"}}}`, "ibcinfer", 5},
		{"unknown field", sdk.NewCoin(injDenom, injSent), `{"mesh":{"infer":{"model":"` + inferModel + `","input":"x","gas":1}}}`, "ibcinfer", 5},
		{"with dest_callback", sdk.NewCoin(injDenom, injSent), `{"mesh":{"infer":{"model":"` + inferModel + `","input":"x"}},"dest_callback":{"address":"x"}}`, "ibcinfer", 5},
		{"unknown model", sdk.NewCoin(injDenom, injSent), `{"mesh":{"infer":{"model":"nope","input":"x"}}}`, "inference", 7},
		{"fee below price × redundancy", sdk.NewCoin(injDenom, injPrice), inferMemo(2), "inference", 10},
		{"denom the model is not priced in", sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1_000_000)), inferMemo(2), "inference", 9},
		{"not enough workers", sdk.NewCoin(injDenom, injSent), inferMemo(3), "inference", 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.balanceB(e.userAddr(), tc.coin.Denom)
			packet := e.send(tc.coin, tc.memo)
			res := e.recv(packet)
			ack, err := ibctesting.ParseAckFromEvents(res.Events)
			require.NoError(t, err, "a refused request is acknowledged at once")
			var parsed channeltypes.Acknowledgement
			require.NoError(t, channeltypes.SubModuleCdc.UnmarshalJSON(ack, &parsed))
			require.False(t, parsed.Success())
			require.Contains(t, parsed.GetError(), "ABCI error: "+tc.wantCS+"/"+sdkmath.NewInt(int64(tc.code)).String()+":")
			// The full error text is in the (error-prefixed) event.
			why, ok := eventAttr(res.Events, "ibccallbackerror-mesh.ibcinfer.v1.EventRequestRefused", "ibccallbackerror-error")
			require.True(t, ok, "refusal event")
			require.NotEmpty(t, why)

			ctx := e.chainA.GetContext()
			pending, err := e.mesh.IBCInferKeeper.ExportGenesis(ctx)
			require.NoError(t, err)
			require.Empty(t, pending.PendingAcks)
			require.True(t, e.mesh.BankKeeper.GetAllBalances(ctx, requester).IsZero(), "nothing stays on the derived account")
			requireAmount(t, sdkmath.ZeroInt(), e.mesh.BankKeeper.GetSupply(ctx, e.voucher).Amount, "no voucher minted on meshd")

			e.ackOnB(packet, ack)
			requireAmount(t, before, e.balanceB(e.userAddr(), tc.coin.Denom), "the user is refunded in full")
		})
	}
}

// TestInferenceOverIBCJobFails: nobody answers, so the job fails when its
// commit phase closes. meshd burns the voucher it minted at receipt and
// writes an error acknowledgement; the counterparty refunds the user in full.
// The packet cannot be received twice.
func TestInferenceOverIBCJobFails(t *testing.T) {
	e := setupInference(t)
	packet := e.send(sdk.NewCoin(injDenom, injSent), inferMemo(2))
	e.recv(packet)
	id := e.pendingJob(packet)

	// A relayer delivering the packet again changes nothing.
	require.NoError(t, e.path.EndpointA.UpdateClient())
	res, err := e.path.EndpointA.RecvPacketWithResult(packet)
	require.NoError(t, err)
	_, again := eventAttr(res.Events, "mesh.ibcinfer.v1.EventRequestReceived", "job_id")
	require.False(t, again, "a redundant receipt is a no-op")
	acks, err := e.mesh.IBCInferKeeper.ExportGenesis(e.chainA.GetContext())
	require.NoError(t, err)
	require.Len(t, acks.PendingAcks, 1, "a replayed packet makes no second job")

	for i := 0; inferencetypes.IsOpen(e.job(id).Status); i++ {
		require.Less(t, i, 60, "job never ended")
		e.coord.CommitBlock(e.chainA)
	}
	job := e.job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FAILED, job.Status)

	want := channeltypes.NewErrorAcknowledgementWithCodespace(ibcinfertypes.ErrJobFailed).Acknowledgement()
	e.requireAckCommitted(packet, want)
	ctx := e.chainA.GetContext()
	requireAmount(t, sdkmath.ZeroInt(), e.mesh.BankKeeper.GetSupply(ctx, e.voucher).Amount, "the voucher is burned")
	require.True(t, e.mesh.BankKeeper.GetAllBalances(ctx, e.requester()).IsZero())

	e.ackOnB(packet, want)
	requireAmount(t, e.userInj, e.balanceB(e.userAddr(), injDenom), "the user is refunded in full")
}

// TestInferenceOverIBCRefundRetried: the refund of the unspent fee times out
// on the counterparty; ICS-20 puts the coins back on the derived account and
// meshd sends the refund again, which then arrives.
func TestInferenceOverIBCRefundRetried(t *testing.T) {
	e := setupInference(t)
	packet := e.send(sdk.NewCoin(injDenom, injSent), inferMemo(2))
	e.recv(packet)
	id := e.pendingJob(packet)
	endRes := e.answer(id)
	ack, err := ibctesting.ParseAckFromEvents(endRes.Events)
	require.NoError(t, err)
	e.ackOnB(packet, ack)
	refundPacket, err := ibctesting.ParseV1PacketFromEvents(endRes.Events)
	require.NoError(t, err)
	fee := injPrice.MulRaw(2)
	refund := injSent.Sub(fee)

	// The relayer is late: the refund's timeout (refund_timeout_seconds,
	// one hour) passes on the counterparty.
	e.coord.IncrementTimeBy(2 * time.Hour)
	e.coord.CommitBlock(e.chainB)
	require.NoError(t, e.path.EndpointA.UpdateClient())
	res, err := e.path.EndpointA.TimeoutPacketWithResult(refundPacket)
	require.NoError(t, err)
	attempt, ok := eventAttr(res.Events, "mesh.ibcinfer.v1.EventRefundSent", "attempt")
	require.True(t, ok, "the refund is sent again")
	require.Equal(t, "2", attempt)
	retry, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)
	require.NotEqual(t, refundPacket.Sequence, retry.Sequence)
	requireAmount(t, sdkmath.ZeroInt(), e.balanceA(e.requester(), e.voucher), "the retried refund left the derived account again")

	require.NoError(t, e.path.RelayPacket(retry))
	requireAmount(t, e.userInj.Sub(fee), e.balanceB(e.userAddr(), injDenom), "user paid exactly the fee")
	requireAmount(t, e.userInj.Sub(injSent).Add(refund), e.balanceB(e.userAddr(), injDenom), "refund arrived once")
	gs, err := e.mesh.IBCInferKeeper.ExportGenesis(e.chainA.GetContext())
	require.NoError(t, err)
	require.Empty(t, gs.Refunds)
}

// TestInferenceOverIBCNativeTokenComesHome: the user pays with umesh that
// left meshd earlier (a voucher on the counterparty). meshd is the token's
// source, so the receipt unescrows it; the job fails, and meshd puts the
// umesh back in the channel's escrow (total escrow included) before the
// error acknowledgement, after which the counterparty re-mints the user's
// voucher: every balance is as before the request.
func TestInferenceOverIBCNativeTokenComesHome(t *testing.T) {
	e := setupInference(t)
	amount := sdkmath.NewInt(50_000)
	holder := e.chainA.SenderAccounts[6]

	// umesh leaves meshd for the user on the counterparty.
	out := transfertypes.NewMsgTransfer(e.path.EndpointA.ChannelConfig.PortID, e.path.EndpointA.ChannelID,
		sdk.NewCoin(app.BondDenom, amount), holder.SenderAccount.GetAddress().String(), e.userAddr().String(),
		e.chainB.GetTimeoutHeight(), 0, "")
	res, err := e.chainA.SendMsgsWithSender(holder, out)
	require.NoError(t, err)
	outPacket, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)
	require.NoError(t, e.path.RelayPacket(outPacket))
	umeshOnB := transfertypes.NewDenom(app.BondDenom, transfertypes.NewHop(e.path.EndpointB.ChannelConfig.PortID, e.path.EndpointB.ChannelID)).IBCDenom()
	requireAmount(t, amount, e.balanceB(e.userAddr(), umeshOnB), "user's umesh voucher")

	escrowA := transfertypes.GetEscrowAddress(e.path.EndpointA.ChannelConfig.PortID, e.path.EndpointA.ChannelID)
	escrowed := func() (sdkmath.Int, sdkmath.Int) {
		ctx := e.chainA.GetContext()
		return e.balanceA(escrowA, app.BondDenom), e.mesh.TransferKeeper.GetTotalEscrowForDenom(ctx, app.BondDenom).Amount
	}
	bal0, total0 := escrowed()
	requireAmount(t, amount, bal0, "escrow before")

	// It comes home with an inference memo: the job is paid in umesh.
	packet := e.send(sdk.NewCoin(umeshOnB, amount), inferMemo(2))
	e.recv(packet)
	id := e.pendingJob(packet)
	job := e.job(id)
	require.Equal(t, sdk.NewCoin(app.BondDenom, amount), job.MaxFee)
	bal, total := escrowed()
	requireAmount(t, bal0.Sub(amount), bal, "the receipt unescrowed it")
	requireAmount(t, total0.Sub(amount), total, "total escrow after receipt")

	for i := 0; inferencetypes.IsOpen(e.job(id).Status); i++ {
		require.Less(t, i, 60, "job never ended")
		e.coord.CommitBlock(e.chainA)
	}
	require.Equal(t, inferencetypes.JOB_STATUS_FAILED, e.job(id).Status)
	bal, total = escrowed()
	requireAmount(t, bal0, bal, "the failed job put it back in escrow")
	requireAmount(t, total0, total, "total escrow restored")
	require.True(t, e.mesh.BankKeeper.GetAllBalances(e.chainA.GetContext(), e.requester()).IsZero())

	want := channeltypes.NewErrorAcknowledgementWithCodespace(ibcinfertypes.ErrJobFailed).Acknowledgement()
	e.requireAckCommitted(packet, want)
	e.ackOnB(packet, want)
	requireAmount(t, amount, e.balanceB(e.userAddr(), umeshOnB), "the user's voucher is back")
}

// TestInferenceOverIBCPendingAckExported: a pending acknowledgement is in
// the genesis export (so a chain restarted from it still answers the
// packet), and the export validates and re-imports to the same state.
func TestInferenceOverIBCPendingAckExported(t *testing.T) {
	e := setupInference(t)
	packet := e.send(sdk.NewCoin(injDenom, injSent), inferMemo(2))
	e.recv(packet)
	id := e.pendingJob(packet)

	ctx := e.chainA.GetContext()
	k := e.mesh.IBCInferKeeper
	gs, err := k.ExportGenesis(ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.Len(t, gs.PendingAcks, 1)
	pa := gs.PendingAcks[0]
	require.Equal(t, id, pa.JobId)
	require.Equal(t, packet, pa.Packet.ChannelPacket(), "the stored packet is the received one")
	require.Equal(t, e.userAddr().String(), pa.Sender)
	require.Equal(t, e.requester().String(), pa.Requester)
	require.Equal(t, sdk.NewCoin(e.voucher, injSent), pa.Received)
	require.False(t, pa.Native)

	bz := e.mesh.AppCodec().MustMarshalJSON(gs)
	var back ibcinfertypes.GenesisState
	require.NoError(t, e.mesh.AppCodec().UnmarshalJSON(bz, &back))
	require.NoError(t, k.InitGenesis(ctx, &back))
	again, err := k.ExportGenesis(ctx)
	require.NoError(t, err)
	require.Equal(t, gs, again)

	// The job still answers the packet after the re-import.
	endRes := e.answer(id)
	_, err = ibctesting.ParseAckFromEvents(endRes.Events)
	require.NoError(t, err)
}

// TestInferenceOverIBCRetryAck: the job-end hook cannot write the
// acknowledgement (here: one is already in the store), so x/inference
// records EventJobCallbackFailed, the settlement stands and the pending
// acknowledgement stays. Once the obstacle is gone, anybody's MsgRetryAck
// writes it and sends the refund; the user ends up paying exactly the fee.
// MsgRetryAck refuses an unknown job and a job that has not ended.
func TestInferenceOverIBCRetryAck(t *testing.T) {
	e := setupInference(t)
	packet := e.send(sdk.NewCoin(injDenom, injSent), inferMemo(2))
	e.recv(packet)
	id := e.pendingJob(packet)
	anybody := e.chainA.SenderAccounts[7]
	retry := func(job uint64) (*abci.ExecTxResult, error) {
		return e.chainA.SendMsgsWithSender(anybody, &ibcinfertypes.MsgRetryAck{Sender: anybody.SenderAccount.GetAddress().String(), JobId: job})
	}
	_, err := retry(id)
	require.ErrorContains(t, err, "ibcinfer/12", "the job has not ended")
	_, err = retry(id + 100)
	require.ErrorContains(t, err, "ibcinfer/11", "no pending acknowledgement")

	ackKey := host.PacketAcknowledgementKey(packet.DestinationPort, packet.DestinationChannel, packet.Sequence)
	e.mesh.IBCKeeper.ChannelKeeper.SetPacketAcknowledgement(e.chainA.GetContext(),
		packet.DestinationPort, packet.DestinationChannel, packet.Sequence, []byte("obstacle"))
	e.coord.CommitBlock(e.chainA)

	endRes := e.answer(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, e.job(id).Status, "the settlement stands")
	failed, ok := eventAttr(endRes.Events, "mesh.inference.v1.EventJobCallbackFailed", "error")
	require.True(t, ok, "the failed hook is recorded")
	require.Contains(t, failed, "acknowledgement for packet already exists")
	_, err = ibctesting.ParseAckFromEvents(endRes.Events)
	require.Error(t, err, "no acknowledgement was written")
	e.pendingJob(packet) // still pending
	fee := injPrice.MulRaw(2)
	requireAmount(t, injSent.Sub(fee), e.balanceA(e.requester(), e.voucher), "the unspent fee waits on the derived account")

	e.chainA.GetContext().KVStore(e.mesh.GetKey(ibcexported.StoreKey)).Delete(ackKey)
	e.coord.CommitBlock(e.chainA)
	res, err := retry(id)
	require.NoError(t, err)
	ack, err := ibctesting.ParseAckFromEvents(res.Events)
	require.NoError(t, err)
	e.requireAckCommitted(packet, ack)
	refundPacket, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)
	e.ackOnB(packet, ack)
	require.NoError(t, e.path.RelayPacket(refundPacket))
	requireAmount(t, e.userInj.Sub(fee), e.balanceB(e.userAddr(), injDenom), "user paid exactly the fee")
	_, err = retry(id)
	require.ErrorContains(t, err, "ibcinfer/11", "written once")
}

// TestInferenceOverIBCSourceContract: a contract on the counterparty
// (contracts/askmesh) sends the request itself — an ICS-20 transfer with the
// inference memo and a src_callback naming it — and receives the verified
// answer in its ibc_source_callback through the counterparty's callbacks
// middleware. The unspent fee comes back to the contract, the packet's
// sender.
func TestInferenceOverIBCSourceContract(t *testing.T) {
	e := setupInference(t)
	code, err := os.ReadFile(filepath.Join("..", "..", "contracts", "askmesh", "askmesh.wasm"))
	require.NoError(t, err)
	contract := instantiate(t, e.chainB, code)

	memo := `{"mesh":{"infer":{"model":"` + inferModel + `","input":"` + inferInput + `","redundancy":2,"max_blocks":30}},` +
		`"src_callback":{"address":"` + contract.String() + `"}}`
	execMsg, err := json.Marshal(map[string]any{"transfer": map[string]any{
		"channel": e.path.EndpointB.ChannelID, "to_address": "ignored-receiver", "memo": memo, "timeout_seconds": 600,
	}})
	require.NoError(t, err)
	res, err := e.chainB.SendMsgsWithSender(e.user, &wasmtypes.MsgExecuteContract{Sender: e.userAddr().String(),
		Contract: contract.String(), Msg: execMsg, Funds: sdk.NewCoins(sdk.NewCoin(injDenom, injSent))})
	require.NoError(t, err)
	packet, err := ibctesting.ParseV1PacketFromEvents(res.Events)
	require.NoError(t, err)

	e.recv(packet)
	id := e.pendingJob(packet)
	derived := ibcinfertypes.DeriveAccount(e.path.EndpointA.ChannelID, contract.String())
	require.Equal(t, derived.String(), e.job(id).Requester, "the contract's derived account pays")
	endRes := e.answer(id)
	ack, err := ibctesting.ParseAckFromEvents(endRes.Events)
	require.NoError(t, err)
	refundPacket, err := ibctesting.ParseV1PacketFromEvents(endRes.Events)
	require.NoError(t, err)
	e.ackOnB(packet, ack)

	// The contract recorded the acknowledgement: a success carrying the result.
	bz, err := e.inj.WasmKeeper.QuerySmart(e.chainB.GetContext(), contract, []byte(`{"ibc_callbacks":{}}`))
	require.NoError(t, err)
	var records []struct {
		Kind     string `json:"kind"`
		Success  *bool  `json:"success"`
		AckData  []byte `json:"ack_data"`
		Sequence uint64 `json:"sequence"`
	}
	require.NoError(t, json.Unmarshal(bz, &records), string(bz))
	require.Len(t, records, 1)
	require.Equal(t, "ack", records[0].Kind)
	require.NotNil(t, records[0].Success)
	require.True(t, *records[0].Success)
	require.Equal(t, packet.Sequence, records[0].Sequence)
	require.Equal(t, ack, records[0].AckData, "the contract got the acknowledgement as written on meshd")
	var parsed channeltypes.Acknowledgement
	require.NoError(t, channeltypes.SubModuleCdc.UnmarshalJSON(records[0].AckData, &parsed))
	var result ibcinfertypes.AckResult
	require.NoError(t, json.Unmarshal(parsed.GetResult(), &result))
	require.Equal(t, []byte(inferOutput), result.Output)
	require.Equal(t, sdkmath.NewIntFromUint64(id).String(), result.JobID)

	// The unspent fee returns to the contract.
	require.NoError(t, e.path.RelayPacket(refundPacket))
	fee := injPrice.MulRaw(2)
	requireAmount(t, injSent.Sub(fee), e.inj.BankKeeper.GetBalance(e.chainB.GetContext(), contract, injDenom).Amount, "contract inj after the refund")
}

// TestInferenceOverIBCTrustSingleWorker: where governance requires a quorum
// (min_redundancy_untrusted 3), a memo asking fewer workers is refused
// (inference/12, refunded) unless it opts in with trust_single_worker.
func TestInferenceOverIBCTrustSingleWorker(t *testing.T) {
	e := setupInference(t)
	ctx := e.chainA.GetContext()
	p, err := e.mesh.InferenceKeeper.Params.Get(ctx)
	require.NoError(t, err)
	p.MinRedundancyUntrusted = 3
	require.NoError(t, e.mesh.InferenceKeeper.Params.Set(ctx, p))
	e.coord.CommitBlock(e.chainA)

	packet := e.send(sdk.NewCoin(injDenom, injSent), inferMemo(2))
	ack, err := ibctesting.ParseAckFromEvents(e.recv(packet).Events)
	require.NoError(t, err)
	require.Contains(t, string(ack), "inference/12")
	e.ackOnB(packet, ack)
	requireAmount(t, e.userInj, e.balanceB(e.userAddr(), injDenom), "refunded")

	memo := `{"mesh":{"infer":{"model":"` + inferModel + `","input":"` + inferInput + `","redundancy":2,"trust_single_worker":true}}}`
	packet = e.send(sdk.NewCoin(injDenom, injSent), memo)
	e.recv(packet)
	id := e.pendingJob(packet)
	require.Equal(t, uint32(2), e.job(id).Redundancy)
}
