// Package cli holds the x/inference tx commands autocli cannot generate:
// request (inline input from text or a file, or a digest + URI), and the
// worker-side commit and reveal, which hash the output and build the
// commitment locally.
package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	ibcinfercli "github.com/llmesh/mesh/x/ibcinfer/client/cli"
	"github.com/llmesh/mesh/x/inference/types"
)

// Flags of the tx commands.
const (
	FlagMaxFee         = "max-fee"
	FlagFeesDenom      = "fees-denom"
	FlagRedundancy     = "redundancy"
	FlagMode           = "mode"
	FlagTolerance      = "tolerance"
	FlagDeadlineBlocks = "deadline-blocks"
	FlagCallback       = "callback"
	// FlagTrustSingleWorker sets trust_single_worker (issue 17 L5).
	FlagTrustSingleWorker = "trust-single-worker"
	FlagInputURI          = "input-uri"
	FlagInputDigest       = "input-digest"
	FlagSalt              = "salt"
	FlagOutputURI         = "output-uri"
	FlagOutputDigest      = "output-digest"
)

// GetTxCmd returns the `inference` tx command; autocli adds the generated
// subcommands (governance proposals) to it.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the inference module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	// request-ibc composes the ICS-20 transfer that requests an inference
	// from another chain; x/ibcinfer reads it on meshd.
	cmd.AddCommand(NewRequestCmd(), NewCommitCmd(), NewRevealCmd(), ibcinfercli.NewRequestIBCCmd())
	return cmd
}

// NewRequestCmd returns `request [model-id] [input]`.
func NewRequestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request [model-id] [input | @file] {--max-fee [coin] | --fees-denom [denom]}",
		Short: "Request an inference; max-fee is escrowed until the job ends",
		Long: `Request an inference from the network. The input is the text given, or the
contents of a file with @path (at most max_input_bytes). For a larger input,
omit it and give --input-uri and --input-digest (hex SHA-256 of the input).
A model may accept several denoms (its prices): max-fee's denom picks the
price, and max-fee must cover that price × redundancy; what is not charged
is refunded when the job ends. Instead of --max-fee, --fees-denom [denom]
asks the node for the model (and, without --redundancy, the
default_redundancy param) and escrows exactly the model's price in that
denom × redundancy. Follow the job with "meshd q inference job [id]".`,
		Example: `meshd tx inference request mesh-embedded-v1 "hello world" --max-fee 3000umesh --from alice
meshd tx inference request mesh-embedded-v1 "hello world" --fees-denom ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2 --from alice
meshd tx inference request mesh-embedded-v1 @prompt.txt --max-fee 5000umesh --redundancy 5 --from alice
meshd tx inference request price-oracle "BTC/USD" --max-fee 3000umesh --mode median --tolerance 50 --from alice
meshd tx inference request mesh-lm-v1 '{"messages":[{"role":"user","content":"Say hello"}]}' --mode verify --fees-denom umesh --from alice`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := buildRequest(clientCtx.GetFromAddress(), args, cmd, queryTerms(cmd, clientCtx))
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagMaxFee, "", "fee escrowed, in one of the model's price denoms, e.g. 3000umesh (this or --fees-denom)")
	cmd.Flags().String(FlagFeesDenom, "", "escrow the model's price in this denom × redundancy, read from the node (instead of --max-fee)")
	cmd.MarkFlagsMutuallyExclusive(FlagMaxFee, FlagFeesDenom)
	cmd.Flags().Uint32(FlagRedundancy, 0, "number of workers (0: the default_redundancy param)")
	cmd.Flags().String(FlagMode, "exact", "consensus mode: exact, median, or verify (generative models: one generator, redundancy − 1 verifiers; redundancy defaults to 4)")
	cmd.Flags().Int64(FlagTolerance, 0, "median mode: answers within this distance of the median agree")
	cmd.Flags().Int64(FlagDeadlineBlocks, 0, "blocks until the deadline (0: commit_blocks + reveal_blocks)")
	cmd.Flags().String(FlagCallback, "", "registered job-end callback, optional")
	cmd.Flags().Bool(FlagTrustSingleWorker, false, "accept a redundancy below the min_redundancy_untrusted param (no quorum checks the answer)")
	cmd.Flags().String(FlagInputURI, "", "URI of a large input (with --input-digest, instead of an inline input)")
	cmd.Flags().String(FlagInputDigest, "", "hex SHA-256 of the input given by --input-uri")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// termsFunc returns a model and the params, for --fees-denom.
type termsFunc func(modelID string) (types.Model, types.Params, error)

