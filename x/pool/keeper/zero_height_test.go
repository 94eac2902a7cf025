package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

// A zero-height export moves pools' and unbondings' heights back by the
// export height L and leaves times alone. On the restarted chain (heights
// from 1, block times going on) an unbonding pays at its completion time,
// a slash for an infraction after the restart spares it, and a pool jailed
// until L+5 unjails at height 5, not before.
func TestPrepareForZeroHeight(t *testing.T) {
	f := newFixture(t)
	f.ctx = f.ctx.WithBlockHeight(100)
	f.createPool(provider, 100_000_000, "0")
	f.createPool(provider2, 100_000_000, "0")
	f.delegate(alice, provider, 5_000)
	f.nextBlock(time.Second)
	res := f.undelegate(alice, provider, 2_000)
	last := f.ctx.BlockHeight()
	require.NoError(t, f.k.Jail(f.ctx, provider2, last+5))
	entry, _, err := f.k.GetUnbonding(f.ctx, res.UnbondingId)
	require.NoError(t, err)

	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	moved, _, err := f.k.GetUnbonding(f.ctx, res.UnbondingId)
	require.NoError(t, err)
	require.Zero(t, moved.CreationHeight)
	require.Equal(t, entry.CompletionTime, moved.CompletionTime, "times are absolute")
	require.Equal(t, int64(5), f.pool(provider2).JailedUntil)
	require.Zero(t, f.pool(provider).CreatedHeight)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())

	// The new chain: block 1 follows the export, a few seconds later.
	f.ctx = f.ctx.WithBlockHeight(0)
	f.nextBlock(5 * time.Second)
	require.ErrorIs(t, f.k.Unjail(f.ctx, provider2), types.ErrJailPeriodNotOver)
	_, err = f.k.Slash(f.ctx, provider, math.LegacyNewDecWithPrec(1, 1), "test", 1)
	require.NoError(t, err)
	kept, _, err := f.k.GetUnbonding(f.ctx, res.UnbondingId)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(2_000), kept.Balance, "unbonded before the infraction: not slashed")
	f.ctx = f.ctx.WithBlockHeight(4)
	require.ErrorIs(t, f.k.Unjail(f.ctx, provider2), types.ErrJailPeriodNotOver)
	f.ctx = f.ctx.WithBlockHeight(5)
	require.NoError(t, f.k.Unjail(f.ctx, provider2))

	before := f.balance(alice)
	f.ctx = f.ctx.WithBlockTime(entry.CompletionTime.Add(-time.Nanosecond))
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, before, f.balance(alice))
	f.ctx = f.ctx.WithBlockTime(entry.CompletionTime)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, before.AddRaw(2_000), f.balance(alice))
}

// A zero-height export moves an ejection's height back and leaves a
// tombstoned pool tombstoned, with its jailed_until.
func TestPrepareForZeroHeightEjection(t *testing.T) {
	f := newFixture(t)
	f.ctx = f.ctx.WithBlockHeight(100)
	f.createPool(provider, 100_000_000, "0")
	_, err := f.eject(provider, "0.1", "cheated", true)
	require.NoError(t, err)
	f.nextBlock(time.Second)
	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	ej, err := f.k.GetEjection(f.ctx, provider)
	require.NoError(t, err)
	require.Zero(t, ej.Height)
	pool := f.pool(provider)
	require.True(t, pool.Tombstoned)
	require.Equal(t, keeper.TombstoneJailedUntil, pool.JailedUntil)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
}
