package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	wasmvmtypes "github.com/CosmWasm/wasmvm/v3/types"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	wasmtestdata "github.com/CosmWasm/wasmd/x/wasm/keeper/testdata"
	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/app"
	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

const (
	// bindingsModel is the model the contract requests; bindingsExtraModels
	// more make a list worth paginating.
	bindingsModel       = "m1"
	bindingsExtraModels = 30
	bindingsPrice       = 1000
)

// bindingsEnv is an app with wasmd's reflect contract (owned by owner and
// funded), one provider with one worker serving bindingsModel, a DAO
// proposal by locker, and a delegation by the contract into the pool.
type bindingsEnv struct {
	t        *testing.T
	f        *testutil.Fixture
	cdc      codec.Codec
	seqs     map[string]uint64
	owner    testutil.Account
	provider testutil.Account
	worker   testutil.Account
	locker   testutil.Account
	contract sdk.AccAddress
}

// bindingsGenesis registers bindingsModel and the extra models, and makes
// x/dao's locks and deposits small.
func bindingsGenesis(cdc codec.Codec, gen map[string]json.RawMessage) {
	var ig inferencetypes.GenesisState
	cdc.MustUnmarshalJSON(gen[inferencetypes.ModuleName], &ig)
	model := func(id string) inferencetypes.Model {
		return inferencetypes.Model{
			Id: id, Name: "test model " + id, Version: "1",
			WeightsDigest: strings.Repeat("ab", 32), WeightsUri: "meshd:test", Runtime: "int8-embedded", Deterministic: true,
			Prices: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, bindingsPrice)), Status: inferencetypes.MODEL_STATUS_ACTIVE,
		}
	}
	ig.Models = append(ig.Models, model(bindingsModel))
	for i := range bindingsExtraModels {
		ig.Models = append(ig.Models, model(fmt.Sprintf("x%02d", i)))
	}
	gen[inferencetypes.ModuleName] = cdc.MustMarshalJSON(&ig)

	var dg daotypes.GenesisState
	cdc.MustUnmarshalJSON(gen[daotypes.ModuleName], &dg)
	dg.Params.MinLockDuration, dg.Params.MaxLockDuration = 10*time.Second, 1000*time.Second
	dg.Params.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1000))
	gen[daotypes.ModuleName] = cdc.MustMarshalJSON(&dg)
}

func setupBindings(t *testing.T) *bindingsEnv {
	t.Helper()
	f := testutil.SetupWithGenesis(t, 5, sdkmath.NewInt(1_000_000_000_000), bindingsGenesis)
	e := &bindingsEnv{t: t, f: f, cdc: f.App.AppCodec(), seqs: map[string]uint64{},
		owner: f.Accounts[0], provider: f.Accounts[1], worker: f.Accounts[2], locker: f.Accounts[3]}
	prov, worker, locker := e.provider.Address.String(), e.worker.Address.String(), e.locker.Address.String()

	res := f.NextBlock(t,
		e.sign(e.owner, &wasmtypes.MsgStoreCode{Sender: e.owner.Address.String(), WASMByteCode: wasmtestdata.ReflectContractWasm()}),
		e.sign(e.provider,
			&pooltypes.MsgCreatePool{Provider: prov, SelfBond: sdk.NewInt64Coin(app.BondDenom, 1_000_000_000), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
			&computetypes.MsgAuthorizeWorker{Provider: prov, Worker: worker}),
		e.sign(e.locker, &daotypes.MsgLock{Owner: locker, Amount: sdk.NewInt64Coin(app.BondDenom, 4_000_000), Duration: 1000 * time.Second}))
	testutil.RequireTxsOK(t, res)
	var stored wasmtypes.MsgStoreCodeResponse
	msgResponse(t, f, res.TxResults[0].Data, &stored)

	res = f.NextBlock(t,
		e.sign(e.owner, &wasmtypes.MsgInstantiateContract{
			Sender: e.owner.Address.String(), Admin: e.owner.Address.String(), CodeID: stored.CodeID,
			Label: "reflect", Msg: []byte(`{}`), Funds: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 100_000_000)),
		}),
		e.sign(e.worker, &computetypes.MsgRegisterWorker{
			Worker: worker, Provider: prov,
			Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{bindingsModel},
		}))
	testutil.RequireTxsOK(t, res)
	var inst wasmtypes.MsgInstantiateContractResponse
	msgResponse(t, f, res.TxResults[0].Data, &inst)
	e.contract = sdk.MustAccAddressFromBech32(inst.Address)

	// The contract delegates into the pool and locks MESH (allowed
	// messages), so that Delegation and Power have something to show; then
	// a proposal, whose snapshot holds the contract's lock.
	res = f.NextBlock(t, e.reflect(
		e.anyMsg(&pooltypes.MsgDelegate{Delegator: e.contract.String(), Provider: prov, Amount: sdk.NewInt64Coin(app.BondDenom, 5_000_000)}),
		e.anyMsg(&daotypes.MsgLock{Owner: e.contract.String(), Amount: sdk.NewInt64Coin(app.BondDenom, 1_000_000), Duration: 1000 * time.Second}),
	))
	testutil.RequireTxsOK(t, res)
	pay, err := codectypes.NewAnyWithValue(&banktypes.MsgSend{FromAddress: authtypes.NewModuleAddress(daotypes.ModuleName).String(),
		ToAddress: locker, Amount: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))})
	require.NoError(t, err)
	testutil.RequireTxsOK(t, f.NextBlock(t, e.sign(e.locker, &daotypes.MsgSubmitProposal{Proposer: locker, Title: "Hello", Summary: "Pay the locker.",
		Messages: []*codectypes.Any{pay}, Deposit: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1000))})))
	return e
}

