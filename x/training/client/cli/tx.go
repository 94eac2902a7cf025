// Package cli holds the two x/training tx commands autocli cannot generate,
// because they read a file: contribute (an item's bytes inline, or their
// SHA-256 with a URI) and create-task (a task described in JSON).
package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/training/types"
)

// FlagURI is contribute's --uri: send the file's digest and this URI
// instead of its bytes.
const FlagURI = "uri"

// GetTxCmd returns the `training` tx command; autocli adds the generated
// subcommands (register-dataset, annotate, join-task, commit-update,
// reveal-update, submit-aggregate) to it.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the training module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(NewContributeCmd(), NewCreateTaskCmd())
	return cmd
}

// NewContributeCmd returns `contribute [dataset] [file]`.
func NewContributeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contribute [dataset] [file]",
		Short: "Add a file to a dataset: its bytes inline, or with --uri only its SHA-256 and the URI",
		Long: `Add an item to a dataset. By default the file's bytes go on chain inline
(at most max_inline_item_bytes, 1024 by default; see "meshd q training
params"), and the chain computes their SHA-256. With --uri the file stays
where the URI points: only its SHA-256, computed here from the local copy,
and the URI are sent. Either way a file whose digest is already in the
dataset is refused.`,
		Example: `meshd tx training contribute 1 review-0001.txt --from alice
meshd tx training contribute 1 scan-0001.png --uri https://data.example/scan-0001.png --from alice`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			ac := clientCtx.InterfaceRegistry.SigningContext().AddressCodec()
			contributor, err := ac.BytesToString(clientCtx.GetFromAddress())
			if err != nil {
				return fmt.Errorf("contributor (--%s): %w", flags.FlagFrom, err)
			}
			uri, _ := cmd.Flags().GetString(FlagURI)
			msg, err := buildContribute(contributor, args[0], args[1], uri)
			if err != nil {
				return err
			}
			sum := msg.Digest
			if len(sum) == 0 {
				s := sha256.Sum256(msg.Data)
				sum = s[:]
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "item digest: %s\n", hex.EncodeToString(sum))
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagURI, "", "URI where the file can be fetched: send its SHA-256 and the URI instead of its bytes")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// buildContribute reads the file at path and returns contributor's
// MsgContributeItem for dataset: the file's bytes as inline data, or, with
// a uri, the file's SHA-256 and the uri. The message is checked as the chain
// checks it before it reads params.
func buildContribute(contributor, dataset, path, uri string) (*types.MsgContributeItem, error) {
	datasetID, err := parseID("dataset", dataset)
	if err != nil {
		return nil, err
	}
	bz, err := readFile("item", path)
	if err != nil {
		return nil, err
	}
	if len(bz) == 0 {
		return nil, fmt.Errorf("item file %q is empty", path)
	}
	msg := &types.MsgContributeItem{Contributor: contributor, DatasetId: datasetID}
	if uri != "" {
		sum := sha256.Sum256(bz)
		msg.Digest, msg.Uri = sum[:], uri
	} else {
		if len(bz) > types.MaxInlineBound {
			return nil, fmt.Errorf("item file %q has %d bytes, more than any chain takes inline (%d; max_inline_item_bytes may be lower): store it elsewhere and give --%s",
				path, len(bz), types.MaxInlineBound, FlagURI)
		}
		msg.Data = bz
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	return msg, nil
}

// NewCreateTaskCmd returns `create-task [task.json]`.
func NewCreateTaskCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-task [task.json]",
		Short: "Open a federated training task described in a JSON file; its budget is escrowed",
		Long: `Open a training task. The creator is --from and pays the budget (at least
min_task_budget), held by the module until it is paid out or refunded. The
file holds:

{
  "base_model_id": "mesh-embedded-v1",
  "dataset_ids": [1],
  "rounds": 3,
  "participants_per_round": 3,
  "aggregators_per_round": 3,
  "aggregation": "fedavg",
  "hyperparams": {"epochs": 4, "seed": 7, "lr1": 2, "lr2": 2, "margin": 4096},
  "budget": "30000000umesh"
}

base_model_id is an x/inference model; workers serving it train the task.
aggregation is fedavg, trimmed_mean or median. hyperparams is any JSON
object, handed to the trainers as its compact JSON text (at most 1024
bytes); the fields above are those of the int8-embedded trainer. Unknown
top-level fields are refused. rounds, participants_per_round and
aggregators_per_round are capped by max_rounds, max_participants and
max_aggregators ("meshd q training params").`,
		Example: "meshd tx training create-task task.json --from alice",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			ac := clientCtx.InterfaceRegistry.SigningContext().AddressCodec()
			creator, err := ac.BytesToString(clientCtx.GetFromAddress())
			if err != nil {
				return fmt.Errorf("creator (--%s): %w", flags.FlagFrom, err)
			}
			msg, err := buildCreateTask(creator, args[0])
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// taskFile is the JSON file of create-task.
type taskFile struct {
	BaseModelID          string          `json:"base_model_id"`
	DatasetIDs           []uint64        `json:"dataset_ids"`
	Rounds               uint32          `json:"rounds"`
	ParticipantsPerRound uint32          `json:"participants_per_round"`
	AggregatorsPerRound  uint32          `json:"aggregators_per_round"`
	Aggregation          string          `json:"aggregation"`
	Hyperparams          json.RawMessage `json:"hyperparams"`
	Budget               string          `json:"budget"`
}

// aggregations are the names create-task takes for each rule.
var aggregations = map[string]types.Aggregation{
	"fedavg":       types.AGGREGATION_FEDAVG,
	"trimmed_mean": types.AGGREGATION_TRIMMED_MEAN,
	"trimmed-mean": types.AGGREGATION_TRIMMED_MEAN,
	"median":       types.AGGREGATION_MEDIAN,
}

// buildCreateTask reads the task file at path and returns creator's
// MsgCreateTask, checked as the chain checks it before it reads params.
func buildCreateTask(creator, path string) (*types.MsgCreateTask, error) {
	bz, err := readFile("task", path)
	if err != nil {
		return nil, err
	}
	var tf taskFile
	dec := json.NewDecoder(bytes.NewReader(bz))
	// A misspelt field ("participants", "model") would otherwise be dropped
	// silently and the task sent without it.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("task file %q is not a valid task (fields: base_model_id, dataset_ids, rounds, participants_per_round, aggregators_per_round, aggregation, hyperparams, budget): %w", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("task file %q has more than one JSON value", path)
	}
	aggregation, ok := aggregations[strings.ToLower(tf.Aggregation)]
	if !ok {
		return nil, fmt.Errorf("task file %q: aggregation %q: want fedavg, trimmed_mean or median", path, tf.Aggregation)
	}
	hyperparams, err := compactObject(tf.Hyperparams)
	if err != nil {
		return nil, fmt.Errorf("task file %q: hyperparams: %w", path, err)
	}
	if tf.Budget == "" {
		return nil, fmt.Errorf("task file %q has no budget (e.g. \"budget\": \"30000000umesh\")", path)
	}
	budget, err := sdk.ParseCoinNormalized(tf.Budget)
	if err != nil {
		return nil, fmt.Errorf("task file %q: budget %q: %w (want a coin like 30000000umesh)", path, tf.Budget, err)
	}
	msg := &types.MsgCreateTask{
		Creator:              creator,
		BaseModelId:          tf.BaseModelID,
		DatasetIds:           tf.DatasetIDs,
		Rounds:               tf.Rounds,
		ParticipantsPerRound: tf.ParticipantsPerRound,
		AggregatorsPerRound:  tf.AggregatorsPerRound,
		Aggregation:          aggregation,
		Hyperparams:          hyperparams,
		Budget:               budget,
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	return msg, nil
}

// compactObject returns the compact JSON text of a JSON object; absent or
// null is "".
func compactObject(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] != '{' {
		return "", errors.New("want a JSON object, e.g. {\"lr\": \"0.01\"}")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// parseID parses a positive decimal id.
func parseID(what, s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%s id %q: want a positive integer", what, s)
	}
	return id, nil
}

// readFile reads a file, with a clear error for a missing one.
func readFile(what, path string) ([]byte, error) {
	bz, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s file %q does not exist", what, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s file %q: %w", what, path, err)
	}
	return bz, nil
}
