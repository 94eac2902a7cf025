package training_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/training"
	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/types"
)

func TestModuleGenesisJSON(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	am := training.NewAppModule(enc.Codec, keeper.Keeper{})
	require.Equal(t, types.ModuleName, am.Name())
	require.Equal(t, uint64(1), am.ConsensusVersion())

	def := am.DefaultGenesis(enc.Codec)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, def))
	for _, want := range []string{
		`"max_inline_item_bytes":1024,"annotation_stake":{"denom":"umesh","amount":"1000000"},"annotators_per_item":3`,
		`"min_task_budget":{"denom":"umesh","amount":"10000000"},"max_rounds":100`,
		`"commit_blocks":"10","reveal_blocks":"10","aggregate_blocks":"10"`,
		`"aggregator_slash_fraction":"0.010000000000000000"`,
		`"next_dataset_id":"1","next_item_id":"1","next_task_id":"1"`,
	} {
		require.Contains(t, string(def), want)
	}

	for _, tc := range []struct{ from, to string }{
		{`"max_inline_item_bytes":1024`, `"max_inline_item_bytes":0`},
		{`"annotators_per_item":3`, `"annotators_per_item":17`},
		{`"max_rounds":100`, `"max_rounds":0`},
		{`"commit_blocks":"10"`, `"commit_blocks":"0"`},
		{`"aggregator_share_bps":1000`, `"aggregator_share_bps":10001`},
		{`"aggregator_slash_fraction":"0.010000000000000000"`, `"aggregator_slash_fraction":"1.5"`},
		{`"amount":"10000000"`, `"amount":"0"`},
	} {
		bad := strings.Replace(string(def), tc.from, tc.to, 1)
		require.NotEqual(t, string(def), bad, tc.from)
		require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, []byte(bad)), types.ErrInvalidParams, tc.to)
	}
	bad := strings.Replace(string(def), `"next_task_id":"1"`, `"next_task_id":"0"`, 1)
	require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, []byte(bad)), types.ErrInvalidGenesis)

	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"params":`)))
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"next_item_id":"one"}`)))
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, []byte(`{"datasets":[{"idd":"1"}]}`)))
}

func sha(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// TestModuleGenesisRoundTrip sends a genesis with every kind of record
// through JSON and back.
func TestModuleGenesisRoundTrip(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	am := training.NewAppModule(enc.Codec, keeper.Keeper{})
	alice := sdk.AccAddress("alice_______________").String()
	bob := sdk.AccAddress("bob_________________").String()
	w1 := sdk.AccAddress("worker1_____________").String()
	c := func(n int64) sdk.Coin { return sdk.NewInt64Coin("umesh", n) }

	gs := types.DefaultGenesis()
	gs.NextDatasetId, gs.NextItemId, gs.NextTaskId = 2, 3, 2
	gs.Datasets = []types.Dataset{{Id: 1, Owner: alice, Name: "reviews", Schema: `{"label":"string"}`, License: "CC-BY-4.0", Items: 2, Labels: []string{"low", "high"}}}
	gs.Items = []types.Item{
		{Id: 1, DatasetId: 1, Contributor: alice, Digest: sha("inline"), Data: []byte("inline"), Status: types.ITEM_STATUS_OPEN, Annotations: 1},
		{Id: 2, DatasetId: 1, Contributor: alice, Digest: sha("far"), Uri: "ipfs://far", Status: types.ITEM_STATUS_LABELED, Label: "high", Annotations: 3},
	}
	gs.Annotations = []types.Annotation{{ItemId: 1, Annotator: bob, Label: "low", Stake: c(1_000_000)}}
	gs.AnnotatorStats = []types.AnnotatorStats{{Annotator: bob, Agreed: 4, Disagreed: 2, Strikes: 1, Slashed: 1}}
	gs.Tasks = []types.Task{{
		Id: 1, Creator: alice, BaseModelId: "mesh-embedded-v1", Runtime: "int8-embedded", BaseDigest: sha("base"),
		DatasetIds: []uint64{1}, Rounds: 3, ParticipantsPerRound: 1, AggregatorsPerRound: 1,
		Aggregation: types.AGGREGATION_TRIMMED_MEAN, Hyperparams: `{"lr":"0.01","epochs":1}`,
		Budget: c(30_000_000), Spent: c(9_000_000), Status: types.TASK_STATUS_RUNNING, CurrentRound: 2,
		CheckpointDigest: sha("ck1"), CheckpointUri: "http://w1/ck1", Workers: 1, CreatedHeight: 7,
	}}
	gs.TaskWorkers = []types.TaskWorker{{TaskId: 1, Worker: w1}}
	gs.Rounds = []types.Round{
		{
			TaskId: 1, Number: 1, Phase: types.ROUND_PHASE_FINALIZED, Seed: sha("seed1"), BaseDigest: sha("base"),
			Updates: []types.Update{{
				Worker: w1, Provider: bob, Commitment: sha("commit"), Digest: sha("update"), Samples: 128, Loss: 412_000,
				Uri: "http://w1/u1", Revealed: true, Paid: c(9_000_000),
			}},
			Aggregates:  []types.Aggregate{{Worker: w1, Provider: bob, Digest: sha("ck1"), Uri: "http://w1/ck1", EvalLoss: 398_000, Agreed: true, Paid: c(1_000_000)}},
			StartHeight: 8, CommitEnd: 18, RevealEnd: 28, AggregateEnd: 38,
			CheckpointDigest: sha("ck1"), CheckpointUri: "http://w1/ck1", EvalLoss: 398_000, Budget: c(10_000_000),
		},
		{
			TaskId: 1, Number: 2, Phase: types.ROUND_PHASE_COMMIT, Seed: sha("seed2"), BaseDigest: sha("ck1"),
			Updates:     []types.Update{{Worker: w1, Provider: bob, Paid: c(0)}},
			Aggregates:  []types.Aggregate{{Worker: w1, Provider: bob, Paid: c(0)}},
			StartHeight: 38, CommitEnd: 48, RevealEnd: 58, AggregateEnd: 68, Budget: c(10_500_000),
		},
	}
	require.NoError(t, gs.Validate())

	bz := enc.Codec.MustMarshalJSON(gs)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, bz))
	require.Contains(t, string(bz), `"aggregation":"AGGREGATION_TRIMMED_MEAN"`)
	require.Contains(t, string(bz), `"phase":"ROUND_PHASE_COMMIT"`)
	var back types.GenesisState
	require.NoError(t, enc.Codec.UnmarshalJSON(bz, &back))
	require.Equal(t, string(bz), string(enc.Codec.MustMarshalJSON(&back)))
	require.Equal(t, gs.Items, back.Items)
	require.Equal(t, gs.Tasks, back.Tasks)
	require.Equal(t, gs.Rounds, back.Rounds)
	require.Equal(t, gs.Annotations, back.Annotations)

	// An annotation of a final item is refused.
	gs.Annotations[0].ItemId = 2
	require.ErrorIs(t, am.ValidateGenesis(enc.Codec, nil, enc.Codec.MustMarshalJSON(gs)), types.ErrInvalidGenesis)
}