// sign signs msgs from acc with its next sequence.
func (e *bindingsEnv) sign(acc testutil.Account, msgs ...sdk.Msg) []byte {
	e.t.Helper()
	addr := acc.Address.String()
	bz := e.f.SignTx(e.t, acc, e.seqs[addr], msgs...)
	e.seqs[addr]++
	return bz
}

// reflect is the owner's tx making the contract send msgs.
func (e *bindingsEnv) reflect(msgs ...wasmvmtypes.CosmosMsg) []byte {
	e.t.Helper()
	bz, err := json.Marshal(wasmtestdata.ReflectHandleMsg{Reflect: &wasmtestdata.ReflectPayload{Msgs: msgs}})
	require.NoError(e.t, err)
	return e.sign(e.owner, &wasmtypes.MsgExecuteContract{Sender: e.owner.Address.String(), Contract: e.contract.String(), Msg: bz})
}

// anyMsg is msg as a CosmosMsg::Any.
func (e *bindingsEnv) anyMsg(msg sdk.Msg) wasmvmtypes.CosmosMsg {
	e.t.Helper()
	bz, err := e.cdc.Marshal(msg)
	require.NoError(e.t, err)
	return wasmvmtypes.CosmosMsg{Any: &wasmvmtypes.AnyMsg{TypeURL: sdk.MsgTypeURL(msg), Value: bz}}
}

// chainQuery makes the contract run req against the chain and returns its answer.
func (e *bindingsEnv) chainQuery(ctx sdk.Context, req wasmvmtypes.QueryRequest) ([]byte, error) {
	e.t.Helper()
	bz, err := json.Marshal(wasmtestdata.ReflectQueryMsg{Chain: &wasmtestdata.ChainQuery{Request: &req}})
	require.NoError(e.t, err)
	out, err := e.f.App.WasmKeeper.QuerySmart(ctx, e.contract, bz)
	if err != nil {
		return nil, err
	}
	var res wasmtestdata.ChainResponse
	require.NoError(e.t, json.Unmarshal(out, &res))
	return res.Data, nil
}

// direct runs a query through the app's gRPC router, as a client would.
func (e *bindingsEnv) direct(ctx sdk.Context, path string, data []byte) []byte {
	e.t.Helper()
	route := e.f.App.GRPCQueryRouter().Route(path)
	require.NotNil(e.t, route, path)
	res, err := route(ctx, &abci.RequestQuery{Path: path, Data: data})
	require.NoError(e.t, err, path)
	return res.Value
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	bz, err := proto.Marshal(m)
	require.NoError(t, err)
	return bz
}

