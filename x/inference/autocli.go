package inference

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/inference/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig. request, commit and
// reveal are hand-written (client/cli): they read files, hash outputs and
// build commitments; authority messages are gov proposals.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/inference params",
				},
				{
					RpcMethod:      "Model",
					Use:            "model [id]",
					Short:          "Show a registered model",
					Example:        "meshd q inference model mesh-embedded-v1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Models",
					Use:       "models",
					Short:     "List the registered models",
				},
				{
					RpcMethod:      "Job",
					Use:            "job [id]",
					Short:          "Show a job: status, assigned workers, commits, reveals, result and payouts",
					Example:        "meshd q inference job 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Jobs",
					Use:       "jobs",
					Short:     "List jobs of one requester, one worker or one status (open ones only with --open-only)",
					Example: "meshd q inference jobs --requester mesh1…\n" +
						"meshd q inference jobs --worker mesh1… --open-only\n" +
						"meshd q inference jobs --status finalized",
				},
				{
					RpcMethod:      "WorkerStats",
					Use:            "worker-stats [worker]",
					Short:          "Show a worker's inference record: jobs served, agreement rate, median latency",
					Example:        "meshd q inference worker-stats mesh1…",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "RequestInference", Skip: true},
				{RpcMethod: "CommitResult", Skip: true},
				{RpcMethod: "RevealResult", Skip: true},
				{
					RpcMethod:      "RegisterModel",
					Use:            "register-model-proposal [model]",
					Short:          "Propose to register a model (JSON)",
					Example:        `meshd tx inference register-model-proposal '{"id":"m1","runtime":"int8-embedded","deterministic":true,"prices":[{"denom":"ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2","amount":"1000000000000000"},{"denom":"umesh","amount":"1000"}],"status":"MODEL_STATUS_ACTIVE"}' --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "UpdateModel",
					Use:            "update-model-proposal [model]",
					Short:          "Propose to replace a registered model (JSON, same id), e.g. to retire it",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model"}},
					GovProposal:    true,
				},
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params-proposal [params]",
					Short:          "Propose new x/inference params (all fields)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