// TestAutoCLI builds the real autocli commands (with the hand-written
// contribute and create-task) and checks their shapes.
func TestAutoCLI(t *testing.T) {
	_, opts := autocliOptions()
	root := &cobra.Command{Use: "meshd"}
	require.NoError(t, opts.EnhanceRootCommand(root))

	addr := sdk.AccAddress("alice_______________").String()
	hex32 := hex.EncodeToString(sha("x"))
	// Each command takes these args and rejects one more.
	argsOK := map[string][][]string{
		"tx training register-dataset": {{"reviews"}},
		"tx training contribute":       {{"1", "item.txt"}},
		"tx training annotate":         {{"7", "high"}},
		"tx training create-task":      {{"task.json"}},
		"tx training join-task":        {{"1"}},
		"tx training commit-update":    {{"1", "1", hex32}},
		"tx training reveal-update":    {{"1", "1", hex32, "128", "412000", hex32}},
		"tx training submit-aggregate": {{"1", "1", hex32, "398000"}},
		"query training params":        {{}},
		"query training dataset":       {{"1"}},
		"query training datasets":      {{}},
		"query training item":          {{"7"}},
		"query training items":         {{"1"}},
		"query training annotations":   {{"7"}},
		"query training annotator":     {{addr}},
		"query training task":          {{"1"}},
		"query training tasks":         {{}},
		"query training round":         {{"1"}, {"1", "2"}},
	}
	for path, cases := range argsOK {
		cmd := find(t, root, strings.Fields(path)...)
		require.NotEmpty(t, cmd.Short, path)
		require.True(t, strings.HasPrefix(cmd.Example, "meshd "), "%s: example %q", path, cmd.Example)
		for _, args := range cases {
			require.NoError(t, cmd.Args(cmd, args), path)
		}
		longest := cases[len(cases)-1]
		require.Error(t, cmd.Args(cmd, append(longest, "extra")), path)
		require.Error(t, cmd.Args(cmd, append(cases[0], "extra", "extra")), path)
	}
	for _, flag := range []string{"schema", "license", "labels", "from"} {
		require.NotNil(t, find(t, root, "tx", "training", "register-dataset").Flags().Lookup(flag), flag)
	}
	require.NotNil(t, find(t, root, "tx", "training", "contribute").Flags().Lookup("uri"))
	require.NotNil(t, find(t, root, "tx", "training", "reveal-update").Flags().Lookup("uri"))
	require.NotNil(t, find(t, root, "tx", "training", "submit-aggregate").Flags().Lookup("uri"))
	require.NotNil(t, find(t, root, "query", "training", "tasks").Flags().Lookup("page-limit"), "pagination flags")

	require.ElementsMatch(t, []string{
		"register-dataset", "contribute", "annotate", "create-task", "join-task", "commit-update", "reveal-update", "submit-aggregate",
	}, names(find(t, root, "tx", "training")), "UpdateParams is DAO-only")
	require.ElementsMatch(t, []string{
		"params", "dataset", "datasets", "item", "items", "annotations", "annotator", "task", "tasks", "round",
	}, names(find(t, root, "query", "training")))
}