// Every accepted query, through the contract as QueryRequest::Grpc and
// ::Stargate, returns what the module's gRPC returns: the same protobuf
// bytes, and their JSON. Each response is about real state (the request
// of a test must not come back empty or NotFound).
func TestWasmBindingsQueriesMatchGRPC(t *testing.T) {
	e := setupBindings(t)
	// A job requested by someone, to read back.
	res := e.f.NextBlock(t, e.sign(e.locker, &inferencetypes.MsgRequestInference{
		Requester: e.locker.Address.String(), ModelId: bindingsModel, Input: []byte("2+2"),
		MaxFee: sdk.NewInt64Coin(app.BondDenom, bindingsPrice), Redundancy: 1,
	}))
	testutil.RequireTxsOK(t, res)
	var req inferencetypes.MsgRequestInferenceResponse
	msgResponse(t, e.f, res.TxResults[0].Data, &req)
	e.f.NextBlock(t) // the job's workers are drawn

	prov, contract, locker := e.provider.Address.String(), e.contract.String(), e.locker.Address.String()
	cases := []struct {
		path string
		req  proto.Message
		resp proto.Message
	}{
		{"/mesh.inference.v1.Query/Params", &inferencetypes.QueryParamsRequest{}, &inferencetypes.QueryParamsResponse{}},
		{"/mesh.inference.v1.Query/Model", &inferencetypes.QueryModelRequest{Id: bindingsModel}, &inferencetypes.QueryModelResponse{}},
		{"/mesh.inference.v1.Query/Models", &inferencetypes.QueryModelsRequest{Pagination: &query.PageRequest{Limit: 5}}, &inferencetypes.QueryModelsResponse{}},
		{"/mesh.inference.v1.Query/Models", &inferencetypes.QueryModelsRequest{}, &inferencetypes.QueryModelsResponse{}},
		{"/mesh.inference.v1.Query/Job", &inferencetypes.QueryJobRequest{Id: req.JobId}, &inferencetypes.QueryJobResponse{}},
		{"/mesh.pool.v1.Query/Pool", &pooltypes.QueryPoolRequest{Provider: prov}, &pooltypes.QueryPoolResponse{}},
		{"/mesh.pool.v1.Query/Delegation", &pooltypes.QueryDelegationRequest{Provider: prov, Delegator: contract}, &pooltypes.QueryDelegationResponse{}},
		{"/mesh.dao.v1.Query/Proposal", &daotypes.QueryProposalRequest{ProposalId: 1}, &daotypes.QueryProposalResponse{}},
		{"/mesh.dao.v1.Query/Power", &daotypes.QueryPowerRequest{Account: locker}, &daotypes.QueryPowerResponse{}},
		{"/mesh.dao.v1.Query/Power", &daotypes.QueryPowerRequest{Account: locker, ProposalId: 1}, &daotypes.QueryPowerResponse{}},
		{"/mesh.rewards.v1.Query/Pending", &rewardstypes.QueryPendingRequest{Account: prov}, &rewardstypes.QueryPendingResponse{}},
		{"/cosmos.bank.v1beta1.Query/Balance", &banktypes.QueryBalanceRequest{Address: contract, Denom: app.BondDenom}, &banktypes.QueryBalanceResponse{}},
	}
	covered := map[string]bool{}
	ctx := e.f.Ctx()
	for _, c := range cases {
		covered[c.path] = true
		data := mustMarshal(t, c.req)
		want := e.direct(ctx, c.path, data)
		require.NotEmpty(t, want, c.path)

		got, err := e.chainQuery(ctx, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: c.path, Data: data}})
		require.NoError(t, err, c.path)
		require.Equal(t, want, got, "%s: grpc bytes", c.path)

		gotJSON, err := e.chainQuery(ctx, wasmvmtypes.QueryRequest{Stargate: &wasmvmtypes.StargateQuery{Path: c.path, Data: data}})
		require.NoError(t, err, c.path)
		require.NoError(t, e.cdc.Unmarshal(want, c.resp))
		wantJSON, err := e.cdc.MarshalJSON(c.resp)
		require.NoError(t, err)
		require.JSONEq(t, string(wantJSON), string(gotJSON), "%s: stargate json", c.path)

		// What the query costs: the contract's whole call, and the query's
		// own reads (the gRPC call on a metered context).
		metered := ctx.WithGasMeter(storetypes.NewGasMeter(50_000_000))
		_, err = e.chainQuery(metered, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: c.path, Data: data}})
		require.NoError(t, err)
		direct := ctx.WithGasMeter(storetypes.NewGasMeter(50_000_000))
		e.direct(direct, c.path, data)
		t.Logf("%-40s contract call %6d gas, gRPC reads %6d gas", c.path, metered.GasMeter().GasConsumed(), direct.GasMeter().GasConsumed())
	}
	for _, p := range app.ContractQueries() {
		require.True(t, covered[p], "accepted query %s has no case", p)
	}

	// The answers are about the state set up, not empty defaults.
	var job inferencetypes.QueryJobResponse
	require.NoError(t, e.cdc.Unmarshal(e.direct(ctx, "/mesh.inference.v1.Query/Job", mustMarshal(t, &inferencetypes.QueryJobRequest{Id: req.JobId})), &job))
	require.Equal(t, locker, job.Job.Requester)
	var del pooltypes.QueryDelegationResponse
	require.NoError(t, e.cdc.Unmarshal(e.direct(ctx, "/mesh.pool.v1.Query/Delegation", mustMarshal(t, &pooltypes.QueryDelegationRequest{Provider: prov, Delegator: contract})), &del))
	require.Equal(t, sdkmath.NewInt(5_000_000), del.Tokens)
	var power daotypes.QueryPowerResponse
	require.NoError(t, e.cdc.Unmarshal(e.direct(ctx, "/mesh.dao.v1.Query/Power", mustMarshal(t, &daotypes.QueryPowerRequest{Account: locker})), &power))
	require.True(t, power.Total.IsPositive())
	var models inferencetypes.QueryModelsResponse
	require.NoError(t, e.cdc.Unmarshal(e.direct(ctx, "/mesh.inference.v1.Query/Models", mustMarshal(t, &inferencetypes.QueryModelsRequest{})), &models))
	require.Len(t, models.Models, 1+bindingsExtraModels)
}

