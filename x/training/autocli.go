package training

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/llmesh/mesh/x/training/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig: `meshd tx training …`
// and `meshd q training …`. Signer fields (owner, contributor, annotator,
// creator, worker) come from --from. contribute and create-task come from
// GetTxCmd (they read files); autocli adds the rest to it. UpdateParams is
// DAO-only (a passed x/dao proposal) and has no command.
//
// autocli reads a bytes argument as the contents of a file of that name if
// one exists, else as hex, else as base64; fields that are not positional
// are flags named after them (--schema, --license, --labels a,b,c, --uri).
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: types.Query_serviceDesc.ServiceName,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "Params",
					Use:       "params",
					Short:     "Show the x/training params",
					Example:   "meshd q training params",
				},
				{
					RpcMethod:      "Dataset",
					Use:            "dataset [id]",
					Short:          "Show a dataset: owner, name, schema, license, labels and item count",
					Example:        "meshd q training dataset 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Datasets",
					Use:       "datasets",
					Short:     "List datasets by id",
					Example:   "meshd q training datasets\nmeshd q training datasets --page-limit 20",
				},
				{
					RpcMethod:      "Item",
					Use:            "item [id]",
					Short:          "Show an item: digest, URI or inline data, status and final label",
					Example:        "meshd q training item 7",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod:      "Items",
					Use:            "items [dataset]",
					Short:          "List a dataset's items by id",
					Example:        "meshd q training items 1\nmeshd q training items 1 --page-limit 100",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}},
				},
				{
					RpcMethod:      "Annotations",
					Use:            "annotations [item]",
					Short:          "List an item's pending annotations (settled ones are gone once the item is final)",
					Example:        "meshd q training annotations 7",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "item_id"}},
				},
				{
					RpcMethod:      "Annotator",
					Use:            "annotator [address]",
					Short:          "Show an annotator's record: agreed, disagreed, strikes, times slashed",
					Example:        "meshd q training annotator mesh1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "annotator"}},
				},
				{
					RpcMethod:      "Task",
					Use:            "task [id]",
					Short:          "Show a training task, its budget, current round, checkpoint and workers",
					Example:        "meshd q training task 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
				},
				{
					RpcMethod: "Tasks",
					Use:       "tasks",
					Short:     "List training tasks by id",
					Example:   "meshd q training tasks\nmeshd q training tasks --page-limit 20",
				},
				{
					RpcMethod: "Round",
					Use:       "round [task] [number]",
					Short:     "Show a round of a task (default: its current round) with its updates, aggregates and checkpoint",
					Example:   "meshd q training round 1\nmeshd q training round 1 2",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "task_id"},
						{ProtoField: "number", Optional: true},
					},
				},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              types.Msg_serviceDesc.ServiceName,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{
					RpcMethod: "RegisterDataset",
					Use:       "register-dataset [name]",
					Short:     "Register a dataset; --labels restricts the labels annotators may give",
					Long: `Register a dataset owned by --from. The name is 1–64 printable characters;
--schema (free text or JSON, ≤ 1024 bytes) and --license (an SPDX id or a URI,
≤ 128 bytes) describe the items. --labels lists the labels annotators may
give (up to 64, each 1–64 characters without spaces); without it any label is
accepted.`,
					Example:        `meshd tx training register-dataset reviews --schema "one review per item, UTF-8 text" --license CC-BY-4.0 --labels low,medium,high --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "name"}},
				},
				// contribute is hand-written (client/cli): it reads the item's file.
				{RpcMethod: "ContributeItem", Skip: true},
				{
					RpcMethod: "Annotate",
					Use:       "annotate [item] [label]",
					Short:     "Label an item with annotation_stake at risk until the item's label is final",
					Long: `Label an item of someone else's. annotation_stake is escrowed with the label.
When annotators_per_item labels are in, a strict majority makes the item
LABELED: the majority gets its stake back and data points, the others get
their stake back and a strike (max_disagreements strikes burn part of the
stake at risk). Without a strict majority the item is DISPUTED and every
stake comes back.`,
					Example: "meshd tx training annotate 7 high --from bob",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "item_id"},
						{ProtoField: "label"},
					},
				},
				// create-task is hand-written (client/cli): it reads a JSON file.
				{RpcMethod: "CreateTask", Skip: true},
				{
					RpcMethod:      "JoinTask",
					Use:            "join-task [task]",
					Short:          "Enter the signing worker in a task's draws (registered, ACTIVE, serving the base model, in an eligible pool)",
					Example:        "meshd tx training join-task 1 --from worker1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "task_id"}},
				},
				{
					RpcMethod: "CommitUpdate",
					Use:       "commit-update [task] [round] [commitment]",
					Short:     "Commit a participant's update (normally sent by meshd-worker)",
					Long: `Commit the hash of the signing participant's update for the round, in the
commit phase. The commitment (32 bytes, hex or base64) is
SHA-256(be64(task) ‖ be32(round) ‖ worker address bytes ‖ digest ‖
be64(samples) ‖ be64(loss) ‖ salt), as types.UpdateCommitment computes it.`,
					Example: "meshd tx training commit-update 1 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --from worker1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "task_id"},
						{ProtoField: "round"},
						{ProtoField: "commitment"},
					},
				},
				{
					RpcMethod: "RevealUpdate",
					Use:       "reveal-update [task] [round] [digest] [samples] [loss] [salt]",
					Short:     "Reveal a committed update: its digest, samples, loss ×10^6 and salt (normally sent by meshd-worker)",
					Long: `Reveal the update committed with commit-update, in the reveal phase: the
SHA-256 digest of the update blob (hex), the samples trained on (≥ 1), the
local loss ×10^6 and the salt (16–64 bytes, hex) of the commitment. --uri
tells the aggregators where to fetch the blob.`,
					Example: "meshd tx training reveal-update 1 1 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae 128 412000 000102030405060708090a0b0c0d0e0f --uri http://worker1:8080/blobs/2c26b46b --from worker1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "task_id"},
						{ProtoField: "round"},
						{ProtoField: "digest"},
						{ProtoField: "samples"},
						{ProtoField: "loss"},
						{ProtoField: "salt"},
					},
				},
				{
					RpcMethod: "SubmitAggregate",
					Use:       "submit-aggregate [task] [round] [digest] [eval-loss]",
					Short:     "Submit an aggregator's checkpoint digest and held-out loss ×10^6 (normally sent by meshd-worker)",
					Long: `Submit, in the aggregate phase, the SHA-256 digest (hex) of the checkpoint the
signing aggregator computed from the revealed updates and its held-out loss
×10^6. --uri tells where to fetch the checkpoint.`,
					Example: "meshd tx training submit-aggregate 1 1 fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9 398000 --uri http://worker2:8080/blobs/fcde2b2e --from worker2",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{
						{ProtoField: "task_id"},
						{ProtoField: "round"},
						{ProtoField: "digest"},
						{ProtoField: "eval_loss"},
					},
				},
				{
					RpcMethod: "UpdateParams",
					Skip:      true, // authority only: x/dao, through a proposal
				},
			},
		},
	}
}