// queryTerms asks the node of clientCtx for the model and the params.
func queryTerms(cmd *cobra.Command, clientCtx client.Context) termsFunc {
	return func(modelID string) (types.Model, types.Params, error) {
		qc := types.NewQueryClient(clientCtx)
		m, err := qc.Model(cmd.Context(), &types.QueryModelRequest{Id: modelID})
		if err != nil {
			return types.Model{}, types.Params{}, fmt.Errorf("query model %s: %w", modelID, err)
		}
		p, err := qc.Params(cmd.Context(), &types.QueryParamsRequest{})
		if err != nil {
			return types.Model{}, types.Params{}, fmt.Errorf("query params: %w", err)
		}
		return m.Model, p.Params, nil
	}
}

func buildRequest(from sdk.AccAddress, args []string, cmd *cobra.Command, terms termsFunc) (*types.MsgRequestInference, error) {
	fs := cmd.Flags()
	msg := &types.MsgRequestInference{Requester: from.String(), ModelId: args[0]}
	var err error
	if msg.Redundancy, err = fs.GetUint32(FlagRedundancy); err != nil {
		return nil, err
	}
	msg.TrustSingleWorker, _ = fs.GetBool(FlagTrustSingleWorker)
	mode, _ := fs.GetString(FlagMode)
	var ok bool
	if msg.Mode, ok = types.ParseModeName(strings.ToLower(mode)); !ok {
		return nil, fmt.Errorf("--%s must be exact, median or verify, got %q", FlagMode, mode)
	}
	if msg.Mode == types.CONSENSUS_MODE_VERIFY && msg.Redundancy == 0 {
		msg.Redundancy = types.MinVerifyRedundancy // a generator and 3 verifiers
	}
	feeStr, _ := fs.GetString(FlagMaxFee)
	denom, _ := fs.GetString(FlagFeesDenom)
	switch {
	case feeStr != "" && denom != "":
		return nil, fmt.Errorf("give --%s or --%s, not both", FlagMaxFee, FlagFeesDenom)
	case feeStr != "":
		if msg.MaxFee, err = sdk.ParseCoinNormalized(feeStr); err != nil {
			return nil, fmt.Errorf("--%s: %w", FlagMaxFee, err)
		}
	case denom != "":
		if msg.MaxFee, msg.Redundancy, err = feeInDenom(msg.ModelId, denom, msg.Redundancy, msg.TrustSingleWorker, terms); err != nil {
			return nil, fmt.Errorf("--%s: %w", FlagFeesDenom, err)
		}
	default:
		return nil, fmt.Errorf("--%s or --%s is required", FlagMaxFee, FlagFeesDenom)
	}
	if len(args) == 2 {
		if msg.Input, err = readArg(args[1]); err != nil {
			return nil, err
		}
	}
	msg.InputUri, _ = fs.GetString(FlagInputURI)
	if d, _ := fs.GetString(FlagInputDigest); d != "" {
		if msg.InputDigest, err = hex.DecodeString(d); err != nil {
			return nil, fmt.Errorf("--%s: %w", FlagInputDigest, err)
		}
	}
	if msg.Tolerance, err = fs.GetInt64(FlagTolerance); err != nil {
		return nil, err
	}
	if msg.DeadlineBlocks, err = fs.GetInt64(FlagDeadlineBlocks); err != nil {
		return nil, err
	}
	msg.Callback, _ = fs.GetString(FlagCallback)
	return msg, nil
}

// feeInDenom is the model's price in denom × redundancy (0: the
// default_redundancy param, then pinned in the message so that a params
// change before the tx lands cannot raise the fee), the fee the chain will
// fix for the request: escrowing exactly that leaves nothing to refund.
func feeInDenom(modelID, denom string, redundancy uint32, trustSingleWorker bool, terms termsFunc) (sdk.Coin, uint32, error) {
	if err := sdk.ValidateDenom(denom); err != nil {
		return sdk.Coin{}, 0, err
	}
	model, params, err := terms(modelID)
	if err != nil {
		return sdk.Coin{}, 0, err
	}
	price, ok := model.PriceIn(denom)
	if !ok {
		return sdk.Coin{}, 0, fmt.Errorf("model %s is not priced in %s; its prices: %s", modelID, denom, model.Prices)
	}
	r, err := params.Redundancy(redundancy, trustSingleWorker)
	if err != nil {
		return sdk.Coin{}, 0, err
	}
	return sdk.NewCoin(denom, price.Amount.MulRaw(int64(r))), r, nil
}