// A query off the accept list is refused, through Grpc and Stargate; so are
// pages of Models above the cap, with an offset or with a total count.
func TestWasmBindingsQueriesRefused(t *testing.T) {
	e := setupBindings(t)
	ctx := e.f.Ctx()
	refused := []struct {
		path string
		req  proto.Message
	}{
		// Paginated with filters scanning non-matching jobs: not accepted.
		{"/mesh.inference.v1.Query/Jobs", &inferencetypes.QueryJobsRequest{}},
		{"/mesh.compute.v1.Query/Workers", &computetypes.QueryWorkersRequest{}},
		{"/mesh.pool.v1.Query/Pools", &pooltypes.QueryPoolsRequest{}},
		{"/cosmos.bank.v1beta1.Query/AllBalances", &banktypes.QueryAllBalancesRequest{Address: e.contract.String()}},
		// Valid route, no such method.
		{"/mesh.inference.v1.Query/Nope", &inferencetypes.QueryParamsRequest{}},
	}
	for _, c := range refused {
		data := mustMarshal(t, c.req)
		_, err := e.chainQuery(ctx, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: c.path, Data: data}})
		require.ErrorContains(t, err, "is not allowed from the contract", c.path)
		t.Logf("%s: %v", c.path, err)
		_, err = e.chainQuery(ctx, wasmvmtypes.QueryRequest{Stargate: &wasmvmtypes.StargateQuery{Path: c.path, Data: data}})
		require.ErrorContains(t, err, "is not allowed from the contract", c.path)
	}

	models := "/mesh.inference.v1.Query/Models"
	pageErr := fmt.Sprintf("codespace: %s, code: %d", app.WasmBindingsCodespace, app.ErrQueryPageTooLarge.ABCICode())
	for _, p := range []*query.PageRequest{
		{Limit: app.ContractQueryPageLimit + 1},
		{Offset: 1, Limit: 1},
		{CountTotal: true, Limit: 1},
	} {
		data := mustMarshal(t, &inferencetypes.QueryModelsRequest{Pagination: p})
		_, err := e.chainQuery(ctx, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: models, Data: data}})
		require.ErrorContains(t, err, pageErr, "%v", p)
		t.Logf("Models page %v: %v", p, err)
		_, err = e.chainQuery(ctx, wasmvmtypes.QueryRequest{Stargate: &wasmvmtypes.StargateQuery{Path: models, Data: data}})
		require.ErrorContains(t, err, pageErr, "%v", p)
	}
	// The cap itself and key pagination are fine.
	next := e.direct(ctx, models, mustMarshal(t, &inferencetypes.QueryModelsRequest{Pagination: &query.PageRequest{Limit: 2}}))
	var first inferencetypes.QueryModelsResponse
	require.NoError(t, e.cdc.Unmarshal(next, &first))
	for _, p := range []*query.PageRequest{{Limit: app.ContractQueryPageLimit}, {Key: first.Pagination.NextKey, Limit: 3}} {
		data := mustMarshal(t, &inferencetypes.QueryModelsRequest{Pagination: p})
		got, err := e.chainQuery(ctx, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: models, Data: data}})
		require.NoError(t, err)
		require.Equal(t, e.direct(ctx, models, data), got)
	}
}

