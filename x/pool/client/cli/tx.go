// Package cli holds the one x/pool tx command autocli cannot generate as
// wanted: create-pool, whose --commission flag has a default. (autocli does
// not apply defaults to cosmos.Dec flags, and an omitted Dec goes on the wire
// as 0, so a generated command would silently create 0 % pools.)
package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

const (
	// FlagCommission is the commission rate of create-pool.
	FlagCommission = "commission"
	// DefaultCommission is create-pool's commission when --commission is omitted.
	DefaultCommission = "0.05"
)

// GetTxCmd returns the `pool` tx command; autocli adds the generated
// subcommands (delegate, undelegate, unjail, claim) to it.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the pool module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(NewCreatePoolCmd())
	return cmd
}

// NewCreatePoolCmd returns `create-pool [self-bond] --commission [rate]`.
func NewCreatePoolCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-pool [self-bond] --commission [rate]",
		Short: "Create the sender's pool with a self-bond (at least base_min_stake)",
		Long: `Create the signing account's compute pool with a self-bond in the bond denom.
The self-bond must be at least base_min_stake; the commission rate (the
provider's cut of pool rewards) must not exceed max_commission_rate.`,
		Example: "meshd tx pool create-pool 100000000umesh --commission 0.05 --from provider",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := buildCreatePool(clientCtx.GetFromAddress(), args[0], cmd)
			if err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(FlagCommission, DefaultCommission, "commission rate in [0, max_commission_rate]")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func buildCreatePool(from sdk.AccAddress, selfBond string, cmd *cobra.Command) (*types.MsgCreatePool, error) {
	coin, err := sdk.ParseCoinNormalized(selfBond)
	if err != nil {
		return nil, fmt.Errorf("self-bond %q: %w", selfBond, err)
	}
	rateStr, err := cmd.Flags().GetString(FlagCommission)
	if err != nil {
		return nil, err
	}
	rate, err := math.LegacyNewDecFromStr(rateStr)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %w", FlagCommission, rateStr, err)
	}
	if err := types.ValidateCommissionRate(rate); err != nil {
		return nil, err
	}
	return &types.MsgCreatePool{Provider: from.String(), SelfBond: coin, CommissionRate: rate}, nil
}
