package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

func testEncoding() moduletestutil.TestEncodingConfig {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	inferencetypes.RegisterInterfaces(enc.InterfaceRegistry)
	return enc
}

// writeFile writes content to a temporary proposal file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "proposal.json")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// proposalJSON is a proposal changing x/inference params and spending from
// the treasury, signed by dao; it is rewritten by the cases below.
const proposalJSON = `{
  "title": "Raise the input limit and fund the docs",
  "summary": "Allow 8 KiB prompts; pay the docs team.",
  "metadata": "ipfs://bafy",
  "messages": [
    {
      "@type": "/mesh.inference.v1.MsgUpdateParams",
      "authority": "DAO",
      "params": {
        "fee_denoms": [], "max_input_bytes": 8192, "max_output_bytes": 1024,
        "min_redundancy": 1, "max_redundancy": 7, "default_redundancy": 3,
        "commit_blocks": "10", "reveal_blocks": "10", "max_open_jobs_per_worker": 8,
        "fee_burn_bps": 500, "protocol_fee_bps": 1000, "speed_bonus_bps": 1000,
        "liar_slash_fraction": "0.010000000000000000", "max_expirations_per_block": 100,
        "job_retention_blocks": "100000", "max_callback_gas": "2000000", "max_callbacks_per_block": 5
      }
    },
    {
      "@type": "/cosmos.bank.v1beta1.MsgSend",
      "from_address": "DAO",
      "to_address": "TEAM",
      "amount": [{"denom": "umesh", "amount": "5000000000"}]
    }
  ],
  "deposit": "100000000umesh"
}`

func TestBuildSubmitProposal(t *testing.T) {
	enc := testEncoding()
	ac := enc.InterfaceRegistry.SigningContext().AddressCodec()
	str := func(a sdk.AccAddress) string {
		s, err := ac.BytesToString(a)
		require.NoError(t, err)
		return s
	}
	dao := str(authtypes.NewModuleAddress(types.ModuleName))
	team := str(sdk.AccAddress("team________________"))
	proposer := str(sdk.AccAddress("alice_______________"))
	valid := strings.NewReplacer(`"DAO"`, `"`+dao+`"`, `"TEAM"`, `"`+team+`"`).Replace(proposalJSON)

	msg, err := buildSubmitProposal(enc.Codec, ac, proposer, writeFile(t, valid))
	require.NoError(t, err)
	require.Equal(t, proposer, msg.Proposer)
	require.Equal(t, "Raise the input limit and fund the docs", msg.Title)
	require.Equal(t, "Allow 8 KiB prompts; pay the docs team.", msg.Summary)
	require.Equal(t, "ipfs://bafy", msg.Metadata)
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin("umesh", 100_000_000)), msg.Deposit)
	require.Len(t, msg.Messages, 2)
	require.Equal(t, "/mesh.inference.v1.MsgUpdateParams", msg.Messages[0].TypeUrl)
	up, ok := msg.Messages[0].GetCachedValue().(*inferencetypes.MsgUpdateParams)
	require.True(t, ok)
	require.Equal(t, dao, up.Authority)
	require.Equal(t, uint32(8192), up.Params.MaxInputBytes)
	require.NoError(t, up.Params.Validate())
	send, ok := msg.Messages[1].GetCachedValue().(*banktypes.MsgSend)
	require.True(t, ok)
	require.Equal(t, &banktypes.MsgSend{FromAddress: dao, ToAddress: team, Amount: sdk.NewCoins(sdk.NewInt64Coin("umesh", 5_000_000_000))}, send)

	for _, tc := range []struct {
		name    string
		content string // "" = no file
		wantErr string
	}{
		{name: "missing file", wantErr: "does not exist; see `meshd tx dao submit-proposal --help`"},
		{name: "bad JSON", content: `{"title": "x",`, wantErr: "is not a valid proposal"},
		{name: "not an object", content: `[1, 2]`, wantErr: "is not a valid proposal"},
		{name: "misspelt field", content: strings.Replace(valid, `"summary"`, `"description"`, 1), wantErr: `unknown field "description"`},
		{name: "no messages", content: `{"title": "t", "summary": "s", "messages": [], "deposit": "1umesh"}`, wantErr: "has no messages"},
		{name: "unknown @type", content: strings.Replace(valid, "/cosmos.bank.v1beta1.MsgSend", "/cosmos.bank.v1beta1.MsgSpend", 1), wantErr: "message 1: "},
		{name: "message without @type", content: `{"title": "t", "summary": "s", "messages": [{"authority": "` + dao + `"}], "deposit": "1umesh"}`, wantErr: "message 0: "},
		{name: "bad message field", content: strings.Replace(valid, `"max_input_bytes": 8192`, `"max_input_bytes": "many"`, 1), wantErr: "message 0: "},
		{name: "signer is not the DAO", content: strings.Replace(valid, `"from_address": "`+dao+`"`, `"from_address": "`+team+`"`, 1), wantErr: "message 1 (/cosmos.bank.v1beta1.MsgSend): its signer must be the DAO account " + dao},
		{name: "bad deposit", content: strings.Replace(valid, `"100000000umesh"`, `"lots"`, 1), wantErr: `deposit "lots"`},
		{name: "negative deposit", content: strings.Replace(valid, `"100000000umesh"`, `"-5umesh"`, 1), wantErr: `deposit "-5umesh"`},
		{name: "empty title", content: strings.Replace(valid, `"Raise the input limit and fund the docs"`, `""`, 1), wantErr: "title must be 1 to 140"},
		{name: "empty summary", content: strings.Replace(valid, `"Allow 8 KiB prompts; pay the docs team."`, `""`, 1), wantErr: "summary must be 1 to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.json")
			if tc.content != "" {
				path = writeFile(t, tc.content)
			}
			_, err := buildSubmitProposal(enc.Codec, ac, proposer, path)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}

	// The proposer must be a valid address (it is --from in the command).
	_, err = buildSubmitProposal(enc.Codec, ac, "", writeFile(t, valid))
	require.ErrorIs(t, err, types.ErrInvalidAddress)
	// No deposit is well-formed here; the chain checks min_deposit.
	msg, err = buildSubmitProposal(enc.Codec, ac, proposer, writeFile(t, strings.Replace(valid, `"100000000umesh"`, `""`, 1)))
	require.NoError(t, err)
	require.True(t, msg.Deposit.IsZero())
}

