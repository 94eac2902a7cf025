// Package cli holds the one x/rewards query autocli cannot generate as
// wanted: pending, which with no argument asks about the --from key (autocli
// query commands have no --from).
package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// GetQueryCmd returns the `rewards` query command; autocli adds the
// generated subcommands (params, epoch, epochs, pot) to it.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Querying commands for the rewards module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(NewPendingCmd())
	return cmd
}

// NewPendingCmd returns `pending [address-or-key]`.
func NewPendingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pending [address-or-key]",
		Short: "Show what an account can claim now and its points in the open epoch",
		Long: `Show what a claim would pay an account from closed epochs, how many epochs
that covers, its points in the open epoch (paid after it closes), and whether
a claim pays into the account's pool. The account is a bech32 address or the
name of a key in the keyring; without an argument it is --from (or the
client's default key).`,
		Example: "meshd q rewards pending provider-2\nmeshd q rewards pending mesh1...\nmeshd q rewards pending --from provider-2",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			from, err := cmd.Flags().GetString(flags.FlagFrom)
			if err != nil {
				return err
			}
			account, err := resolveAccount(clientCtx, args, from)
			if err != nil {
				return err
			}
			res, err := types.NewQueryClient(clientCtx).Pending(cmd.Context(), &types.QueryPendingRequest{Account: account})
			if err != nil {
				return err
			}
			return clientCtx.PrintProto(res)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	flags.AddKeyringFlags(cmd.Flags())
	cmd.Flags().String(flags.FlagFrom, "", "Name or address of the account to look at, when no argument is given")
	return cmd
}

// resolveAccount picks the account of a pending query: the argument, else
// --from, else the client's default key; then turns it into a bech32
// address. Unlike client.GetClientTxContext, which resolves --from only
// through the keyring, an address needs no key here.
func resolveAccount(clientCtx client.Context, args []string, from string) (string, error) {
	var nameOrAddr string
	switch {
	case len(args) > 0 && from != "":
		return "", fmt.Errorf("give the account as an argument or with --%s, not both", flags.FlagFrom)
	case len(args) > 0:
		nameOrAddr = args[0]
	case from != "":
		nameOrAddr = from
	default:
		nameOrAddr = clientCtx.KeyringDefaultKeyName
	}
	if nameOrAddr == "" {
		return "", fmt.Errorf("no account: give an address or key name, or --%s", flags.FlagFrom)
	}
	if addr, err := sdk.AccAddressFromBech32(nameOrAddr); err == nil {
		return addr.String(), nil
	}
	if clientCtx.Keyring == nil {
		return "", fmt.Errorf("%q is not a bech32 address, and no keyring is open to look it up as a key name", nameOrAddr)
	}
	rec, err := clientCtx.Keyring.Key(nameOrAddr)
	if err != nil {
		return "", fmt.Errorf("%q is neither a bech32 address nor a key in the keyring: %w", nameOrAddr, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return "", fmt.Errorf("key %q: %w", nameOrAddr, err)
	}
	return addr.String(), nil
}
