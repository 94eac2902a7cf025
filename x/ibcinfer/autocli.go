package ibcinfer

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/ibcinfer/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `meshd q ibcinfer …`
// and `meshd tx ibcinfer retry-ack`. UpdateParams is gov-only.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/ibcinfer params",
					Example:   "meshd q ibcinfer params",
				},
				{
					RpcMethod:      "Account",
					Use:            "account [channel] [sender]",
					Short:          "Show the meshd account that pays for and owns the jobs of a sender on another chain",
					Long:           "The account is address.Hash(\"ibcinfer\", channel + \"/\" + sender): channel is meshd's end of the ICS-20 channel, sender the address on the other chain exactly as its packets carry it. No key controls it. List its jobs with `meshd q inference jobs --requester <account>`.",
					Example:        "meshd q ibcinfer account channel-0 inj1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn0fk3e8",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "channel"}, {ProtoField: "sender"}},
				},
				{
					RpcMethod:      "PendingAck",
					Use:            "pending-ack [job-id]",
					Short:          "Show the packet whose acknowledgement waits for a job",
					Example:        "meshd q ibcinfer pending-ack 12",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}},
				},
				{
					RpcMethod: "PendingAcks",
					Use:       "pending-acks",
					Short:     "List the packets whose acknowledgements wait for their jobs",
					Example:   "meshd q ibcinfer pending-acks",
				},
				{
					RpcMethod: "Refunds",
					Use:       "refunds",
					Short:     "List the unspent-fee refunds sent and not yet acknowledged",
					Example:   "meshd q ibcinfer refunds",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: types.Msg_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod:      "RetryAck",
					Use:            "retry-ack [job-id]",
					Short:          "Write the acknowledgement of an ended job whose job-end callback failed (anybody may send it)",
					Example:        "meshd tx ibcinfer retry-ack 12 --from alice -y",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}},
				},
				{RpcMethod: "UpdateParams", Skip: true}, // authority only, through a proposal
			},
		},
	}
}
