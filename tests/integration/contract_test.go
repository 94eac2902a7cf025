package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	wasmvmtypes "github.com/CosmWasm/wasmvm/v3/types"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
)

// askmeshWasm is the committed build of contracts/askmesh (make contracts).
const askmeshWasm = "../../contracts/askmesh/askmesh.wasm"

// debianRustc is the compiler scripts/build-contracts.sh uses.
const debianRustc = "/usr/bin/rustc"

// requireRustc skips unless Debian's rustc is installed (with the wasm32
// std when wasm is set).
func requireRustc(t *testing.T, wasm bool) {
	t.Helper()
	if _, err := os.Stat(debianRustc); err != nil {
		t.Skipf("%s absent (apt-get install rustc libstd-rust-dev-wasm32)", debianRustc)
	}
	if !wasm {
		return
	}
	libdir, err := exec.Command(debianRustc, "--print", "target-libdir", "--target", "wasm32-unknown-unknown").Output()
	if err != nil {
		t.Skipf("%s cannot target wasm32-unknown-unknown: %v", debianRustc, err)
	}
	if _, err := os.Stat(strings.TrimSpace(string(libdir))); err != nil {
		t.Skipf("%s has no wasm32-unknown-unknown std (apt-get install libstd-rust-dev-wasm32)", debianRustc)
	}
}

// The committed askmesh.wasm is the one its source builds: when Debian's
// rustc with the wasm32 std is present, scripts/build-contracts.sh rebuilds
// it into a temp dir and the bytes must match.
func TestAskmeshCommittedWasmIsItsSource(t *testing.T) {
	requireRustc(t, true)
	out := t.TempDir()
	cmd := exec.Command("../../scripts/build-contracts.sh", "askmesh")
	cmd.Env = append(os.Environ(), "OUT_DIR="+out, "RUSTC="+debianRustc, "WASM_OPT=0")
	log, err := cmd.CombinedOutput()
	require.NoError(t, err, string(log))
	built, err := os.ReadFile(filepath.Join(out, "askmesh.wasm"))
	require.NoError(t, err)
	committed, err := os.ReadFile(askmeshWasm)
	require.NoError(t, err)
	require.True(t, bytes.Equal(committed, built),
		"contracts/askmesh/askmesh.wasm (%d bytes) is not what its source builds (%d bytes): run `make contracts` and commit it", len(committed), len(built))
}

// askmesh's JSON, base64 and protobuf code passes its host unit tests
// (contracts/askmesh/tests/codec.rs, built for this machine by rustc).
func TestAskmeshCodecUnitTests(t *testing.T) {
	requireRustc(t, false)
	bin := filepath.Join(t.TempDir(), "codec")
	build, err := exec.Command(debianRustc, "--edition", "2021", "--test", "../../contracts/askmesh/tests/codec.rs", "-o", bin).CombinedOutput()
	require.NoError(t, err, string(build))
	run, err := exec.Command(bin).CombinedOutput()
	require.NoError(t, err, string(run))
	require.Contains(t, string(run), "test result: ok")
}

// askmeshGenesis: model m1 at 1000umesh per worker (m2 the same but
// CANDIDATE, accepting no requests; default_redundancy stays 3), small pool stakes and no
// compute epoch during the test (the workers run no proof of compute).
func askmeshGenesis(cdc codec.Codec, gen map[string]json.RawMessage) {
	var ig inferencetypes.GenesisState
	cdc.MustUnmarshalJSON(gen[inferencetypes.ModuleName], &ig)
	ig.Models = append(ig.Models, inferencetypes.Model{
		Id: "m1", Name: "askmesh test model", Version: "1", Runtime: inferencetypes.RuntimeInt8Embedded, Deterministic: true,
		Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000)), Status: inferencetypes.MODEL_STATUS_ACTIVE,
	}, inferencetypes.Model{
		Id: "m2", Name: "askmesh candidate model", Version: "1", Runtime: inferencetypes.RuntimeInt8Embedded, Deterministic: true,
		Prices: sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000)), Status: inferencetypes.MODEL_STATUS_CANDIDATE,
	})
	gen[inferencetypes.ModuleName] = cdc.MustMarshalJSON(&ig)

	var pg pooltypes.GenesisState
	cdc.MustUnmarshalJSON(gen[pooltypes.ModuleName], &pg)
	pg.Params.BaseMinStake, pg.Params.PerUnitStake = sdkmath.NewInt(1_000_000), sdkmath.NewInt(100_000)
	gen[pooltypes.ModuleName] = cdc.MustMarshalJSON(&pg)

	// A second denom in every test account (not the bonded pool), to send
	// two coins at once.
	var bg banktypes.GenesisState
	cdc.MustUnmarshalJSON(gen[banktypes.ModuleName], &bg)
	other := sdk.NewCoins(sdk.NewInt64Coin(otherDenom, 1_000))
	for i := range bg.Balances {
		if bg.Balances[i].Coins.AmountOf("umesh").Equal(askmeshBalance) {
			bg.Balances[i].Coins = bg.Balances[i].Coins.Add(other...)
			bg.Supply = bg.Supply.Add(other...)
		}
	}
	gen[banktypes.ModuleName] = cdc.MustMarshalJSON(&bg)

	testutil.SetComputeEpoch(cdc, gen, 24*time.Hour)
}

