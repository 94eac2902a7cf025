package app

import (
	"strings"

	wasmvmtypes "github.com/CosmWasm/wasmvm/v3/types"
	"github.com/cosmos/gogoproto/proto"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	daotypes "github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// What CosmWasm contracts may query and send on meshd (issue 15). The
// queries are an accept list (wasmd refuses every gRPC/Stargate query by
// default); the messages a deny list in front of wasmd's message handler.
// docs/cosmwasm.md, "Queries and messages allowed to contracts", is the
// contract author's view of both.

// WasmBindingsCodespace is the codespace of the errors below.
const WasmBindingsCodespace = "meshwasm"

var (
	// ErrMsgNotAllowedForContracts refuses a message on the deny list sent by a contract.
	ErrMsgNotAllowedForContracts = errorsmod.Register(WasmBindingsCodespace, 2, "message not allowed for contracts")
	// ErrQueryPageTooLarge refuses a paginated contract query that asks for
	// more than ContractQueryPageLimit entries, an offset or a total count.
	ErrQueryPageTooLarge = errorsmod.Register(WasmBindingsCodespace, 3, "query page not allowed for contracts")
)

// ContractQueryPageLimit is the most entries a paginated query returns to a
// contract. It is the SDK's default page (query.DefaultLimit), which is what
// a request without a limit gets anyway.
const ContractQueryPageLimit = query.DefaultLimit

// maxContractMsgNesting is how deep authz.MsgExec may nest messages in a
// contract's message before the filter refuses it rather than look further.
const maxContractMsgNesting = 4

// contractQuery is one accepted query: its response prototype and, for a
// paginated query, its request prototype (to check the page).
type contractQuery struct {
	path     string
	response func() proto.Message
	paged    func() pagedRequest
}

// pagedRequest is a query request with a cosmos.base.query PageRequest.
type pagedRequest interface {
	proto.Message
	GetPagination() *query.PageRequest
}

// ContractQueries lists the queries contracts may make, as gRPC method paths,
// through QueryRequest::Grpc (protobuf response) or ::Stargate (JSON). Each
// one reads a fixed number of records, except Models, whose page is capped.
// None depends on anything but the state: no block time beyond the context's,
// no iteration whose length a caller sets without paying for it. Left out on
// purpose: x/inference Jobs (its filters scan non-matching jobs without a
// bound on the page), WorkerStats and every compute, training and ibcinfer
// query (worker-side data a contract has no use for).
func ContractQueries() []string {
	out := make([]string, len(contractQueries))
	for i, q := range contractQueries {
		out[i] = q.path
	}
	return out
}

var contractQueries = []contractQuery{
	// x/inference: params (fee denoms, limits), a model (its prices before a
	// request), a page of models, and a job (status, result, fee spent).
	{path: "/mesh.inference.v1.Query/Params", response: func() proto.Message { return &inferencetypes.QueryParamsResponse{} }},
	{path: "/mesh.inference.v1.Query/Model", response: func() proto.Message { return &inferencetypes.QueryModelResponse{} }},
	{
		path: "/mesh.inference.v1.Query/Models", response: func() proto.Message { return &inferencetypes.QueryModelsResponse{} },
		paged: func() pagedRequest { return &inferencetypes.QueryModelsRequest{} },
	},
	{path: "/mesh.inference.v1.Query/Job", response: func() proto.Message { return &inferencetypes.QueryJobResponse{} }},
	// x/pool: a provider's pool and one delegation with its pending rewards.
	{path: "/mesh.pool.v1.Query/Pool", response: func() proto.Message { return &pooltypes.QueryPoolResponse{} }},
	{path: "/mesh.pool.v1.Query/Delegation", response: func() proto.Message { return &pooltypes.QueryDelegationResponse{} }},
	// x/dao: a proposal and an account's voting power (now or on a proposal).
	{path: "/mesh.dao.v1.Query/Proposal", response: func() proto.Message { return &daotypes.QueryProposalResponse{} }},
	{path: "/mesh.dao.v1.Query/Power", response: func() proto.Message { return &daotypes.QueryPowerResponse{} }},
	// x/rewards: an account's claimable rewards (at most max_epochs_per_claim
	// epochs scanned, itself at most 1,000).
	{path: "/mesh.rewards.v1.Query/Pending", response: func() proto.Message { return &rewardstypes.QueryPendingResponse{} }},
	// x/bank: one balance, one read.
	{path: "/cosmos.bank.v1beta1.Query/Balance", response: func() proto.Message { return &banktypes.QueryBalanceResponse{} }},
}

// contractQueryPlugins are the Grpc and Stargate query plugins of the wasm
// keeper: wasmd's accept-list queriers over ContractQueries, behind the page
// check. wasmd runs each query in a sub-context whose gas meter is charged
// to the contract, so a query's KV reads are paid by the contract's gas.
func contractQueryPlugins(router wasmkeeper.GRPCQueryRouter, cdc codec.Codec) *wasmkeeper.QueryPlugins {
	accepted := make(wasmkeeper.AcceptedQueries, len(contractQueries))
	paged := make(map[string]func() pagedRequest)
	for _, q := range contractQueries {
		accepted[q.path] = q.response
		if q.paged != nil {
			paged[q.path] = q.paged
		}
	}
	grpc := wasmkeeper.AcceptListGrpcQuerier(accepted, router, cdc)
	stargate := wasmkeeper.AcceptListStargateQuerier(accepted, router, cdc)
	return &wasmkeeper.QueryPlugins{
		Grpc: func(ctx sdk.Context, req *wasmvmtypes.GrpcQuery) (proto.Message, error) {
			if err := checkContractPage(cdc, paged, req.Path, req.Data); err != nil {
				return nil, err
			}
			return grpc(ctx, req)
		},
		Stargate: func(ctx sdk.Context, req *wasmvmtypes.StargateQuery) ([]byte, error) {
			if err := checkContractPage(cdc, paged, req.Path, req.Data); err != nil {
				return nil, err
			}
			return stargate(ctx, req)
		},
	}
}

// checkContractPage refuses a paginated query asking for more than
// ContractQueryPageLimit entries, for an offset or for a total count: the
// last two iterate over entries the page does not return. Contracts page by
// next_key. A path that is not paginated (or not accepted) passes; the
// accept list decides on it.
func checkContractPage(cdc codec.Codec, paged map[string]func() pagedRequest, path string, data []byte) error {
	newReq, ok := paged[path]
	if !ok {
		return nil
	}
	req := newReq()
	if err := cdc.Unmarshal(data, req); err != nil {
		return errorsmod.Wrapf(ErrQueryPageTooLarge, "%s: undecodable request", path)
	}
	p := req.GetPagination()
	switch {
	case p == nil:
		return nil
	case p.Limit > ContractQueryPageLimit:
		return errorsmod.Wrapf(ErrQueryPageTooLarge, "%s: limit %d above %d", path, p.Limit, ContractQueryPageLimit)
	case p.Offset != 0:
		return errorsmod.Wrapf(ErrQueryPageTooLarge, "%s: offset pagination (use next_key)", path)
	case p.CountTotal:
		return errorsmod.Wrapf(ErrQueryPageTooLarge, "%s: count_total", path)
	}
	return nil
}

// ContractDeniedMsgs lists the type URLs contracts may not send, besides any
// MsgUpdateParams (see contractMsgDenied). A deny list rather than an allow
// list: contracts are ordinary accounts, and a new user-side message should
// work from a contract without a change here. What is denied is what only a
// worker, a provider or an authority sends: a contract holds no worker key,
// runs no model and is no authority, and a message it sent for them would
// either fail later in a less clear way or, for a message that checks no
// key, put a contract where the protocol expects an operator.
func ContractDeniedMsgs() []string {
	return []string{
		// x/compute: the whole worker life cycle and proof of compute.
		sdk.MsgTypeURL(&computetypes.MsgAuthorizeWorker{}),
		sdk.MsgTypeURL(&computetypes.MsgRegisterWorker{}),
		sdk.MsgTypeURL(&computetypes.MsgUpdateWorker{}),
		sdk.MsgTypeURL(&computetypes.MsgDeregisterWorker{}),
		sdk.MsgTypeURL(&computetypes.MsgUnjailWorker{}),
		sdk.MsgTypeURL(&computetypes.MsgCommitPoC{}),
		sdk.MsgTypeURL(&computetypes.MsgRevealPoC{}),
		// x/inference: a worker's commit and reveal; the model registry (authority only).
		sdk.MsgTypeURL(&inferencetypes.MsgCommitResult{}),
		sdk.MsgTypeURL(&inferencetypes.MsgRevealResult{}),
		sdk.MsgTypeURL(&inferencetypes.MsgRegisterModel{}),
		sdk.MsgTypeURL(&inferencetypes.MsgUpdateModel{}),
		// x/pool: a provider's pool, which exists to back workers (delegating
		// to one, undelegating and claiming stay open).
		sdk.MsgTypeURL(&pooltypes.MsgCreatePool{}),
		sdk.MsgTypeURL(&pooltypes.MsgUnjail{}),
		// x/training: a worker joining a task and its commits, reveals and aggregates.
		sdk.MsgTypeURL(&trainingtypes.MsgJoinTask{}),
		sdk.MsgTypeURL(&trainingtypes.MsgCommitUpdate{}),
		sdk.MsgTypeURL(&trainingtypes.MsgRevealUpdate{}),
		sdk.MsgTypeURL(&trainingtypes.MsgSubmitAggregate{}),
	}
}

// contractDeniedMsgs is ContractDeniedMsgs as a set (lookups only).
var contractDeniedMsgs = func() map[string]bool {
	m := make(map[string]bool)
	for _, u := range ContractDeniedMsgs() {
		m[u] = true
	}
	return m
}()

// contractMsgDenied reports whether a contract may not send typeURL: it is
// on ContractDeniedMsgs or it is any module's MsgUpdateParams (meshd's and
// the SDK's, IBC's and wasm's), always authority-only.
func contractMsgDenied(typeURL string) bool {
	return contractDeniedMsgs[typeURL] || strings.HasSuffix(typeURL, ".MsgUpdateParams")
}

// contractMsgFilter is wasmd's message handler behind the deny list.
type contractMsgFilter struct {
	next wasmkeeper.Messenger
}

var _ wasmkeeper.Messenger = contractMsgFilter{}

// contractMsgFilterDecorator puts the deny list in front of wasmd's handler.
func contractMsgFilterDecorator(next wasmkeeper.Messenger) wasmkeeper.Messenger {
	return contractMsgFilter{next: next}
}

// DispatchMsg refuses a CosmosMsg::Any (the old Stargate variant decodes to
// it too) whose type URL is denied, looking into authz.MsgExec: a contract
// may exec for itself as granter without any grant. Bank, staking,
// distribution, gov, IBC (ICS-20 transfers), wasm and IBC2 messages encode to
// no meshd message and pass unchanged.
func (f contractMsgFilter) DispatchMsg(ctx sdk.Context, contractAddr sdk.AccAddress, contractIBCPortID string, msg wasmvmtypes.CosmosMsg) ([]sdk.Event, [][]byte, [][]*codectypes.Any, error) {
	if msg.Any != nil {
		if err := f.check(msg.Any.TypeURL, msg.Any.Value, 0); err != nil {
			return nil, nil, nil, err
		}
	}
	return f.next.DispatchMsg(ctx, contractAddr, contractIBCPortID, msg)
}

// check refuses typeURL if denied, or an authz.MsgExec holding a denied
// message at any depth up to maxContractMsgNesting.
func (f contractMsgFilter) check(typeURL string, value []byte, depth int) error {
	if contractMsgDenied(typeURL) {
		return errorsmod.Wrap(ErrMsgNotAllowedForContracts, typeURL)
	}
	if typeURL != sdk.MsgTypeURL(&authz.MsgExec{}) {
		return nil
	}
	if depth >= maxContractMsgNesting {
		return errorsmod.Wrapf(ErrMsgNotAllowedForContracts, "%s nested more than %d deep", typeURL, maxContractMsgNesting)
	}
	// Plain protobuf decoding: the inner Anys are read, not resolved.
	var exec authz.MsgExec
	if err := proto.Unmarshal(value, &exec); err != nil {
		return errorsmod.Wrapf(ErrMsgNotAllowedForContracts, "undecodable %s", typeURL)
	}
	for _, inner := range exec.Msgs {
		if inner == nil {
			continue
		}
		if err := f.check(inner.TypeUrl, inner.Value, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// contractWasmOptions are the wasm keeper options of issue 15: the query
// accept list and the message filter.
func contractWasmOptions(router wasmkeeper.GRPCQueryRouter, cdc codec.Codec) []wasmkeeper.Option {
	return []wasmkeeper.Option{
		wasmkeeper.WithQueryPlugins(contractQueryPlugins(router, cdc)),
		wasmkeeper.WithMessageHandlerDecorator(contractMsgFilterDecorator),
	}
}
