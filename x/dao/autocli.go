package dao

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/dao/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `meshd tx dao …` and
// `meshd q dao …`. Signer fields (owner, delegator, voter, executor) come
// from --from. submit-proposal comes from GetTxCmd (it reads a JSON file of
// messages); autocli adds the rest to it. UpdateParams is DAO-only (a passed
// proposal) and has no command.
//
// autocli parses a google.protobuf.Duration argument with time.ParseDuration
// (168h, 720h; not 7d) and a VoteOption by its name without the VOTE_OPTION_
// prefix, in lower case (yes, no, abstain, veto), so lock and vote need no
// hand-written command.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/dao params",
					Example:   "meshd q dao params",
				},
				{
					RpcMethod:      "Proposal",
					Use:            "proposal [id]",
					Short:          "Show a proposal with its status, tally, timelock and AI analysis",
					Example:        "meshd q dao proposal 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "proposal_id"}},
				},
				{
					RpcMethod: "Proposals",
					Use:       "proposals",
					Short:     "List proposals by id, optionally of one status",
					Long: `List proposals by id. --status keeps one status: voting, passed, rejected,
vetoed, executed, failed or expired.`,
					Example: "meshd q dao proposals\nmeshd q dao proposals --status voting\nmeshd q dao proposals --status passed --page-limit 10",
				},
				{
					RpcMethod:      "Vote",
					Use:            "vote [id] [voter]",
					Short:          "Show a voter's vote on a proposal and the power it carries",
					Example:        "meshd q dao vote 1 mesh1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "proposal_id"}, {ProtoField: "voter"}},
				},
				{
					RpcMethod:      "Votes",
					Use:            "votes [id]",
					Short:          "List a proposal's votes",
					Example:        "meshd q dao votes 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "proposal_id"}},
				},
				{
					RpcMethod:      "Lock",
					Use:            "lock [owner]",
					Short:          "Show an account's lock and its voting power now",
					Example:        "meshd q dao lock mesh1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
				},
				{
					RpcMethod: "Locks",
					Use:       "locks",
					Short:     "List all locks",
					Example:   "meshd q dao locks --page-limit 50",
				},
				{
					RpcMethod:      "Delegation",
					Use:            "delegation [account]",
					Short:          "Show an account's vote delegate and the accounts delegating to it",
					Example:        "meshd q dao delegation mesh1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "account"}},
				},
				{
					RpcMethod: "Power",
					Use:       "power [account] [proposal-id]",
					Short:     "Show an account's voting power: own, delegated, total (default: now; with an id: at that proposal's snapshot)",
					Long: `Show an account's voting power: its own (from its lock), the power delegated
to it, and the total a vote by it carries. Without [proposal-id] it is the
power now; with one, the power at that proposal's snapshot (the blocks before
its submission), less delegators who voted themselves.`,
					Example: "meshd q dao power mesh1...\nmeshd q dao power mesh1... 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "account"},
						{ProtoField: "proposal_id", Optional: true},
					},
				},
				{
					RpcMethod: "Treasury",
					Use:       "treasury",
					Short:     "Show the DAO treasury's address (the authority of proposal messages) and balance",
					Example:   "meshd q dao treasury",
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Lock",
					Use:       "lock [amount] [duration]",
					Short:     "Lock tokens for voting power, or add to the sender's lock",
					Long: `Lock [amount] of lock_denom for [duration] (a Go duration: 168h, 720h,
35040h), between min_lock_duration and max_lock_duration. Power is
isqrt(amount) × multiplier / 10000, the multiplier rising linearly from 1× at
min_lock_duration to max_multiplier_bps at max_lock_duration. With a lock
already, the amount is added and the lock ends at the later of its end and
now + [duration]. The tokens come back with unlock once the lock has ended.`,
					Example: "meshd tx dao lock 100000000umesh 720h --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "amount"},
						{ProtoField: "duration"},
					},
				},
				{
					RpcMethod: "ExtendLock",
					Use:       "extend-lock [duration]",
					Short:     "Move the sender's lock end to now + [duration] (not before its end); a longer duration raises the multiplier",
					Example:   "meshd tx dao extend-lock 8760h --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "duration"},
					},
				},
				{
					RpcMethod: "Unlock",
					Use:       "unlock",
					Short:     "Return the sender's locked tokens once the lock has ended",
					Example:   "meshd tx dao unlock --from alice",
				},
				{
					RpcMethod:      "DelegateVotes",
					Use:            "delegate [to]",
					Short:          "Let another account vote with the sender's own power (not re-delegated)",
					Example:        "meshd tx dao delegate mesh1... --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "delegate"}},
				},
				{
					RpcMethod: "UndelegateVotes",
					Use:       "undelegate",
					Short:     "Revoke the sender's vote delegation",
					Example:   "meshd tx dao undelegate --from alice",
				},
				// submit-proposal is hand-written (client/cli): it reads the
				// proposal's messages from a JSON file.
				{RpcMethod: "SubmitProposal", Skip: true},
				{
					RpcMethod: "Vote",
					Use:       "vote [id] [yes|no|abstain|veto]",
					Short:     "Vote on a proposal with the sender's own and delegated power (veto also during the timelock)",
					Long: `Vote on a proposal in VOTING with yes, no, abstain or veto (lower case). The
vote carries the sender's own power and that of the accounts delegating to it
at the proposal's snapshot; a delegator's own vote takes its power back from
its delegate. A vote can be changed while voting is open. During the timelock
of a PASSED proposal only veto is accepted.`,
					Example: "meshd tx dao vote 1 yes --from alice\nmeshd tx dao vote 1 veto --from bob",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "proposal_id"},
						{ProtoField: "option"},
					},
				},
				{
					RpcMethod:      "ExecuteProposal",
					Use:            "execute [id]",
					Short:          "Run a passed proposal's messages after its ETA (anyone may; the sender pays the gas)",
					Example:        "meshd tx dao execute 1 --from alice --gas auto --gas-adjustment 1.5",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "proposal_id"}},
				},
				{
					RpcMethod: "UpdateParams",
					Skip:      true, // authority only: the DAO itself, through a proposal
				},
			},
		},
	}
}