// otherDenom is a second denom every test account holds.
const otherDenom = "uother"

// askmeshBalance is each test account's umesh at genesis.
var askmeshBalance = sdkmath.NewInt(1_000_000_000)

// inferenceResultMsg is the body of issue 15's job-end sudo callback
// (x/inference/keeper/contract_callback.go), here to call sudo directly:
// {"inference_result":{job_id, status, output, output_digest, model,
// fee_spent, refunded}}.
type inferenceResultMsg struct {
	JobID        uint64    `json:"job_id,string"`
	Status       string    `json:"status"`
	Output       []byte    `json:"output"`
	OutputDigest string    `json:"output_digest"`
	Model        string    `json:"model"`
	FeeSpent     *sdk.Coin `json:"fee_spent"`
	Refunded     *sdk.Coin `json:"refunded"`
}

// inferenceResult is the sudo message for an ended job.
func inferenceResult(t *testing.T, job inferencetypes.Job) []byte {
	t.Helper()
	coin := func(c sdk.Coin) *sdk.Coin {
		if c.Denom == "" {
			return nil
		}
		return &c
	}
	bz, err := json.Marshal(map[string]inferenceResultMsg{"inference_result": {
		JobID: job.Id, Status: strings.TrimPrefix(job.Status.String(), "JOB_STATUS_"), Output: job.Result,
		OutputDigest: hex.EncodeToString(job.ResultDigest), Model: job.ModelId, FeeSpent: coin(job.Fee), Refunded: coin(job.Refunded),
	}})
	require.NoError(t, err)
	return bz
}

// askmeshAnswer is the contract's {"answer":{"job_id":…}} reply.
type askmeshAnswer struct {
	JobID        string    `json:"job_id"`
	Asker        string    `json:"asker"`
	Model        string    `json:"model"`
	Question     string    `json:"question"`
	Status       string    `json:"status"`
	Output       *string   `json:"output"`
	OutputDigest string    `json:"output_digest"`
	MaxFee       *sdk.Coin `json:"max_fee"`
	// PricePerWorker and Redundancy are the price the contract read from
	// the chain before the request and the redundancy it applied.
	PricePerWorker *sdk.Coin `json:"price_per_worker"`
	Redundancy     uint32    `json:"redundancy"`
	FeeSpent       *sdk.Coin `json:"fee_spent"`
	Refunded       *sdk.Coin `json:"refunded"`
}

func querySmart(t *testing.T, ctx sdk.Context, f *testutil.Fixture, contract sdk.AccAddress, q string, out any) {
	t.Helper()
	bz, err := f.App.WasmKeeper.QuerySmart(ctx, contract, []byte(q))
	require.NoError(t, err, q)
	require.NoError(t, json.Unmarshal(bz, out), string(bz))
}

func requireWasmError(t *testing.T, r *abci.ExecTxResult, contains string) {
	t.Helper()
	require.Equal(t, wasmtypes.DefaultCodespace, r.Codespace, r.Log)
	require.Equal(t, wasmtypes.ErrExecuteFailed.ABCICode(), r.Code, r.Log)
	require.Contains(t, r.Log, contains)
}

