package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/training/types"
)

func testEncoding() moduletestutil.TestEncodingConfig {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	return enc
}

// writeFile writes content to a temporary file named name and returns its path.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	return path
}

func alice(t *testing.T, enc moduletestutil.TestEncodingConfig) string {
	t.Helper()
	s, err := enc.InterfaceRegistry.SigningContext().AddressCodec().BytesToString(sdk.AccAddress("alice_______________"))
	require.NoError(t, err)
	return s
}

func TestBuildContribute(t *testing.T) {
	enc := testEncoding()
	from := alice(t, enc)
	content := []byte("the cat sat on the mat\n")
	sum := sha256.Sum256(content)
	path := writeFile(t, "item.txt", content)

	// Inline: the file's bytes, no digest (the chain computes it), no URI.
	msg, err := buildContribute(from, "3", path, "")
	require.NoError(t, err)
	require.Equal(t, &types.MsgContributeItem{Contributor: from, DatasetId: 3, Data: content}, msg)

	// --uri: only the file's SHA-256 and the URI.
	msg, err = buildContribute(from, "3", path, "https://data.example/item.txt")
	require.NoError(t, err)
	require.Equal(t, &types.MsgContributeItem{Contributor: from, DatasetId: 3, Digest: sum[:], Uri: "https://data.example/item.txt"}, msg)

	// A file too large for any chain's inline limit is fine by URI.
	big := writeFile(t, "big.bin", bytes.Repeat([]byte{7}, types.MaxInlineBound+1))
	_, err = buildContribute(from, "3", big, "")
	require.ErrorContains(t, err, "more than any chain takes inline (65536; max_inline_item_bytes may be lower): store it elsewhere and give --uri")
	msg, err = buildContribute(from, "3", big, "ipfs://bafybig")
	require.NoError(t, err)
	require.Len(t, msg.Digest, 32)
	require.Empty(t, msg.Data)

	for _, tc := range []struct {
		name, dataset, path, uri, wantErr string
	}{
		{"missing file", "3", filepath.Join(t.TempDir(), "nope.txt"), "", "nope.txt\" does not exist"},
		{"empty file", "3", writeFile(t, "empty.txt", nil), "", "is empty"},
		{"dataset not a number", "cats", path, "", `dataset id "cats": want a positive integer`},
		{"dataset 0", "0", path, "", `dataset id "0": want a positive integer`},
		{"uri with spaces", "3", path, "https://x/a b", "uri: want 1 to 512 printable characters without spaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildContribute(from, tc.dataset, tc.path, tc.uri)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	_, err = buildContribute("", "3", path, "")
	require.ErrorIs(t, err, types.ErrInvalidAddress)
}

const taskJSON = `{
  "base_model_id": "mesh-embedded-v1",
  "dataset_ids": [1, 4],
  "rounds": 3,
  "participants_per_round": 3,
  "aggregators_per_round": 3,
  "aggregation": "trimmed_mean",
  "hyperparams": {
    "lr": "0.01",
    "epochs": 1,
    "layers": ["head"]
  },
  "budget": "30000000umesh"
}`

func TestBuildCreateTask(t *testing.T) {
	enc := testEncoding()
	from := alice(t, enc)

	msg, err := buildCreateTask(from, writeFile(t, "task.json", []byte(taskJSON)))
	require.NoError(t, err)
	require.Equal(t, &types.MsgCreateTask{
		Creator: from, BaseModelId: "mesh-embedded-v1", DatasetIds: []uint64{1, 4},
		Rounds: 3, ParticipantsPerRound: 3, AggregatorsPerRound: 3,
		Aggregation: types.AGGREGATION_TRIMMED_MEAN,
		Hyperparams: `{"lr":"0.01","epochs":1,"layers":["head"]}`,
		Budget:      sdk.NewInt64Coin("umesh", 30_000_000),
	}, msg)

	for word, want := range map[string]types.Aggregation{
		"fedavg": types.AGGREGATION_FEDAVG, "FedAvg": types.AGGREGATION_FEDAVG, "median": types.AGGREGATION_MEDIAN,
		"trimmed-mean": types.AGGREGATION_TRIMMED_MEAN,
	} {
		content := strings.Replace(taskJSON, `"trimmed_mean"`, `"`+word+`"`, 1)
		msg, err := buildCreateTask(from, writeFile(t, "task.json", []byte(content)))
		require.NoError(t, err, word)
		require.Equal(t, want, msg.Aggregation, word)
	}
	// No hyperparams (absent or null) is an empty string.
	for _, content := range []string{
		strings.Replace(taskJSON, `"hyperparams": {
    "lr": "0.01",
    "epochs": 1,
    "layers": ["head"]
  },`, "", 1),
		strings.Replace(taskJSON, `{
    "lr": "0.01",
    "epochs": 1,
    "layers": ["head"]
  }`, "null", 1),
	} {
		require.NotEqual(t, taskJSON, content)
		msg, err := buildCreateTask(from, writeFile(t, "task.json", []byte(content)))
		require.NoError(t, err)
		require.Empty(t, msg.Hyperparams)
	}

	long := `{"k": "` + strings.Repeat("x", types.MaxHyperparamsLength) + `"}`
	for _, tc := range []struct {
		name    string
		content string // "" = no file
		wantErr string
	}{
		{name: "missing file", wantErr: "task file"},
		{name: "bad JSON", content: `{"rounds": 3,`, wantErr: "is not a valid task"},
		{name: "not an object", content: `[1]`, wantErr: "is not a valid task"},
		{name: "unknown field", content: strings.Replace(taskJSON, `"rounds"`, `"round"`, 1), wantErr: `unknown field "round"`},
		{name: "two values", content: taskJSON + "\n{}", wantErr: "has more than one JSON value"},
		{name: "rounds as text", content: strings.Replace(taskJSON, `"rounds": 3`, `"rounds": "3"`, 1), wantErr: "is not a valid task"},
		{name: "negative dataset", content: strings.Replace(taskJSON, `[1, 4]`, `[-1]`, 1), wantErr: "is not a valid task"},
		{name: "unknown aggregation", content: strings.Replace(taskJSON, `"trimmed_mean"`, `"mean"`, 1), wantErr: `aggregation "mean": want fedavg, trimmed_mean or median`},
		{name: "no aggregation", content: strings.Replace(taskJSON, `"aggregation": "trimmed_mean",`, "", 1), wantErr: `aggregation "": want`},
		{name: "hyperparams not an object", content: strings.Replace(taskJSON, `"hyperparams": {`, `"hyperparams": ["x"], "x": {`, 1), wantErr: "is not a valid task"},
		{name: "hyperparams a string", content: strings.Replace(taskJSON, `"budget"`, `"hyperparams": "lr=0.1", "budget"`, 1), wantErr: "hyperparams: want a JSON object"},
		{name: "hyperparams too long", content: strings.Replace(taskJSON, `"budget"`, `"hyperparams": `+long+`, "budget"`, 1), wantErr: "hyperparams of 1032 bytes: want at most 1024"},
		{name: "no budget", content: strings.Replace(taskJSON, `,
  "budget": "30000000umesh"`, "", 1), wantErr: `has no budget (e.g. "budget": "30000000umesh")`},
		{name: "bad budget", content: strings.Replace(taskJSON, `"30000000umesh"`, `"lots"`, 1), wantErr: `budget "lots"`},
		{name: "two coins", content: strings.Replace(taskJSON, `"30000000umesh"`, `"1umesh,2uatom"`, 1), wantErr: `budget "1umesh,2uatom"`},
		{name: "zero budget", content: strings.Replace(taskJSON, `"30000000umesh"`, `"0umesh"`, 1), wantErr: "must be a valid positive coin"},
		{name: "no base model", content: strings.Replace(taskJSON, `"mesh-embedded-v1"`, `""`, 1), wantErr: "invalid task"},
		{name: "no datasets", content: strings.Replace(taskJSON, `[1, 4]`, `[]`, 1), wantErr: "0 dataset_ids: want 1 to 16"},
		{name: "zero rounds", content: strings.Replace(taskJSON, `"rounds": 3`, `"rounds": 0`, 1), wantErr: "rounds 0: want 1 to 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.json")
			if tc.content != "" {
				path = writeFile(t, "task.json", []byte(tc.content))
			}
			_, err := buildCreateTask(from, path)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	_, err = buildCreateTask(from, filepath.Join(t.TempDir(), "gone.json"))
	require.ErrorContains(t, err, `gone.json" does not exist`)
}

// run executes `tx training args… --from alice --generate-only` (no node,
// no signing) and returns stdout, stderr and the error.
func run(t *testing.T, enc moduletestutil.TestEncodingConfig, args ...string) (string, string, error) {
	t.Helper()
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	clientCtx := client.Context{}.WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).WithKeyring(keyring.NewInMemory(enc.Codec)).WithOutput(out).WithChainID("mesh-test")
	cmd := GetTxCmd()
	cmd.SetArgs(append(args, "--from", alice(t, enc), "--generate-only"))
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx))
	return out.String(), errOut.String(), err
}