// TestAutoCLIMessages generates (without signing or a node) the autocli
// transactions: flags and positional args land in the right fields, bytes
// are read as hex, the signer comes from --from.
func TestAutoCLIMessages(t *testing.T) {
	enc, opts := autocliOptions()
	alice := sdk.AccAddress("alice_______________").String()

	run := func(args ...string) (string, error) {
		root := &cobra.Command{Use: "meshd"}
		require.NoError(t, opts.EnhanceRootCommand(root))
		out := &bytes.Buffer{}
		clientCtx := client.Context{}.WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
			WithTxConfig(enc.TxConfig).WithKeyring(keyring.NewInMemory(enc.Codec)).WithOutput(out).WithChainID("mesh-test")
		root.SetArgs(append(append([]string{"tx", "training"}, args...), "--from", alice, "--generate-only"))
		root.SetOut(out)
		root.SetErr(&bytes.Buffer{})
		err := root.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx))
		return out.String(), err
	}
	msgOf := func(args ...string) sdk.Msg {
		out, err := run(args...)
		require.NoError(t, err, args)
		tx, err := enc.TxConfig.TxJSONDecoder()([]byte(out))
		require.NoError(t, err, out)
		require.Len(t, tx.GetMsgs(), 1, out)
		return tx.GetMsgs()[0]
	}
	digest, salt := sha("update"), []byte("0123456789abcdef")

	require.Equal(t, &types.MsgRegisterDataset{
		Owner: alice, Name: "reviews", Schema: "one review per item", License: "CC-BY-4.0", Labels: []string{"low", "medium", "high"},
	}, msgOf("register-dataset", "reviews", "--schema", "one review per item", "--license", "CC-BY-4.0", "--labels", "low,medium,high"))
	require.Equal(t, &types.MsgRegisterDataset{Owner: alice, Name: "open"}, msgOf("register-dataset", "open"))
	require.Equal(t, &types.MsgAnnotate{Annotator: alice, ItemId: 7, Label: "high"}, msgOf("annotate", "7", "high"))
	require.Equal(t, &types.MsgJoinTask{Worker: alice, TaskId: 3}, msgOf("join-task", "3"))
	require.Equal(t, &types.MsgCommitUpdate{Worker: alice, TaskId: 3, Round: 2, Commitment: sha("c")},
		msgOf("commit-update", "3", "2", hex.EncodeToString(sha("c"))))
	require.Equal(t, &types.MsgRevealUpdate{
		Worker: alice, TaskId: 3, Round: 2, Digest: digest, Samples: 128, Loss: 412_000, Uri: "http://w1/u", Salt: salt,
	}, msgOf("reveal-update", "3", "2", hex.EncodeToString(digest), "128", "412000", hex.EncodeToString(salt), "--uri", "http://w1/u"))
	require.Equal(t, &types.MsgSubmitAggregate{Worker: alice, TaskId: 3, Round: 2, Digest: digest, Uri: "http://w2/ck", EvalLoss: 398_000},
		msgOf("submit-aggregate", "3", "2", hex.EncodeToString(digest), "398000", "--uri", "http://w2/ck"))

	for _, bad := range [][]string{
		{"annotate", "seven", "high"},
		{"join-task", "-1"},
		{"commit-update", "3", "2", "not-hex-or-base64!"},
		{"reveal-update", "3", "2", hex.EncodeToString(digest), "many", "1", hex.EncodeToString(salt)},
	} {
		_, err := run(bad...)
		require.Error(t, err, bad)
	}
}

func find(t *testing.T, root *cobra.Command, path ...string) *cobra.Command {
	t.Helper()
	cmd, rest, err := root.Find(path)
	require.NoError(t, err, path)
	require.Empty(t, rest)
	require.Equal(t, path[len(path)-1], cmd.Name(), path)
	return cmd
}

func names(cmd *cobra.Command) []string {
	var out []string
	for _, c := range cmd.Commands() {
		out = append(out, c.Name())
	}
	return out
}

// autocliOptions are the module's autocli options as meshd builds them.
func autocliOptions() (moduletestutil.TestEncodingConfig, autocli.AppOptions) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	am := training.NewAppModule(enc.Codec, keeper.Keeper{})
	prefix := sdk.GetConfig().GetBech32AccountAddrPrefix()
	return enc, autocli.AppOptions{
		Modules:               map[string]appmodule.AppModule{types.ModuleName: am},
		ModuleOptions:         map[string]*autocliv1.ModuleOptions{types.ModuleName: am.AutoCLIOptions()},
		AddressCodec:          addresscodec.NewBech32Codec(prefix),
		ValidatorAddressCodec: addresscodec.NewBech32Codec(prefix + "valoper"),
		ConsensusAddressCodec: addresscodec.NewBech32Codec(prefix + "valcons"),
	}
}