// askmesh end to end on the full app: the contract asks x/inference with the
// asker's funds through CosmosMsg::Any (requester = the contract, max_fee =
// the coin sent), its reply stores the job as pending, two workers settle
// the job, the job-end sudo callback stores the answer and the contract
// forwards the refund to the asker; bad messages change nothing; an ICS-20
// transfer without a channel fails cleanly; IBC source callbacks are
// recorded.
func TestAskmeshEndToEnd(t *testing.T) {
	const selfBond = 10_000_000
	balance := askmeshBalance
	f := testutil.SetupWithGenesis(t, 6, balance, askmeshGenesis)
	asker, creator := f.Accounts[0], f.Accounts[1]
	provs, workers := f.Accounts[2:4], f.Accounts[4:6]
	bank := f.App.BankKeeper
	umesh := func(a sdk.AccAddress) sdkmath.Int { return bank.GetBalance(f.Ctx(), a, "umesh").Amount }

	// Two providers, a worker each serving m1.
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
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))

	// Store and instantiate the committed contract.
	code, err := os.ReadFile(askmeshWasm)
	require.NoError(t, err)
	res := f.NextBlock(t, f.SignTx(t, creator, 0, &wasmtypes.MsgStoreCode{Sender: creator.Address.String(), WASMByteCode: code}))
	testutil.RequireTxsOK(t, res)
	var stored wasmtypes.MsgStoreCodeResponse
	decodeMsgResponse(t, f, res.TxResults[0].Data, &stored)
	res = f.NextBlock(t, f.SignTx(t, creator, 1, &wasmtypes.MsgInstantiateContract{
		Sender: creator.Address.String(), Admin: creator.Address.String(), CodeID: stored.CodeID, Label: "askmesh", Msg: []byte(`{}`),
	}))
	testutil.RequireTxsOK(t, res)
	var inst wasmtypes.MsgInstantiateContractResponse
	decodeMsgResponse(t, f, res.TxResults[0].Data, &inst)
	contract := sdk.MustAccAddressFromBech32(inst.Address)
	var cfg struct {
		Owner   string `json:"owner"`
		Answers int    `json:"answers"`
	}
	querySmart(t, f.Ctx(), f, contract, `{"config":{}}`, &cfg)
	require.Equal(t, creator.Address.String(), cfg.Owner)

	execute := func(acc testutil.Account, seq uint64, msg string, funds sdk.Coins) *abci.ExecTxResult {
		res := f.NextBlock(t, f.SignTx(t, acc, seq, &wasmtypes.MsgExecuteContract{
			Sender: acc.Address.String(), Contract: contract.String(), Msg: []byte(msg), Funds: funds,
		}))
		return res.TxResults[0]
	}
	seq := uint64(0)
	fee := sdk.NewCoins(sdk.NewInt64Coin("umesh", 3000))
	ask := `{"ask":{"model":"m1","question":"is this proposal risky?","redundancy":2}}`

	// Malformed messages change nothing: wasmd itself refuses a payload
	// that is not JSON; the contract refuses the rest.
	r := execute(asker, seq, `{"ask":`, fee) // refused before the ante handler: no sequence used
	require.Equal(t, wasmtypes.DefaultCodespace, r.Codespace, r.Log)
	require.Equal(t, wasmtypes.ErrInvalid.ABCICode(), r.Code, r.Log)
	require.Contains(t, r.Log, "payload msg: invalid")
	for _, bad := range []struct{ msg, err string }{
		{`{"ask":{"model":"m1","question":"q","temperature":1}}`, "unknown field `temperature`"},
		{`{"ask":{"model":"m1"}}`, "missing field `question`"},
		{`{"launch":{}}`, "unknown execute message `launch`"},
	} {
		r := execute(asker, seq, bad.msg, fee)
		seq++
		requireWasmError(t, r, bad.err)
	}
	r = execute(asker, seq, ask, nil)
	seq++
	requireWasmError(t, r, "send exactly one coin")
	r = execute(asker, seq, ask, sdk.NewCoins(sdk.NewInt64Coin("umesh", 3000), sdk.NewInt64Coin(otherDenom, 1)))
	seq++
	requireWasmError(t, r, "send exactly one coin")
	require.Equal(t, balance.String(), umesh(asker.Address).String())
	querySmart(t, f.Ctx(), f, contract, `{"config":{}}`, &cfg)
	require.Zero(t, cfg.Answers)
	var none []askmeshAnswer
	querySmart(t, f.Ctx(), f, contract, `{"answers":{}}`, &none)
	require.Empty(t, none)

	// The ask: a job whose requester is the contract, max_fee the coin sent.
	r = execute(asker, seq, ask, fee)
	seq++
	require.Zero(t, r.Code, r.Log)
	var exec wasmtypes.MsgExecuteContractResponse
	decodeMsgResponse(t, f, r.Data, &exec)
	require.JSONEq(t, `{"job_id":"1"}`, string(exec.Data), "the reply's data is the execute's")
	job, err := f.App.InferenceKeeper.GetJob(f.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, contract.String(), job.Requester)
	require.Equal(t, fee[0], job.MaxFee)
	require.Equal(t, "m1", job.ModelId)
	require.Equal(t, []byte("is this proposal risky?"), job.Input)
	require.EqualValues(t, 2, job.Redundancy)
	require.Equal(t, "sudo", job.Callback)
	require.Equal(t, balance.Sub(fee[0].Amount).String(), umesh(asker.Address).String())
	require.True(t, umesh(contract).IsZero(), "the funds went from the contract into x/inference's escrow")

	var ans askmeshAnswer
	querySmart(t, f.Ctx(), f, contract, `{"answer":{"job_id":"1"}}`, &ans)
	price := sdk.NewInt64Coin("umesh", 1000)
	require.Equal(t, askmeshAnswer{JobID: "1", Asker: asker.Address.String(), Model: "m1", Question: "is this proposal risky?",
		Status: "pending", MaxFee: &fee[0], PricePerWorker: &price, Redundancy: 2}, ans)

	// The workers settle the job; x/inference's EndBlocker calls the
	// contract's sudo, which stores the answer and forwards the 1000umesh
	// refund to the asker.
	f.NextBlock(t) // its BeginBlocker assigns the job
	job, err = f.App.InferenceKeeper.GetJob(f.Ctx(), 1)
	require.NoError(t, err)
	require.Len(t, job.Assignments, 2)
	res = answerJob(t, f, job, workers, "low", fromSequence(t, f, 1))
	// x/inference's EndBlocker called the contract back and said so.
	var called *inferencetypes.EventContractCallback
	for _, ev := range res.Events {
		if ev.Type == "mesh.inference.v1.EventContractCallback" {
			called = testutil.TypedEvent(t, ev).(*inferencetypes.EventContractCallback)
		}
	}
	require.NotNil(t, called, "no EventContractCallback in the settling block")
	require.True(t, called.Success, called.Error)
	require.Equal(t, contract.String(), called.Contract)
	require.EqualValues(t, 1, called.JobId)
	require.Less(t, called.GasUsed, uint64(500_000), "within the contract's default callback_gas_limit")
	t.Logf("askmesh sudo callback (FINALIZED, with its refund send): %d gas", called.GasUsed)
	job, err = f.App.InferenceKeeper.GetJob(f.Ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, sdk.NewInt64Coin("umesh", 2000), job.Fee)
	require.Equal(t, sdk.NewInt64Coin("umesh", 1000), job.Refunded)

	querySmart(t, f.Ctx(), f, contract, `{"answer":{"job_id":"1"}}`, &ans)
	out := base64.StdEncoding.EncodeToString([]byte("low"))
	require.Equal(t, "FINALIZED", ans.Status)
	require.Equal(t, &out, ans.Output)
	require.Equal(t, hex.EncodeToString(inferencetypes.Digest([]byte("low"))), ans.OutputDigest)
	require.Equal(t, &job.Fee, ans.FeeSpent)
	require.Equal(t, &job.Refunded, ans.Refunded)
	require.Equal(t, balance.SubRaw(2000).String(), umesh(asker.Address).String(), "the asker paid the fee and got the refund back")
	require.True(t, umesh(contract).IsZero(), "the contract kept nothing")
	var list []askmeshAnswer
	querySmart(t, f.Ctx(), f, contract, `{"answers":{}}`, &list)
	require.Equal(t, []askmeshAnswer{ans}, list)
	querySmart(t, f.Ctx(), f, contract, `{"answers":{"start_after":"1"}}`, &list)
	require.Empty(t, list)

	// callback_gas_limit (MsgRequestInference field 12) is encoded only
	// when given; the request goes through either way.
	r = execute(asker, seq, `{"ask":{"model":"m1","question":"second","redundancy":2,"callback_gas_limit":200000}}`, fee)
	seq++
	require.Zero(t, r.Code, r.Log)
	querySmart(t, f.Ctx(), f, contract, `{"answer":{"job_id":"2"}}`, &ans)
	require.Equal(t, "pending", ans.Status)

	// Sudo straight through the wasm keeper (a cache context, thrown away):
	// an unknown job and a second result are errors; a FAILED result with a
	// full refund forwards it.
	ctx, _ := f.Ctx().CacheContext()
	_, err = f.App.WasmKeeper.Sudo(ctx, contract, []byte(`{"inference_result":{"job_id":"99","status":"FINALIZED"}}`))
	require.ErrorContains(t, err, "unknown job id 99")
	_, err = f.App.WasmKeeper.Sudo(ctx, contract, inferenceResult(t, job))
	require.ErrorContains(t, err, "already has a result")
	_, err = f.App.WasmKeeper.Sudo(ctx, contract, []byte(`{"inference_result":{"job_id":"2","status":"DONE"}}`))
	require.ErrorContains(t, err, "unknown job status")
	_, err = f.App.WasmKeeper.Sudo(ctx, contract, []byte(`{"inference_result":`))
	require.ErrorContains(t, err, "invalid JSON")
	// The contract holds job 2's escrowed fee in this made-up settlement.
	require.NoError(t, bank.SendCoins(ctx, asker.Address, contract, fee))
	before := bank.GetBalance(ctx, asker.Address, "umesh").Amount
	_, err = f.App.WasmKeeper.Sudo(ctx, contract, []byte(`{"inference_result":{"job_id":"2","status":"FAILED","output":null,"output_digest":"","model":"m1","fee_spent":{"denom":"","amount":"0"},"refunded":{"denom":"umesh","amount":"3000"}}}`))
	require.NoError(t, err)
	require.Equal(t, before.AddRaw(3000).String(), bank.GetBalance(ctx, asker.Address, "umesh").Amount.String())
	bz, err := f.App.WasmKeeper.QuerySmart(ctx, contract, []byte(`{"answer":{"job_id":"2"}}`))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(bz, &ans))
	require.Equal(t, "FAILED", ans.Status)
	require.Nil(t, ans.Output)
	require.Nil(t, ans.FeeSpent)

	// ICS-20 transfer: the Fixture has no channel, so the transfer fails
	// with IBC's not-found and nothing is recorded (tests/ibc has channels).
	r = execute(asker, seq, `{"transfer":{"channel":"channel-0","to_address":"cosmos1remote","memo":"{\"src_callback\":{\"address\":\"`+contract.String()+`\"}}","timeout_seconds":600}}`,
		sdk.NewCoins(sdk.NewInt64Coin("umesh", 100)))
	seq++
	require.NotZero(t, r.Code)
	// ibc-go v11 falls back to IBC v2 (a client of that id) for an unknown
	// channel: "send packet failed for source id: channel-0: counterparty
	// not found".
	require.Contains(t, r.Log, "channel-0", r.Log)
	require.Contains(t, r.Log, "not found", r.Log)
	var transfers []json.RawMessage
	querySmart(t, f.Ctx(), f, contract, `{"transfers":{}}`, &transfers)
	require.Empty(t, transfers)
	r = execute(asker, seq, `{"transfer":{"channel":"channel-0","to_address":"x","timeout_seconds":0}}`, sdk.NewCoins(sdk.NewInt64Coin("umesh", 100)))
	requireWasmError(t, r, "timeout_seconds")

	// IBC source callbacks, as the callbacks middleware delivers them.
	ctx, _ = f.Ctx().CacheContext()
	packet := wasmvmtypes.IBCPacket{Data: []byte(`{}`), Src: wasmvmtypes.IBCEndpoint{PortID: "transfer", ChannelID: "channel-0"},
		Dest: wasmvmtypes.IBCEndpoint{PortID: "transfer", ChannelID: "channel-7"}, Sequence: 5,
		Timeout: wasmvmtypes.IBCTimeout{Timestamp: 1}}
	require.NoError(t, f.App.WasmKeeper.IBCSourceCallback(ctx, contract, wasmvmtypes.IBCSourceCallbackMsg{
		Acknowledgement: &wasmvmtypes.IBCAckCallbackMsg{Acknowledgement: wasmvmtypes.IBCAcknowledgement{Data: []byte(`{"result":"AQ=="}`)},
			OriginalPacket: packet, Relayer: creator.Address.String()},
	}))
	packet.Sequence = 6
	require.NoError(t, f.App.WasmKeeper.IBCSourceCallback(ctx, contract, wasmvmtypes.IBCSourceCallbackMsg{
		Timeout: &wasmvmtypes.IBCTimeoutCallbackMsg{Packet: packet, Relayer: creator.Address.String()},
	}))
	bz, err = f.App.WasmKeeper.QuerySmart(ctx, contract, []byte(`{"ibc_callbacks":{}}`))
	require.NoError(t, err)
	ackData := base64.StdEncoding.EncodeToString([]byte(`{"result":"AQ=="}`))
	relayer := creator.Address.String()
	require.JSONEq(t, `[
		{"index":0,"channel":"channel-0","sequence":5,"kind":"ack","ack_data":"`+ackData+`","success":true,"relayer":"`+relayer+`"},
		{"index":1,"channel":"channel-0","sequence":6,"kind":"timeout","ack_data":null,"success":false,"relayer":"`+relayer+`"}]`, string(bz))
}