// queryGas is the gas a contract query of Models with the given page costs
// its caller, and the gas of the same query over gRPC.
func (e *bindingsEnv) queryGas(limit uint64) (contract, grpc storetypes.Gas) {
	e.t.Helper()
	path := "/mesh.inference.v1.Query/Models"
	data := mustMarshal(e.t, &inferencetypes.QueryModelsRequest{Pagination: &query.PageRequest{Limit: limit}})
	ctx := e.f.Ctx().WithGasMeter(storetypes.NewGasMeter(50_000_000))
	_, err := e.chainQuery(ctx, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: path, Data: data}})
	require.NoError(e.t, err)
	contract = ctx.GasMeter().GasConsumed()

	ctx = e.f.Ctx().WithGasMeter(storetypes.NewGasMeter(50_000_000))
	e.direct(ctx, path, data)
	return contract, ctx.GasMeter().GasConsumed()
}

// A contract's query is paid by the contract: the KV reads of a longer page
// of Models add to the gas of the contract's call at least what they cost
// the gRPC query itself, and with too little gas the query fails.
func TestWasmBindingsQueryGas(t *testing.T) {
	e := setupBindings(t)
	c1, g1 := e.queryGas(1)
	c30, g30 := e.queryGas(30)
	t.Logf("Models page of 1: contract call %d gas (gRPC alone %d); page of 30: %d (gRPC alone %d); %d gas per model to the contract",
		c1, g1, c30, g30, (c30-c1)/29)
	require.Greater(t, g30, g1, "the gRPC query reads more with a longer page")
	require.GreaterOrEqual(t, c30-c1, g30-g1, "the contract pays the query's KV reads")
	require.GreaterOrEqual(t, c30-c1, 29*storetypes.KVGasConfig().IterNextCostFlat)

	// Out of gas on the query: the contract's call fails.
	data := mustMarshal(t, &inferencetypes.QueryModelsRequest{Pagination: &query.PageRequest{Limit: 30}})
	ctx := e.f.Ctx().WithGasMeter(storetypes.NewGasMeter(c30 - (g30 - g1)))
	func() {
		defer func() {
			_, ok := recover().(storetypes.ErrorOutOfGas)
			require.True(t, ok, "out of gas")
		}()
		_, _ = e.chainQuery(ctx, wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: "/mesh.inference.v1.Query/Models", Data: data}})
	}()
}

