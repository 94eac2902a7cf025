package rewards

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/rewards/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `meshd tx rewards …`
// and `meshd q rewards …`. pending comes from GetQueryCmd (it falls back to
// --from); autocli adds the other queries to it. The claimant of a claim is
// --from. UpdateParams is gov-only and has no command.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Query_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/rewards params",
					Example:   "meshd q rewards params",
				},
				// pending is hand-written (client/cli): with no argument it
				// reads --from, which autocli cannot do for a query.
				{RpcMethod: "Pending", Skip: true},
				{
					RpcMethod:      "Epoch",
					Use:            "epoch [epoch]",
					Short:          "Show a reward epoch's pot, points, rates and claims (default: the last closed epoch)",
					Example:        "meshd q rewards epoch\nmeshd q rewards epoch 12",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "epoch", Optional: true}},
				},
				{
					RpcMethod: "Epochs",
					Use:       "epochs",
					Short:     "List reward epochs, newest first",
					Example:   "meshd q rewards epochs --page-limit 5",
				},
				{
					RpcMethod: "Pot",
					Use:       "pot",
					Short:     "Show the undistributed pot, what closed epochs still owe, and the open epoch",
					Example:   "meshd q rewards pot",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "ClaimRewards",
					Use:       "claim [account]",
					Short:     "Claim an account's rewards from closed epochs (default: the sender's)",
					Long: `Pay an account's points in its oldest unclaimed closed epochs (at most
max_epochs_per_claim of them). Without [account] the sender claims for
itself. An account that runs an x/pool pool is paid into its pool
(commission, then delegators), and anyone may claim for it; when the
provider claims for itself, the pool then pays it its commission and
self-delegation rewards. An account without a pool may only claim for
itself and is paid directly.`,
					Example:        "meshd tx rewards claim --from provider-2 -y\nmeshd tx rewards claim mesh1... --from alice -y",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "account", Optional: true}},
				},
				{
					RpcMethod: "UpdateParams",
					Skip:      true, // authority only, through a proposal
				},
			},
		},
	}
}