// TestGenerateOnly runs both commands with --generate-only and checks the
// unsigned transactions.
func TestGenerateOnly(t *testing.T) {
	enc := testEncoding()
	from := alice(t, enc)
	content := []byte("a picture of a cat")
	sum := sha256.Sum256(content)
	item := writeFile(t, "cat.txt", content)
	msgOf := func(out string) sdk.Msg {
		t.Helper()
		tx, err := enc.TxConfig.TxJSONDecoder()([]byte(out))
		require.NoError(t, err, out)
		require.Len(t, tx.GetMsgs(), 1)
		return tx.GetMsgs()[0]
	}

	out, errOut, err := run(t, enc, "contribute", "2", item)
	require.NoError(t, err)
	require.Equal(t, &types.MsgContributeItem{Contributor: from, DatasetId: 2, Data: content}, msgOf(out))
	require.Contains(t, errOut, "item digest: "+hex.EncodeToString(sum[:]))

	out, _, err = run(t, enc, "contribute", "2", item, "--uri", "https://data.example/cat.txt")
	require.NoError(t, err)
	require.Equal(t, &types.MsgContributeItem{Contributor: from, DatasetId: 2, Digest: sum[:], Uri: "https://data.example/cat.txt"}, msgOf(out))
	require.Contains(t, out, `"@type":"/mesh.training.v1.MsgContributeItem"`)

	out, _, err = run(t, enc, "create-task", writeFile(t, "task.json", []byte(taskJSON)))
	require.NoError(t, err)
	task, ok := msgOf(out).(*types.MsgCreateTask)
	require.True(t, ok)
	require.Equal(t, from, task.Creator)
	require.Equal(t, `{"lr":"0.01","epochs":1,"layers":["head"]}`, task.Hyperparams)
	require.Equal(t, sdk.NewInt64Coin("umesh", 30_000_000), task.Budget)

	// Errors come before anything is built or printed.
	out, _, err = run(t, enc, "contribute", "2", filepath.Join(t.TempDir(), "missing.txt"))
	require.ErrorContains(t, err, "does not exist")
	require.NotContains(t, out, "@type")
	_, _, err = run(t, enc, "create-task", writeFile(t, "task.json", []byte(`{"model": "x"}`)))
	require.ErrorContains(t, err, `unknown field "model"`)
	_, _, err = run(t, enc, "contribute", "2")
	require.Error(t, err)
}
