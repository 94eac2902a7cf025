package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

// unbondMany makes n unbonding entries of 10 tokens in provider's pool at the
// fixture's height, from fresh delegators (5 entries each).
func unbondMany(f *fixture, tag string, n int) {
	for i := 0; i < n; i += 5 {
		d := sdk.AccAddress(fmt.Sprintf("%-20s", fmt.Sprintf("%s%d", tag, i)))
		f.delegate(d, provider, 50)
		for j := 0; j < 5 && i+j < n; j++ {
			f.undelegate(d, provider, 10)
		}
	}
}

// slashGas runs Slash in a cache context and returns the gas it used.
func slashGas(t *testing.T, f *fixture, infraction int64) uint64 {
	cc, _ := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).CacheContext()
	_, err := f.k.Slash(cc, provider, math.LegacyMustNewDecFromStr("0.1"), "fraud", infraction)
	require.NoError(t, err)
	return cc.GasMeter().GasConsumed()
}

// TestSlashDoesNotWalkOlderUnbondings: Slash reads only the entries created
// since the infraction (issue 17, M3). Two pools alike but for 200 older
// unbonding entries cost the same gas to slash.
func TestSlashDoesNotWalkOlderUnbondings(t *testing.T) {
	gas := map[int]uint64{}
	for _, older := range []int{0, 200} {
		f := newFixture(t)
		f.createPool(provider, 100_000_000, "0.1")
		unbondMany(f, "old", older)
		f.ctx = f.ctx.WithBlockHeight(10)
		unbondMany(f, "new", 3)
		gas[older] = slashGas(t, f, 10)
	}
	require.Less(t, gas[200], gas[0]+gas[0]/20, "gas with 200 older entries %d, without %d", gas[200], gas[0])
}

// TestSlashBound: the provider's own entries are always reached, then at
// most MaxSlashUnbondings others, newest first; the older ones keep their
// balance (issue 17, M3).
func TestSlashBound(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.ctx = f.ctx.WithBlockHeight(5)
	f.undelegate(provider, provider, 1_000)
	f.ctx = f.ctx.WithBlockHeight(6)
	unbondMany(f, "d", keeper.MaxSlashUnbondings+5)

	_, err := f.k.Slash(f.ctx, provider, math.LegacyMustNewDecFromStr("0.1"), "fraud", 5)
	require.NoError(t, err)
	var cut, untouched []uint64
	require.NoError(t, f.k.Unbondings.Walk(f.ctx, nil, func(id uint64, e types.UnbondingEntry) (bool, error) {
		if e.Delegator == f.str(provider) {
			require.Equal(t, math.NewInt(900), e.Balance, "the provider's own entry is reached first")
			return false, nil
		}
		if e.Balance.Equal(e.InitialBalance) {
			untouched = append(untouched, id)
		} else {
			cut = append(cut, id)
		}
		return false, nil
	}))
	require.Len(t, cut, keeper.MaxSlashUnbondings)
	require.Len(t, untouched, 5)
	require.Less(t, untouched[4], cut[0], "the oldest entries are the ones left")
}

// TestUnbondingParamsBounded: the walks Slash and the EndBlocker do have
// an upper bound in Params.Validate.
func TestUnbondingParamsBounded(t *testing.T) {
	p := types.DefaultParams()
	p.MaxUnbondingEntries = types.MaxUnbondingEntriesLimit + 1
	require.Error(t, p.Validate())
	p = types.DefaultParams()
	p.MaxUnbondingsPerBlock = types.MaxUnbondingsPerBlockLimit + 1
	require.Error(t, p.Validate())
}