// NewCommitCmd returns `commit [job-id] [output]`.
func NewCommitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit [job-id] [output | @file] [--salt hex]",
		Short: "Commit the signing worker's answer to a job (normally sent by meshd-worker)",
		Long: `Commit SHA-256(be64(job id) ‖ worker address ‖ SHA-256(output) ‖ salt).
The salt (16..64 bytes, hex) must be given again to reveal; without --salt a
random 32-byte salt is drawn and printed on stderr. For an output given by
URI, pass --output-digest (hex) instead of the output.`,
		Example: "meshd tx inference commit 7 @answer.txt --salt 5f1c…(32 bytes hex) --from worker",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			salt, _ := cmd.Flags().GetString(FlagSalt)
			if salt == "" {
				bz := make([]byte, 32)
				if _, err := rand.Read(bz); err != nil {
					return err
				}
				salt = hex.EncodeToString(bz)
				fmt.Fprintf(os.Stderr, "salt: %s (keep it to reveal)\n", salt)
				if err := cmd.Flags().Set(FlagSalt, salt); err != nil {
					return err
				}
			}
			msg, err := buildCommit(clientCtx.GetFromAddress(), args, cmd)
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagSalt, "", "hex salt, 16..64 bytes (default: random, printed)")
	cmd.Flags().String(FlagOutputDigest, "", "hex SHA-256 of an output given by URI (instead of the output)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func buildCommit(from sdk.AccAddress, args []string, cmd *cobra.Command) (*types.MsgCommitResult, error) {
	jobID, digest, salt, _, err := readAnswer(args, cmd)
	if err != nil {
		return nil, err
	}
	return &types.MsgCommitResult{
		Worker: from.String(), JobId: jobID, Commitment: types.Commitment(jobID, from, digest, salt),
	}, nil
}

// NewRevealCmd returns `reveal [job-id] [output]`.
func NewRevealCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reveal [job-id] [output | @file] --salt hex",
		Short: "Reveal the signing worker's committed answer (normally sent by meshd-worker)",
		Long: `Reveal the output committed with "commit", with the same salt. An output
larger than max_output_bytes is revealed by --output-uri and --output-digest.`,
		Example: "meshd tx inference reveal 7 @answer.txt --salt 5f1c… --from worker",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := buildReveal(clientCtx.GetFromAddress(), args, cmd)
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagSalt, "", "hex salt used in the commitment (required)")
	cmd.Flags().String(FlagOutputURI, "", "URI of a large output (with --output-digest)")
	cmd.Flags().String(FlagOutputDigest, "", "hex SHA-256 of the output given by --output-uri")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func buildReveal(from sdk.AccAddress, args []string, cmd *cobra.Command) (*types.MsgRevealResult, error) {
	jobID, digest, salt, output, err := readAnswer(args, cmd)
	if err != nil {
		return nil, err
	}
	msg := &types.MsgRevealResult{Worker: from.String(), JobId: jobID, Output: output, Salt: salt}
	if len(output) == 0 {
		msg.OutputDigest = digest
		msg.OutputUri, _ = cmd.Flags().GetString(FlagOutputURI)
	}
	return msg, nil
}

// readAnswer reads [job-id] [output | @file] --salt [--output-digest]: the
// job id, the output digest, the salt and the inline output (if given).
func readAnswer(args []string, cmd *cobra.Command) (jobID uint64, digest, salt, output []byte, err error) {
	if jobID, err = strconv.ParseUint(args[0], 10, 64); err != nil {
		return 0, nil, nil, nil, fmt.Errorf("job id %q: %w", args[0], err)
	}
	saltHex, _ := cmd.Flags().GetString(FlagSalt)
	if salt, err = hex.DecodeString(saltHex); err != nil || len(salt) < types.MinSaltLength || len(salt) > types.MaxSaltLength {
		return 0, nil, nil, nil, fmt.Errorf("--%s must be %d..%d bytes of hex", FlagSalt, types.MinSaltLength, types.MaxSaltLength)
	}
	if len(args) == 2 {
		if output, err = readArg(args[1]); err != nil {
			return 0, nil, nil, nil, err
		}
		return jobID, types.Digest(output), salt, output, nil
	}
	d, _ := cmd.Flags().GetString(FlagOutputDigest)
	if digest, err = hex.DecodeString(d); err != nil || len(digest) != types.DigestLength {
		return 0, nil, nil, nil, fmt.Errorf("give the output, or --%s as 32 bytes of hex", FlagOutputDigest)
	}
	return jobID, digest, salt, nil, nil
}

// readArg returns arg, or the contents of the file when arg is @path.
func readArg(arg string) ([]byte, error) {
	if path, ok := strings.CutPrefix(arg, "@"); ok {
		bz, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return bz, nil
	}
	return []byte(arg), nil
}
