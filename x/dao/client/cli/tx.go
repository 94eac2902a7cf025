// Package cli holds the one x/dao tx command autocli cannot generate:
// submit-proposal, whose messages are sdk.Msgs of any module read from a
// JSON file (autocli has no way to fill a repeated Any).
package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"cosmossdk.io/core/address"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// GetTxCmd returns the `dao` tx command; autocli adds the generated
// subcommands (lock, extend-lock, unlock, delegate, undelegate, vote,
// execute) to it.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the dao module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(NewSubmitProposalCmd())
	return cmd
}

// NewSubmitProposalCmd returns `submit-proposal [file.json]`.
func NewSubmitProposalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "submit-proposal [file.json]",
		Short: "Submit a DAO proposal (messages the DAO account executes if it passes) from a JSON file",
		Long: `Submit a proposal to the DAO. The proposer is --from and pays the deposit
(at least min_deposit), held in escrow until the outcome. The file holds:

{
  "title": "Raise the inference input limit",
  "summary": "Allow 8 KiB prompts.",
  "metadata": "ipfs://… (optional, at most 512 characters)",
  "messages": [
    {
      "@type": "/mesh.inference.v1.MsgUpdateParams",
      "authority": "<the DAO address>",
      "params": { … all the params … }
    }
  ],
  "deposit": "100000000umesh"
}

Each message is the proto JSON of an sdk.Msg with its "@type". The DAO module
account executes them, so each must have the DAO account as its only signer
("authority", or "from_address" of a bank MsgSend spending the treasury). Its
address is printed by:

  meshd q dao treasury
  meshd q auth module-account dao`,
		Example: "meshd tx dao submit-proposal proposal.json --from alice --gas auto --gas-adjustment 1.5",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			cdc := clientCtx.Codec
			ac := cdc.InterfaceRegistry().SigningContext().AddressCodec()
			proposer, err := ac.BytesToString(clientCtx.GetFromAddress())
			if err != nil {
				return fmt.Errorf("proposer (--%s): %w", flags.FlagFrom, err)
			}
			msg, err := buildSubmitProposal(cdc, ac, proposer, args[0])
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// proposalFile is the JSON file of submit-proposal.
type proposalFile struct {
	Title    string            `json:"title"`
	Summary  string            `json:"summary"`
	Metadata string            `json:"metadata"`
	Messages []json.RawMessage `json:"messages"`
	Deposit  string            `json:"deposit"`
}

// buildSubmitProposal reads the proposal file at path and returns the
// MsgSubmitProposal of proposer, checked as the chain checks it before it
// reads params: each message decodes to a registered sdk.Msg, passes its
// ValidateBasic and has the DAO account as its only signer, and the texts
// and deposit are well-formed. min_deposit, max_messages and whether the
// chain routes each message are left to the chain.
func buildSubmitProposal(cdc codec.Codec, ac address.Codec, proposer, path string) (*types.MsgSubmitProposal, error) {
	bz, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("proposal file %q does not exist; see `meshd tx dao submit-proposal --help` for its format", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read proposal file: %w", err)
	}
	var pf proposalFile
	dec := json.NewDecoder(bytes.NewReader(bz))
	// A misspelt field ("description", "initial_deposit") would otherwise be
	// dropped silently and the proposal sent without it.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pf); err != nil {
		return nil, fmt.Errorf("proposal file %q is not a valid proposal (fields: title, summary, metadata, messages, deposit): %w", path, err)
	}
	if len(pf.Messages) == 0 {
		return nil, fmt.Errorf("proposal file %q has no messages: a proposal executes at least one", path)
	}

	dao := authtypes.NewModuleAddress(types.ModuleName)
	daoStr, err := ac.BytesToString(dao)
	if err != nil {
		return nil, err
	}
	anys := make([]*codectypes.Any, len(pf.Messages))
	for i, raw := range pf.Messages {
		var msg sdk.Msg
		if err := cdc.UnmarshalInterfaceJSON(raw, &msg); err != nil {
			return nil, fmt.Errorf("message %d: %w (each message needs the \"@type\" of a Msg meshd knows, e.g. /cosmos.bank.v1beta1.MsgSend, and that Msg's JSON fields)", i, err)
		}
		if m, ok := msg.(sdk.HasValidateBasic); ok {
			if err := m.ValidateBasic(); err != nil {
				return nil, fmt.Errorf("message %d (%s): %w", i, sdk.MsgTypeURL(msg), err)
			}
		}
		signers, _, err := cdc.GetMsgV1Signers(msg)
		if err != nil {
			return nil, fmt.Errorf("message %d (%s): signers: %w", i, sdk.MsgTypeURL(msg), err)
		}
		if len(signers) != 1 || !bytes.Equal(signers[0], dao) {
			return nil, fmt.Errorf("message %d (%s): its signer must be the DAO account %s alone (put it in \"authority\" or \"from_address\"; `meshd q dao treasury` prints it)",
				i, sdk.MsgTypeURL(msg), daoStr)
		}
		if anys[i], err = codectypes.NewAnyWithValue(msg); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
	}

	deposit, err := sdk.ParseCoinsNormalized(pf.Deposit)
	if err != nil {
		return nil, fmt.Errorf("deposit %q: %w (want coins like 100000000umesh)", pf.Deposit, err)
	}
	msg := &types.MsgSubmitProposal{
		Proposer: proposer,
		Title:    pf.Title,
		Summary:  pf.Summary,
		Metadata: pf.Metadata,
		Messages: anys,
		Deposit:  deposit,
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	return msg, nil
}