// A denied message sent by a contract fails the tx with meshwasm's error:
// nothing the execute did stays (an allowed bank send before it in the same
// call is reverted too), and the denied message had no effect.
func TestWasmBindingsForbiddenMsgs(t *testing.T) {
	e := setupBindings(t)
	contract := e.contract.String()
	recipient := e.f.Accounts[4].Address
	dao := authtypes.NewModuleAddress(daotypes.ModuleName).String()
	inferenceParams, err := e.f.App.InferenceKeeper.Params.Get(e.f.Ctx())
	require.NoError(t, err)
	anyOf := func(m sdk.Msg) *codectypes.Any {
		a, err := codectypes.NewAnyWithValue(m)
		require.NoError(t, err)
		return a
	}
	register := &computetypes.MsgRegisterWorker{Worker: contract, Provider: e.provider.Address.String(),
		Spec: computetypes.HardwareSpec{GpuModel: "cpu", Int8Gops: 1, ComputeUnits: 1}, Models: []string{bindingsModel}}
	forbidden := []sdk.Msg{
		register,
		&computetypes.MsgAuthorizeWorker{Provider: contract, Worker: e.f.Accounts[4].Address.String()},
		&computetypes.MsgUpdateWorker{Worker: contract},
		&computetypes.MsgDeregisterWorker{Signer: contract, Worker: contract},
		&computetypes.MsgUnjailWorker{Signer: contract, Worker: contract},
		&computetypes.MsgCommitPoC{Worker: contract},
		&computetypes.MsgRevealPoC{Worker: contract},
		&inferencetypes.MsgCommitResult{Worker: contract, JobId: 1, Commitment: make([]byte, 32)},
		&inferencetypes.MsgRevealResult{Worker: contract, JobId: 1},
		&inferencetypes.MsgRegisterModel{Authority: contract},
		&inferencetypes.MsgUpdateModel{Authority: contract},
		&inferencetypes.MsgUpdateParams{Authority: dao, Params: inferenceParams},
		&pooltypes.MsgCreatePool{Provider: contract, SelfBond: sdk.NewInt64Coin(app.BondDenom, 1_000_000), CommissionRate: sdkmath.LegacyNewDecWithPrec(5, 2)},
		&pooltypes.MsgUnjail{Provider: contract},
		&computetypes.MsgUpdateParams{Authority: dao},
		&pooltypes.MsgUpdateParams{Authority: dao},
		&daotypes.MsgUpdateParams{Authority: dao},
		&rewardstypes.MsgUpdateParams{Authority: dao},
		&trainingtypes.MsgJoinTask{Worker: contract},
		&trainingtypes.MsgCommitUpdate{Worker: contract},
		&trainingtypes.MsgRevealUpdate{Worker: contract},
		&trainingtypes.MsgSubmitAggregate{Worker: contract},
		// Any module's MsgUpdateParams, not only meshd's.
		&banktypes.MsgUpdateParams{Authority: contract, Params: banktypes.DefaultParams()},
		&wasmtypes.MsgUpdateParams{Authority: contract, Params: wasmtypes.DefaultParams()},
		// authz lets the contract exec as its own granter without a grant.
		&authz.MsgExec{Grantee: contract, Msgs: []*codectypes.Any{anyOf(register)}},
		&authz.MsgExec{Grantee: contract, Msgs: []*codectypes.Any{anyOf(&authz.MsgExec{Grantee: contract, Msgs: []*codectypes.Any{anyOf(register)}})}},
	}
	send := e.anyMsg(&banktypes.MsgSend{FromAddress: contract, ToAddress: recipient.String(), Amount: sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 7))})
	denied := map[string]bool{}
	for _, m := range forbidden {
		denied[sdk.MsgTypeURL(m)] = true
		ctx := e.f.Ctx()
		contractBefore := e.f.App.BankKeeper.GetAllBalances(ctx, e.contract)
		recipientBefore := e.f.App.BankKeeper.GetAllBalances(ctx, recipient)

		res := e.f.NextBlock(t, e.reflect(send, e.anyMsg(m)))
		r := res.TxResults[0]
		require.Equal(t, app.WasmBindingsCodespace, r.Codespace, "%T: %s", m, r.Log)
		require.Equal(t, app.ErrMsgNotAllowedForContracts.ABCICode(), r.Code, "%T: %s", m, r.Log)
		require.Contains(t, r.Log, "message not allowed for contracts")
		if len(denied) == 1 {
			t.Logf("%s/%d: %s", r.Codespace, r.Code, r.Log)
		}

		ctx = e.f.Ctx()
		require.Equal(t, contractBefore, e.f.App.BankKeeper.GetAllBalances(ctx, e.contract), "%T", m)
		require.Equal(t, recipientBefore, e.f.App.BankKeeper.GetAllBalances(ctx, recipient), "%T", m)
		_, err := e.f.App.ComputeKeeper.Workers.Get(ctx, e.contract)
		require.Error(t, err, "the contract is no worker")
		has, err := e.f.App.PoolKeeper.Pools.Has(ctx, e.contract)
		require.NoError(t, err)
		require.False(t, has, "the contract has no pool")
	}
	for _, u := range app.ContractDeniedMsgs() {
		require.True(t, denied[u], "denied %s has no case", u)
	}

	// The same send alone goes through: the filter passes what it does not deny.
	before := e.f.App.BankKeeper.GetBalance(e.f.Ctx(), recipient, app.BondDenom)
	testutil.RequireTxsOK(t, e.f.NextBlock(t, e.reflect(send)))
	require.Equal(t, before.AddAmount(sdkmath.NewInt(7)), e.f.App.BankKeeper.GetBalance(e.f.Ctx(), recipient, app.BondDenom))
}

