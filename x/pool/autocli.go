package pool

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/pool/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `meshd tx pool …` and
// `meshd q pool …`. Signer fields (provider, delegator) come from --from.
// create-pool comes from GetTxCmd; autocli adds the rest to it.
// UpdateParams and EjectProvider are DAO-only and have no command.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/pool params",
				},
				{
					RpcMethod:      "Pool",
					Use:            "pool [provider]",
					Short:          "Show a provider's pool, its self-stake, minimum and eligibility",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}},
				},
				{
					RpcMethod: "Pools",
					Use:       "pools",
					Short:     "List all pools",
				},
				{
					RpcMethod:      "Delegation",
					Use:            "delegation [provider] [delegator]",
					Short:          "Show a delegation with its token value and claimable rewards",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}, {ProtoField: "delegator"}},
				},
				{
					RpcMethod:      "DelegatorDelegations",
					Use:            "delegations [delegator]",
					Short:          "List a delegator's delegations",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "delegator"}},
				},
				{
					RpcMethod:      "PoolDelegations",
					Use:            "pool-delegations [provider]",
					Short:          "List a pool's delegations (the provider's own stake included)",
					Example:        "meshd q pool pool-delegations mesh1... --count-total",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}},
				},
				{
					RpcMethod:      "Unbondings",
					Use:            "unbondings [delegator]",
					Short:          "List a delegator's unbonding entries",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "delegator"}},
				},
				{
					RpcMethod:      "Ejection",
					Use:            "ejection [provider]",
					Short:          "Show a provider's ejection by the DAO (reason, fraction, slashed, height, tombstoned)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}},
				},
				{
					RpcMethod: "Ejections",
					Use:       "ejections",
					Short:     "List the providers ejected by the DAO",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				// create-pool is hand-written (client/cli): its --commission
				// flag defaults to 0.05, which autocli cannot do for a Dec.
				{RpcMethod: "CreatePool", Skip: true},
				{
					RpcMethod:      "Delegate",
					Use:            "delegate [provider] [amount]",
					Short:          "Delegate tokens into a provider's pool",
					Example:        "meshd tx pool delegate mesh1... 5000000umesh --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}, {ProtoField: "amount"}},
				},
				{
					RpcMethod:      "Undelegate",
					Use:            "undelegate [provider] [amount]",
					Short:          "Start unbonding tokens from a provider's pool",
					Example:        "meshd tx pool undelegate mesh1... 5000000umesh --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}, {ProtoField: "amount"}},
				},
				{
					RpcMethod: "Unjail",
					Use:       "unjail",
					Short:     "Unjail the sender's pool after its jail height",
					Example:   "meshd tx pool unjail --from provider",
				},
				{
					RpcMethod:      "Claim",
					Use:            "claim [provider]",
					Short:          "Claim rewards from a pool (the provider also receives its commission)",
					Example:        "meshd tx pool claim mesh1... --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "provider"}},
				},
				{
					RpcMethod: "UpdateParams",
					Skip:      true, // authority only, through a proposal
				},
				{
					// authority only: an x/dao proposal carries it (see x/pool's README).
					RpcMethod: "EjectProvider",
					Skip:      true,
				},
			},
		},
	}
}