// decodeMsgResponse decodes the first Msg response of a tx result's data.
func decodeMsgResponse(t *testing.T, f *testutil.Fixture, data []byte, out interface{ Unmarshal([]byte) error }) {
	t.Helper()
	var msgData sdk.TxMsgData
	require.NoError(t, f.App.AppCodec().Unmarshal(data, &msgData))
	require.Len(t, msgData.MsgResponses, 1)
	require.NoError(t, out.Unmarshal(msgData.MsgResponses[0].Value))
}

// askmeshChain is the app of the callback-path test: two providers with a
// worker each serving m1 and the committed askmesh stored and instantiated
// by creator, its admin. seq holds each account's next sequence.
type askmeshChain struct {
	f              *testutil.Fixture
	asker, creator testutil.Account
	workers        []testutil.Account
	contract       sdk.AccAddress
	seq            map[string]uint64
}

func newAskmeshChain(t *testing.T) *askmeshChain {
	f := testutil.SetupWithGenesis(t, 6, askmeshBalance, askmeshGenesis)
	c := &askmeshChain{f: f, asker: f.Accounts[0], creator: f.Accounts[1], workers: f.Accounts[4:6], seq: map[string]uint64{}}
	provs := f.Accounts[2:4]
	var txs [][]byte
	for i, p := range provs {
		txs = append(txs, c.sign(t, p,
			&pooltypes.MsgCreatePool{Provider: p.Address.String(), SelfBond: sdk.NewInt64Coin("umesh", 10_000_000), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: p.Address.String(), Worker: c.workers[i].Address.String()}))
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	txs = nil
	for i, w := range c.workers {
		txs = append(txs, c.sign(t, w, &computetypes.MsgRegisterWorker{
			Worker: w.Address.String(), Provider: provs[i].Address.String(),
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{"m1"},
		}))
	}
	testutil.RequireTxsOK(t, f.NextBlock(t, txs...))
	code, err := os.ReadFile(askmeshWasm)
	require.NoError(t, err)
	codeID := c.store(t, code)
	r := c.tx(t, c.creator, &wasmtypes.MsgInstantiateContract{
		Sender: c.creator.Address.String(), Admin: c.creator.Address.String(), CodeID: codeID, Label: "askmesh", Msg: []byte(`{}`),
	})
	require.Zero(t, r.Code, r.Log)
	var inst wasmtypes.MsgInstantiateContractResponse
	decodeMsgResponse(t, f, r.Data, &inst)
	c.contract = sdk.MustAccAddressFromBech32(inst.Address)
	return c
}

// sign signs msgs by acc at its next sequence.
func (c *askmeshChain) sign(t *testing.T, acc testutil.Account, msgs ...sdk.Msg) []byte {
	k := acc.Address.String()
	bz := c.f.SignTx(t, acc, c.seq[k], msgs...)
	c.seq[k]++
	return bz
}

// tx runs one tx of acc in its own block. Every tx here passes the ante
// handler, so a failed one uses its sequence too.
func (c *askmeshChain) tx(t *testing.T, acc testutil.Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	return c.f.NextBlock(t, c.sign(t, acc, msgs...)).TxResults[0]
}

func (c *askmeshChain) store(t *testing.T, code []byte) uint64 {
	r := c.tx(t, c.creator, &wasmtypes.MsgStoreCode{Sender: c.creator.Address.String(), WASMByteCode: code})
	require.Zero(t, r.Code, r.Log)
	var stored wasmtypes.MsgStoreCodeResponse
	decodeMsgResponse(t, c.f, r.Data, &stored)
	return stored.CodeID
}

func (c *askmeshChain) migrate(t *testing.T, codeID uint64, msg string) {
	r := c.tx(t, c.creator, &wasmtypes.MsgMigrateContract{Sender: c.creator.Address.String(), Contract: c.contract.String(), CodeID: codeID, Msg: []byte(msg)})
	require.Zero(t, r.Code, r.Log)
	require.Equal(t, codeID, c.f.App.WasmKeeper.GetContractInfo(c.f.Ctx(), c.contract).CodeID)
}

// ask executes askmesh's ask by the asker with funds.
func (c *askmeshChain) ask(t *testing.T, msg string, funds sdk.Coins) *abci.ExecTxResult {
	return c.tx(t, c.asker, &wasmtypes.MsgExecuteContract{Sender: c.asker.Address.String(), Contract: c.contract.String(), Msg: []byte(msg), Funds: funds})
}

// askJob asks and returns the new job's id.
func (c *askmeshChain) askJob(t *testing.T, msg string, funds sdk.Coins) uint64 {
	r := c.ask(t, msg, funds)
	require.Zero(t, r.Code, r.Log)
	var exec wasmtypes.MsgExecuteContractResponse
	decodeMsgResponse(t, c.f, r.Data, &exec)
	var data struct {
		JobID uint64 `json:"job_id,string"`
	}
	require.NoError(t, json.Unmarshal(exec.Data, &data))
	return data.JobID
}

// settle has both workers commit and reveal the same output for job id and
// returns the job and the EventContractCallback of its callback, which
// x/inference's EndBlocker dispatches in the block that finalizes it.
func (c *askmeshChain) settle(t *testing.T, id uint64) (inferencetypes.Job, *inferencetypes.EventContractCallback) {
	c.f.NextBlock(t) // its BeginBlocker assigns the job
	job, err := c.f.App.InferenceKeeper.GetJob(c.f.Ctx(), id)
	require.NoError(t, err)
	require.Len(t, job.Assignments, 2)
	res := answerJob(t, c.f, job, c.workers, "low", func(w testutil.Account, msg sdk.Msg) []byte { return c.sign(t, w, msg) })
	var called *inferencetypes.EventContractCallback
	for _, ev := range res.Events {
		if ev.Type == "mesh.inference.v1.EventContractCallback" {
			e := testutil.TypedEvent(t, ev).(*inferencetypes.EventContractCallback)
			if e.JobId == id {
				called = e
			}
		}
	}
	require.NotNil(t, called, "no EventContractCallback for job %d in the settling block", id)
	job, err = c.f.App.InferenceKeeper.GetJob(c.f.Ctx(), id)
	require.NoError(t, err)
	return job, called
}

func (c *askmeshChain) umesh(a sdk.AccAddress) sdkmath.Int {
	return c.f.App.BankKeeper.GetBalance(c.f.Ctx(), a, "umesh").Amount
}

// answer reads job id's record from the contract's raw storage (the
// contract may have been migrated to code without a query entry point).
func (c *askmeshChain) answer(t *testing.T, id uint64) askmeshAnswer {
	bz := c.f.App.WasmKeeper.QueryRaw(c.f.Ctx(), c.contract, []byte(fmt.Sprintf("answer/%020d", id)))
	require.NotNil(t, bz, "no record of job %d", id)
	var ans askmeshAnswer
	require.NoError(t, json.Unmarshal(bz, &ans), string(bz))
	return ans
}

// settlement is what x/inference decided for a job: fee, refund and each
// worker's pay (sorted, since the assignment order is the draw's).
func settlement(job inferencetypes.Job) []string {
	out := []string{job.Status.String(), "fee " + job.Fee.String(), "refunded " + job.Refunded.String()}
	var paid []string
	for _, a := range job.Assignments {
		paid = append(paid, "paid "+a.Paid.String())
	}
	sort.Strings(paid)
	return append(out, paid...)
}

// askmesh's callback paths on the full app with the real contract (issue
// 15). The price check refuses before anything is sent; then five jobs of
// the same terms settle through the same two workers while the callback
// meets: the contract as stored (the reference), a callback_gas_limit below
// what sudo needs, a sudo that errors on its own state, the contract
// migrated to a second code of the same wasm, and the contract migrated to
// code without a sudo export. x/inference's settlement and payouts are the
// same in all five, and EventContractCallback says what happened to the
// callback. A query off the accept list is not reached from here: askmesh
// only makes the accepted Model and Params queries (its handling of a
// refused one is in contracts/askmesh/tests/codec.rs; the refusal itself in
// app/wasm_bindings_test.go with wasmd's reflect contract).
func TestAskmeshCallbackPaths(t *testing.T) {
	c := newAskmeshChain(t)
	ctx := c.f.Ctx
	fee := sdk.NewCoins(sdk.NewInt64Coin("umesh", 3000))
	ask := `{"ask":{"model":"m1","question":"q","redundancy":2}}`
	price := sdk.NewInt64Coin("umesh", 1000)

	// The price query, from the same chain queries ask makes: the model's
	// price and, without a redundancy, x/inference's default_redundancy (3).
	for q, want := range map[string]string{
		`{"price":{"model":"m1","denom":"umesh"}}`:                `{"model":"m1","denom":"umesh","price_per_worker":"1000","redundancy":3,"total":"3000"}`,
		`{"price":{"model":"m1","denom":"umesh","redundancy":2}}`: `{"model":"m1","denom":"umesh","price_per_worker":"1000","redundancy":2,"total":"2000"}`,
		`{"price":{"model":"m1","denom":"umesh","redundancy":0}}`: `{"model":"m1","denom":"umesh","price_per_worker":"1000","redundancy":3,"total":"3000"}`,
	} {
		bz, err := c.f.App.WasmKeeper.QuerySmart(ctx(), c.contract, []byte(q))
		require.NoError(t, err, q)
		require.JSONEq(t, want, string(bz), q)
	}

	// (e) The price check: each refusal is the contract's error, before any
	// message is sent; no job, no escrow, no record.
	nextJob, err := c.f.App.InferenceKeeper.NextJobID.Peek(ctx())
	require.NoError(t, err)
	refusals := []struct {
		msg   string
		funds sdk.Coins
		err   string
		price string // the price query of the same terms, refused alike ("" if it answers)
	}{
		{ask, sdk.NewCoins(sdk.NewInt64Coin(otherDenom, 500)), "model `m1` has no price in uother (its prices: 1000umesh)", `{"price":{"model":"m1","denom":"uother"}}`},
		{ask, sdk.NewCoins(sdk.NewInt64Coin("umesh", 1999)), "1999umesh does not cover the price of model `m1`: 1000umesh per worker × 2 workers = 2000umesh", ""},
		{`{"ask":{"model":"m1","question":"q"}}`, sdk.NewCoins(sdk.NewInt64Coin("umesh", 2999)), "1000umesh per worker × 3 workers = 3000umesh", ""},
		{`{"ask":{"model":"m2","question":"q","redundancy":2}}`, fee, "model `m2` is not active (MODEL_STATUS_CANDIDATE): it accepts no requests", `{"price":{"model":"m2","denom":"umesh"}}`},
		// An unknown model: x/inference's Model query fails with a gRPC
		// NotFound, which wasmd hands the contract redacted.
		{`{"ask":{"model":"m9","question":"q","redundancy":2}}`, fee, "model `m9`: query failed: codespace: undefined, code: 1", `{"price":{"model":"m9","denom":"umesh"}}`},
	}
	for _, bad := range refusals {
		requireWasmError(t, c.ask(t, bad.msg, bad.funds), bad.err)
		if bad.price != "" {
			_, err := c.f.App.WasmKeeper.QuerySmart(ctx(), c.contract, []byte(bad.price))
			require.ErrorContains(t, err, bad.err, bad.price)
		}
	}
	next, err := c.f.App.InferenceKeeper.NextJobID.Peek(ctx())
	require.NoError(t, err)
	require.Equal(t, nextJob, next, "no job was created")
	require.Equal(t, askmeshBalance.String(), c.umesh(c.asker.Address).String())
	require.Equal(t, int64(1_000), c.f.App.BankKeeper.GetBalance(ctx(), c.asker.Address, otherDenom).Amount.Int64())
	require.True(t, c.umesh(c.contract).IsZero())
	var cfg struct {
		Answers int `json:"answers"`
	}
	querySmart(t, ctx(), c.f, c.contract, `{"config":{}}`, &cfg)
	require.Zero(t, cfg.Answers)

	// The exact price (2 × 1000) is enough, and the price is recorded.
	exact := sdk.NewCoins(sdk.NewInt64Coin("umesh", 2000))
	id := c.askJob(t, ask, exact)
	ans := c.answer(t, id)
	require.Equal(t, "pending", ans.Status)
	require.Equal(t, &price, ans.PricePerWorker)
	require.EqualValues(t, 2, ans.Redundancy)
	require.Equal(t, &exact[0], ans.MaxFee, "max_fee is the funds, all escrowed")
	job, err := c.f.App.InferenceKeeper.GetJob(ctx(), id)
	require.NoError(t, err)
	require.Equal(t, exact[0], job.MaxFee)
	require.EqualValues(t, 2, job.Redundancy)
	require.True(t, c.umesh(c.contract).IsZero())
	_, ev := c.settle(t, id)
	require.True(t, ev.Success, ev.Error)

	// The reference: 3000umesh for 2000umesh of work, the callback stores
	// the answer and forwards the 1000umesh refund.
	asked := c.umesh(c.asker.Address)
	id = c.askJob(t, ask, fee)
	job, ev = c.settle(t, id)
	require.True(t, ev.Success, ev.Error)
	reference := settlement(job)
	require.Equal(t, []string{"JOB_STATUS_FINALIZED", "fee 2000umesh", "refunded 1000umesh"}, reference[:3])
	require.Equal(t, "FINALIZED", c.answer(t, id).Status)
	require.Equal(t, asked.SubRaw(2000).String(), c.umesh(c.asker.Address).String())
	t.Logf("reference callback: %d gas; settlement %v", ev.GasUsed, reference)

	// stranded is what failed callbacks leave in the contract: x/inference
	// paid the refund to the requester, and nobody forwarded it.
	stranded := sdkmath.ZeroInt()
	failed := func(id uint64, ev *inferencetypes.EventContractCallback, job inferencetypes.Job, asked sdkmath.Int, errText string) {
		t.Helper()
		require.False(t, ev.Success, "job %d", id)
		require.Contains(t, ev.Error, errText)
		require.Equal(t, c.contract.String(), ev.Contract)
		require.Equal(t, "JOB_STATUS_FINALIZED", ev.Status)
		require.Equal(t, reference, settlement(job), "the settlement is the reference's")
		stranded = stranded.AddRaw(1000)
		require.Equal(t, stranded.String(), c.umesh(c.contract).String(), "the refund stays with the contract")
		require.Equal(t, asked.SubRaw(3000).String(), c.umesh(c.asker.Address).String(), "nothing forwarded to the asker")
		t.Logf("job %d: callback failed after %d gas: %s", id, ev.GasUsed, ev.Error)
	}

	// (b) callback_gas_limit 1000, far below sudo's cost (the VM's setup
	// alone costs more): out of gas, the answer stays pending.
	asked = c.umesh(c.asker.Address)
	id = c.askJob(t, `{"ask":{"model":"m1","question":"q","redundancy":2,"callback_gas_limit":1000}}`, fee)
	job, ev = c.settle(t, id)
	failed(id, ev, job, asked, "out of gas")
	require.EqualValues(t, 1000, ev.GasUsed)
	require.Equal(t, "pending", c.answer(t, id).Status)

	// (c) The contract's sudo errors: the job's record is made to look
	// answered already (written into the contract's storage between blocks,
	// as no x/inference path delivers a second result), and sudo refuses
	// to store a result or forward a refund twice.
	asked = c.umesh(c.asker.Address)
	id = c.askJob(t, ask, fee)
	key := []byte(fmt.Sprintf("answer/%020d", id))
	rec := c.f.App.WasmKeeper.QueryRaw(ctx(), c.contract, key)
	corrupt := bytes.Replace(rec, []byte(`"status":"pending"`), []byte(`"status":"EXPIRED"`), 1)
	require.NotEqual(t, rec, corrupt)
	// The committed store itself (f.Ctx reads through the check state's
	// cache, which may hold the old record until the next commit).
	store := c.f.App.CommitMultiStore().GetKVStore(c.f.App.GetKey(wasmtypes.StoreKey))
	store.Set(append(wasmtypes.GetContractStorePrefix(c.contract), key...), corrupt)
	job, ev = c.settle(t, id)
	failed(id, ev, job, asked, fmt.Sprintf("job %d already has a result", id))
	require.Equal(t, "EXPIRED", c.answer(t, id).Status, "the failed sudo wrote nothing")

	// (a) Migrated to a second code of the same wasm between the ask and
	// the job's end: the callback reaches the code the contract has now.
	code, err := os.ReadFile(askmeshWasm)
	require.NoError(t, err)
	second := c.store(t, code)
	asked = c.umesh(c.asker.Address)
	id = c.askJob(t, ask, fee)
	c.migrate(t, second, `{}`)
	job, ev = c.settle(t, id)
	require.True(t, ev.Success, ev.Error)
	require.Equal(t, reference, settlement(job))
	require.Equal(t, "FINALIZED", c.answer(t, id).Status)
	require.Equal(t, asked.SubRaw(2000).String(), c.umesh(c.asker.Address).String(), "refund forwarded by the new code")
	require.Equal(t, stranded.String(), c.umesh(c.contract).String())

	// (a) Migrated to wasmd's burner, which exports no sudo: the callback
	// fails, the settlement is the reference's, the record stays pending.
	// burner's migrate pays the contract's balance out (to the creator), so
	// what was stranded leaves first.
	burner, err := os.ReadFile(testutil.WasmdTestdata(t, "burner.wasm"))
	require.NoError(t, err)
	burnerCode := c.store(t, burner)
	asked = c.umesh(c.asker.Address)
	id = c.askJob(t, ask, fee)
	created := c.umesh(c.creator.Address)
	c.migrate(t, burnerCode, `{"payout":"`+c.creator.Address.String()+`","delete":0}`)
	require.Equal(t, created.Add(stranded).String(), c.umesh(c.creator.Address).String())
	stranded = sdkmath.ZeroInt()
	job, ev = c.settle(t, id)
	failed(id, ev, job, asked, "Missing export sudo")
	require.Equal(t, "pending", c.answer(t, id).Status)
}
