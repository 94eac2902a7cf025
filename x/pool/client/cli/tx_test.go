package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

func TestBuildCreatePool(t *testing.T) {
	from := sdk.AccAddress("provider____________")
	cmd := NewCreatePoolCmd()

	msg, err := buildCreatePool(from, "100000000umesh", cmd)
	require.NoError(t, err)
	require.Equal(t, &types.MsgCreatePool{
		Provider: from.String(), SelfBond: sdk.NewInt64Coin("umesh", 100_000_000), CommissionRate: math.LegacyMustNewDecFromStr("0.05"),
	}, msg, "default commission 0.05")

	require.NoError(t, cmd.Flags().Set(FlagCommission, "0.2"))
	msg, err = buildCreatePool(from, "5umesh", cmd)
	require.NoError(t, err)
	require.Equal(t, math.LegacyMustNewDecFromStr("0.2"), msg.CommissionRate)

	require.NoError(t, cmd.Flags().Set(FlagCommission, "1.5"))
	_, err = buildCreatePool(from, "5umesh", cmd)
	require.ErrorIs(t, err, types.ErrInvalidCommission)
	require.NoError(t, cmd.Flags().Set(FlagCommission, "abc"))
	_, err = buildCreatePool(from, "5umesh", cmd)
	require.Error(t, err)
	require.NoError(t, cmd.Flags().Set(FlagCommission, "0"))
	_, err = buildCreatePool(from, "five", cmd)
	require.Error(t, err)

	require.Error(t, cmd.Args(cmd, nil))
	require.NoError(t, cmd.Args(cmd, []string{"5umesh"}))
}