// TestSubmitProposalGenerateOnly runs the command with --generate-only
// (no node, no signing) and checks the unsigned transaction.
func TestSubmitProposalGenerateOnly(t *testing.T) {
	enc := testEncoding()
	ac := enc.InterfaceRegistry.SigningContext().AddressCodec()
	dao, err := ac.BytesToString(authtypes.NewModuleAddress(types.ModuleName))
	require.NoError(t, err)
	team, err := ac.BytesToString(sdk.AccAddress("team________________"))
	require.NoError(t, err)
	proposer, err := ac.BytesToString(sdk.AccAddress("alice_______________"))
	require.NoError(t, err)
	path := writeFile(t, strings.NewReplacer(`"DAO"`, `"`+dao+`"`, `"TEAM"`, `"`+team+`"`).Replace(proposalJSON))

	out := &bytes.Buffer{}
	clientCtx := client.Context{}.WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).WithKeyring(keyring.NewInMemory(enc.Codec)).WithOutput(out).WithChainID("mesh-test")
	cmd := GetTxCmd()
	cmd.SetArgs([]string{"submit-proposal", path, "--from", proposer, "--generate-only"})
	cmd.SetOut(out)
	require.NoError(t, cmd.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx)))

	tx, err := enc.TxConfig.TxJSONDecoder()(out.Bytes())
	require.NoError(t, err, out.String())
	msgs := tx.GetMsgs()
	require.Len(t, msgs, 1)
	submit, ok := msgs[0].(*types.MsgSubmitProposal)
	require.True(t, ok, "%T", msgs[0])
	require.Equal(t, proposer, submit.Proposer)
	require.Equal(t, "Raise the input limit and fund the docs", submit.Title)
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin("umesh", 100_000_000)), submit.Deposit)
	require.Len(t, submit.Messages, 2)
	require.Equal(t, "/mesh.inference.v1.MsgUpdateParams", submit.Messages[0].TypeUrl)
	require.Equal(t, "/cosmos.bank.v1beta1.MsgSend", submit.Messages[1].TypeUrl)
	require.Contains(t, out.String(), `"@type":"/mesh.dao.v1.MsgSubmitProposal"`)
	require.Contains(t, out.String(), `"from_address":"`+dao+`"`)

	// A missing file fails before anything is built.
	cmd = GetTxCmd()
	cmd.SetArgs([]string{"submit-proposal", filepath.Join(t.TempDir(), "nope.json"), "--from", proposer, "--generate-only"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err = cmd.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx))
	require.ErrorContains(t, err, "does not exist")
}
