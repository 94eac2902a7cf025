// Package cli holds the hand-written x/ibcinfer commands; autocli makes the
// others (autocli.go).
package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	clienttypes "github.com/cosmos/ibc-go/v11/modules/core/02-client/types"

	"github.com/llmesh/mesh/x/ibcinfer/types"
)

// Flags of request-ibc.
const (
	FlagRedundancy    = "redundancy"
	FlagMode          = "mode"
	FlagTolerance     = "tolerance"
	FlagMaxBlocks     = "max-blocks"
	FlagReceiver      = "receiver"
	FlagPacketTimeout = "packet-timeout"
	FlagSourceBinary  = "source-binary"
	// FlagTrustSingleWorker opts into a redundancy below min_redundancy_untrusted.
	FlagTrustSingleWorker = "trust-single-worker"
)

// DefaultReceiver is the packet receiver request-ibc writes: meshd ignores
// the receiver of an inference packet (the tokens go to the sender's
// derived account), but ICS-20 needs a non-empty one.
const DefaultReceiver = "ibcinfer"

// Memo is the ICS-20 memo of an inference request, as compact JSON.
func Memo(m types.InferMemo) (string, error) {
	if err := m.Validate(); err != nil {
		return "", err
	}
	bz, err := json.Marshal(map[string]map[string]types.InferMemo{types.MemoKey: {"infer": m}})
	if err != nil {
		return "", err
	}
	return string(bz), nil
}

// NewRequestIBCCmd returns `request-ibc [channel] [model] [input] [amount]`,
// registered under `meshd tx inference`.
func NewRequestIBCCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request-ibc [source-channel] [model-id] [input] [amount]",
		Short: "Compose (or send, from another meshd chain) the ICS-20 transfer that requests an inference on meshd",
		Long: `Request an inference on meshd from another chain: an ICS-20 transfer of
[amount] on [source-channel] (the channel on the SOURCE chain that leads to
meshd) with the memo {"mesh":{"infer":{…}}}. The tokens pay the job
(meshd must price the model in the voucher they become); the answer comes
back in the packet's acknowledgement, and the unspent fee by a second
transfer. See docs/ibc.md.

Without --from, the command prints the memo and the transfer command for the
source chain's CLI (--source-binary, default injectived). With --from, it
sends the transfer from the chain --node points at, which must be a meshd
chain (or any chain this binary can sign for).`,
		Example: `# print the Injective command
meshd tx inference request-ibc channel-77 mesh-embedded-v1 "proposal text" 5000000000000000000inj --redundancy 2
# send it from another meshd chain
meshd tx inference request-ibc channel-0 mesh-embedded-v1 "proposal text" 5000000000000000000inj --from user --node tcp://127.0.0.1:36657 --chain-id inj-local-1 -y`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			channel, model, input := args[0], args[1], args[2]
			coin, err := sdk.ParseCoinNormalized(args[3])
			if err != nil {
				return fmt.Errorf("amount %q: %w", args[3], err)
			}
			m := types.InferMemo{Model: model, Input: input}
			if m.Redundancy, err = cmd.Flags().GetUint32(FlagRedundancy); err != nil {
				return err
			}
			if m.Mode, err = cmd.Flags().GetString(FlagMode); err != nil {
				return err
			}
			if m.Mode == "exact" {
				m.Mode = "" // the default: keep the memo short
			}
			if m.Tolerance, err = cmd.Flags().GetInt64(FlagTolerance); err != nil {
				return err
			}
			if m.MaxBlocks, err = cmd.Flags().GetInt64(FlagMaxBlocks); err != nil {
				return err
			}
			if m.TrustSingleWorker, err = cmd.Flags().GetBool(FlagTrustSingleWorker); err != nil {
				return err
			}
			memo, err := Memo(m)
			if err != nil {
				return err
			}
			receiver, _ := cmd.Flags().GetString(FlagReceiver)
			timeout, _ := cmd.Flags().GetDuration(FlagPacketTimeout)
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			if from == "" {
				binary, _ := cmd.Flags().GetString(FlagSourceBinary)
				out := cmd.OutOrStdout()
				_, _ = fmt.Fprintf(out, "memo: %s\n\n", memo)
				_, _ = fmt.Fprintf(out, "%s tx ibc-transfer transfer transfer %s %s %s --memo %s --packet-timeout-timestamp %d --from <key>\n",
					binary, channel, receiver, coin, shellQuote(memo), timeout.Nanoseconds())
				return nil
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := transfertypes.NewMsgTransfer(transfertypes.PortID, channel, coin, clientCtx.GetFromAddress().String(), receiver,
				clienttypes.ZeroHeight(), uint64(time.Now().Add(timeout).UnixNano()), memo)
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().Uint32(FlagRedundancy, 0, "number of workers (0: meshd's default_redundancy)")
	cmd.Flags().String(FlagMode, "exact", "consensus mode: exact or median")
	cmd.Flags().Int64(FlagTolerance, 0, "median mode: answers within this distance of the median agree")
	cmd.Flags().Int64(FlagMaxBlocks, 0, "the job's deadline in meshd blocks (0: commit_blocks + reveal_blocks)")
	cmd.Flags().Bool(FlagTrustSingleWorker, false, "accept a redundancy below meshd's min_redundancy_untrusted (one worker's answer, unchecked)")
	cmd.Flags().String(FlagReceiver, DefaultReceiver, "packet receiver (ignored by meshd; ICS-20 needs a non-empty one)")
	cmd.Flags().Duration(FlagPacketTimeout, 10*time.Minute, "packet timeout, from now (the packet must reach meshd by then)")
	cmd.Flags().String(FlagSourceBinary, "injectived", "CLI of the source chain, in the printed command")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
