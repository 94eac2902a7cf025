package compute

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/compute/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig. register-worker and
// update-worker are hand-written (client/cli) to give the nested
// HardwareSpec real flags; reveal-poc is sent by meshd-worker only.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/compute params",
				},
				{
					RpcMethod:      "Worker",
					Use:            "worker [address]",
					Short:          "Show a worker",
					Example:        "meshd q compute worker mesh1…",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
				},
				{
					RpcMethod: "Workers",
					Use:       "workers",
					Short:     "List workers, optionally of one provider and/or status",
					Example:   "meshd q compute workers --provider mesh1… --status active",
				},
				{
					RpcMethod:      "Challenge",
					Use:            "challenge [worker]",
					Short:          "Show a worker's proof-of-compute challenge in the current epoch (--epoch for a settling one)",
					Example:        "meshd q compute challenge mesh1…",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
				{
					RpcMethod: "Epoch",
					Use:       "epoch",
					Short:     "Show the current compute epoch",
				},
				{
					RpcMethod: "Beacon",
					Use:       "beacon",
					Short:     "Show the last randomness-beacon output (vote extensions)",
					Example:   "meshd q compute beacon",
				},
				{
					RpcMethod: "BeaconValidators",
					Use:       "beacon-validators",
					Short:     "List the validators' beacon records: pending commitment and withheld reveals in the window",
					Example:   "meshd q compute beacon-validators",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "AuthorizeWorker",
					Use:            "authorize-worker [worker]",
					Short:          "Allow an account to register as a worker of the signing provider",
					Example:        "meshd tx compute authorize-worker mesh1worker… --from provider",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
				{RpcMethod: "RegisterWorker", Skip: true},
				{RpcMethod: "UpdateWorker", Skip: true},
				{
					RpcMethod:      "DeregisterWorker",
					Use:            "deregister-worker [worker]",
					Short:          "Remove a worker (signed by the worker or its provider)",
					Example:        "meshd tx compute deregister-worker mesh1worker… --from provider",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
				{
					RpcMethod:      "UnjailWorker",
					Use:            "unjail-worker [worker]",
					Short:          "Reactivate a jailed worker after its jail time (signed by the worker or its provider)",
					Example:        "meshd tx compute unjail-worker mesh1worker… --from provider",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "worker"}},
				},
				{
					RpcMethod:      "CommitPoC",
					Use:            "commit-poc [epoch] [root]",
					Short:          "Commit the Merkle root (hex) of the signing worker's product rows (normally sent by meshd-worker)",
					Example:        "meshd tx compute commit-poc 12 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --from worker",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "epoch"}, {ProtoField: "root"}},
				},
				{RpcMethod: "RevealPoC", Skip: true},
				{
					RpcMethod:      "UpdateParams",
					Use:            "update-params-proposal [params]",
					Short:          "Propose new x/compute params (all fields)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
					GovProposal:    true,
				},
			},
		},
	}
}