// Allowed messages from a contract reach their modules: MsgRequestInference
// creates a job whose requester is the contract, with max_fee escrowed from
// it; a native BankMsg send, x/dao lock, vote and vote delegation and x/pool
// undelegate go through in the same execute.
func TestWasmBindingsAllowedMsgs(t *testing.T) {
	e := setupBindings(t)
	contract := e.contract.String()
	ctx := e.f.Ctx()
	before := e.f.App.BankKeeper.GetBalance(ctx, e.contract, app.BondDenom)
	nextJob, err := e.f.App.InferenceKeeper.NextJobID.Peek(ctx)
	require.NoError(t, err)

	maxFee := sdk.NewInt64Coin(app.BondDenom, 3*bindingsPrice)
	res := e.f.NextBlock(t, e.reflect(
		e.anyMsg(&inferencetypes.MsgRequestInference{
			Requester: contract, ModelId: bindingsModel, Input: []byte("what is 2+2?"), MaxFee: maxFee, Redundancy: 1,
		}),
		wasmvmtypes.CosmosMsg{Bank: &wasmvmtypes.BankMsg{Send: &wasmvmtypes.SendMsg{
			ToAddress: e.f.Accounts[4].Address.String(), Amount: wasmvmtypes.Array[wasmvmtypes.Coin]{{Denom: app.BondDenom, Amount: "11"}},
		}}},
		e.anyMsg(&daotypes.MsgLock{Owner: contract, Amount: sdk.NewInt64Coin(app.BondDenom, 2_000_000), Duration: 1000 * time.Second}),
		e.anyMsg(&daotypes.MsgVote{Voter: contract, ProposalId: 1, Option: daotypes.VOTE_OPTION_YES}),
		e.anyMsg(&daotypes.MsgDelegateVotes{Delegator: contract, Delegate: e.locker.Address.String()}),
		e.anyMsg(&pooltypes.MsgUndelegate{Delegator: contract, Provider: e.provider.Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, 1_000_000)}),
	))
	testutil.RequireTxsOK(t, res)

	ctx = e.f.Ctx()
	job, err := e.f.App.InferenceKeeper.Jobs.Get(ctx, nextJob)
	require.NoError(t, err)
	require.Equal(t, contract, job.Requester)
	require.Equal(t, bindingsModel, job.ModelId)
	require.Equal(t, maxFee, job.MaxFee)
	// max_fee, the 11 sent and the 2,000,000 locked left the contract (the
	// undelegated tokens are still unbonding).
	require.Equal(t, before.Amount.Sub(maxFee.Amount).SubRaw(11+2_000_000), e.f.App.BankKeeper.GetBalance(ctx, e.contract, app.BondDenom).Amount)
	lock, err := e.f.App.DaoKeeper.Locks.Get(ctx, e.contract)
	require.NoError(t, err)
	require.Equal(t, sdkmath.NewInt(3_000_000), lock.Amount)
	_, err = e.f.App.DaoKeeper.Votes.Get(ctx, collections.Join(uint64(1), e.contract))
	require.NoError(t, err, "the contract's vote is recorded")

	// An ICS-20 transfer (IbcMsg::Transfer) is not the filter's to refuse:
	// it reaches ibc-go, which has no such channel here.
	res = e.f.NextBlock(t, e.reflect(wasmvmtypes.CosmosMsg{IBC: &wasmvmtypes.IBCMsg{Transfer: &wasmvmtypes.TransferMsg{
		ChannelID: "channel-9", ToAddress: "cosmos1receiver", Amount: wasmvmtypes.Coin{Denom: app.BondDenom, Amount: "5"},
		Timeout: wasmvmtypes.IBCTimeout{Timestamp: uint64(time.Unix(1_800_000_000, 0).UnixNano())},
	}}}))
	r := res.TxResults[0]
	require.NotZero(t, r.Code)
	require.NotEqual(t, app.WasmBindingsCodespace, r.Codespace, r.Log)
	t.Logf("ICS-20 transfer on a missing channel: %s/%d %s", r.Codespace, r.Code, r.Log)

	// The job's workers are drawn: the contract can read it back.
	data := mustMarshal(t, &inferencetypes.QueryJobRequest{Id: nextJob})
	got, err := e.chainQuery(e.f.Ctx(), wasmvmtypes.QueryRequest{Grpc: &wasmvmtypes.GrpcQuery{Path: "/mesh.inference.v1.Query/Job", Data: data}})
	require.NoError(t, err)
	var q inferencetypes.QueryJobResponse
	require.NoError(t, e.cdc.Unmarshal(got, &q))
	require.Equal(t, contract, q.Job.Requester)
	require.NotEmpty(t, q.Job.Assignments, "assigned to the worker")
}
