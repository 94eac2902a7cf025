package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

func (f *fixture) eject(p sdk.AccAddress, fraction, reason string, tombstone bool) (*types.MsgEjectProviderResponse, error) {
	return f.ms.EjectProvider(f.ctx, &types.MsgEjectProvider{
		Authority: f.authority, Provider: f.str(p), SlashFraction: math.LegacyMustNewDecFromStr(fraction),
		Reason: reason, Tombstone: tombstone,
	})
}

// A tombstoning ejection slashes the pool and its unbondings (all of them:
// infraction height 0) through Slash, jails the pool for good, records the
// ejection and emits its event; unjail is refused with ErrTombstoned forever.
func TestEjectProviderTombstone(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.delegate(alice, provider, 300_000_000)
	f.nextBlock(5)
	ub := f.undelegate(alice, provider, 100_000_000) // still slashable
	f.nextBlock(5)
	supply := f.supply()

	res, err := f.eject(provider, "0.1", "forged proof-of-compute", true)
	require.NoError(t, err)
	// 10 % of the pool's 300 MESH and of the 100 MESH unbonding.
	require.Equal(t, sdk.NewInt64Coin(denom, 40_000_000), res.Slashed)
	require.Equal(t, keeper.TombstoneJailedUntil, res.JailedUntil)
	require.Equal(t, supply.SubRaw(40_000_000), f.supply(), "burned")
	pool := f.pool(provider)
	require.Equal(t, math.NewInt(270_000_000), pool.Tokens)
	require.True(t, pool.Jailed)
	require.True(t, pool.Tombstoned)
	entry, err := f.k.Unbondings.Get(f.ctx, ub.UnbondingId)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(90_000_000), entry.Balance)
	ok, err := f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, ok)

	for _, typ := range []string{"mesh.pool.v1.EventSlashed", "mesh.pool.v1.EventJailed", "mesh.pool.v1.EventProviderEjected"} {
		require.Equal(t, 1, f.countEvents(typ), typ)
	}
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type == "mesh.pool.v1.EventSlashed" {
			v, found := e.GetAttribute("reason")
			require.True(t, found)
			require.Equal(t, `"dao-ejection"`, v.Value)
		}
	}

	want := types.Ejection{Provider: f.str(provider), Reason: "forged proof-of-compute", SlashFraction: math.LegacyMustNewDecFromStr("0.1"),
		Slashed: sdk.NewInt64Coin(denom, 40_000_000), Height: f.ctx.BlockHeight(), Tombstoned: true}
	q, err := f.qs.Ejection(f.ctx, &types.QueryEjectionRequest{Provider: f.str(provider)})
	require.NoError(t, err)
	require.Equal(t, want, q.Ejection)
	list, err := f.qs.Ejections(f.ctx, &types.QueryEjectionsRequest{Pagination: &query.PageRequest{Limit: 10}})
	require.NoError(t, err)
	require.Equal(t, []types.Ejection{want}, list.Ejections)

	// Never unjailed, however long it waits and whatever it stakes.
	f.ctx = f.ctx.WithBlockHeight(1 << 40)
	f.delegate(provider, provider, 100_000_000)
	f.requireFailsCleanly(types.ErrTombstoned, func() error {
		_, err := f.ms.Unjail(f.ctx, &types.MsgUnjail{Provider: f.str(provider)})
		return err
	})
	// A later jail (x/compute fraud) or an ejection without tombstone keeps it tombstoned.
	require.NoError(t, f.k.Jail(f.ctx, provider, 5))
	_, err = f.eject(provider, "0", "again", false)
	require.NoError(t, err)
	pool = f.pool(provider)
	require.True(t, pool.Tombstoned)
	require.Equal(t, keeper.TombstoneJailedUntil, pool.JailedUntil)
	q, err = f.qs.Ejection(f.ctx, &types.QueryEjectionRequest{Provider: f.str(provider)})
	require.NoError(t, err)
	require.Equal(t, "again", q.Ejection.Reason)
	require.True(t, q.Ejection.Tombstoned)
}

// Without tombstone the pool is jailed for ejection_jail_blocks and unjails
// like any jailed pool.
func TestEjectProviderJail(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.createPool(provider2, 100_000_000, "0")
	h := f.ctx.BlockHeight()
	res, err := f.eject(provider, "0", "unresponsive for a week", false)
	require.NoError(t, err)
	require.True(t, res.Slashed.IsZero())
	require.Equal(t, denom, res.Slashed.Denom)
	require.Equal(t, h+types.DefaultEjectionJailBlocks, res.JailedUntil)
	pool := f.pool(provider)
	require.True(t, pool.Jailed)
	require.False(t, pool.Tombstoned)
	require.Equal(t, math.NewInt(100_000_000), pool.Tokens)
	ok, err := f.k.IsEligible(f.ctx, provider2)
	require.NoError(t, err)
	require.True(t, ok, "other pools are untouched")

	_, err = f.ms.Unjail(f.ctx, &types.MsgUnjail{Provider: f.str(provider)})
	require.ErrorIs(t, err, types.ErrJailPeriodNotOver)
	f.ctx = f.ctx.WithBlockHeight(res.JailedUntil)
	_, err = f.ms.Unjail(f.ctx, &types.MsgUnjail{Provider: f.str(provider)})
	require.NoError(t, err)
	ok, err = f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.True(t, ok)
}

// Every refusal is a registered error and changes nothing.
func TestEjectProviderRefusals(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 10_000_000)
	msg := func(edit func(*types.MsgEjectProvider)) *types.MsgEjectProvider {
		m := &types.MsgEjectProvider{Authority: f.authority, Provider: f.str(provider),
			SlashFraction: math.LegacyMustNewDecFromStr("0.1"), Reason: "cheated", Tombstone: true}
		edit(m)
		return m
	}
	for name, tc := range map[string]struct {
		msg   *types.MsgEjectProvider
		want  error
		basic bool // ValidateBasic refuses it too
	}{
		"not the authority":  {msg(func(m *types.MsgEjectProvider) { m.Authority = f.str(alice) }), types.ErrInvalidSigner, false},
		"unknown provider":   {msg(func(m *types.MsgEjectProvider) { m.Provider = f.str(stranger) }), types.ErrPoolNotFound, false},
		"bad provider":       {msg(func(m *types.MsgEjectProvider) { m.Provider = "mesh1nope" }), types.ErrInvalidAddress, true},
		"fraction above 1":   {msg(func(m *types.MsgEjectProvider) { m.SlashFraction = math.LegacyMustNewDecFromStr("1.01") }), types.ErrInvalidSlashFraction, true},
		"negative fraction":  {msg(func(m *types.MsgEjectProvider) { m.SlashFraction = math.LegacyMustNewDecFromStr("-0.1") }), types.ErrInvalidSlashFraction, true},
		"nil fraction":       {msg(func(m *types.MsgEjectProvider) { m.SlashFraction = math.LegacyDec{} }), types.ErrInvalidSlashFraction, true},
		"empty reason":       {msg(func(m *types.MsgEjectProvider) { m.Reason = "" }), types.ErrInvalidReason, true},
		"reason too long":    {msg(func(m *types.MsgEjectProvider) { m.Reason = strings.Repeat("x", 257) }), types.ErrInvalidReason, true},
		"unprintable reason": {msg(func(m *types.MsgEjectProvider) { m.Reason = "line\nbreak" }), types.ErrInvalidReason, true},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.basic {
				require.ErrorIs(t, tc.msg.ValidateBasic(), tc.want)
			} else {
				require.NoError(t, tc.msg.ValidateBasic())
			}
			f.requireFailsCleanly(tc.want, func() error {
				_, err := f.ms.EjectProvider(f.ctx, tc.msg)
				return err
			})
		})
	}
	ok := msg(func(m *types.MsgEjectProvider) {
		m.Reason = strings.Repeat("x", 256)
		m.SlashFraction = math.LegacyOneDec()
	})
	require.NoError(t, ok.ValidateBasic())
	_, err := f.ms.EjectProvider(f.ctx, ok)
	require.NoError(t, err)
	require.True(t, f.pool(provider).Tokens.IsZero(), "a fraction of 1 takes everything")
}

func TestEjectionQueriesNotFound(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	_, err := f.qs.Ejection(f.ctx, &types.QueryEjectionRequest{Provider: f.str(provider)})
	require.Equal(t, codes.NotFound, status.Code(err), err)
	_, err = f.qs.Ejection(f.ctx, &types.QueryEjectionRequest{Provider: "nope"})
	require.Equal(t, codes.InvalidArgument, status.Code(err), err)
	_, err = f.qs.Ejection(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err), err)
	list, err := f.qs.Ejections(f.ctx, &types.QueryEjectionsRequest{})
	require.NoError(t, err)
	require.Empty(t, list.Ejections)
}

// Ejections survive export and import; genesis validation refuses bad ones.
func TestEjectionGenesis(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.createPool(provider2, 100_000_000, "0")
	_, err := f.eject(provider, "0.5", "cheated", true)
	require.NoError(t, err)
	_, err = f.eject(provider2, "0.25", "slow", false)
	require.NoError(t, err)
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Len(t, gs.Ejections, 2)
	require.NoError(t, gs.Validate())

	g := newFixture(t)
	g.fund(g.ak.GetModuleAddress(types.ModuleName), 125_000_000)
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, gs, again)
	_, err = g.ms.Unjail(g.ctx.WithBlockHeight(1<<40), &types.MsgUnjail{Provider: g.str(provider)})
	require.ErrorIs(t, err, types.ErrTombstoned, "tombstone kept through genesis")

	for name, edit := range map[string]func(gs *types.GenesisState){
		"no pool":               func(gs *types.GenesisState) { gs.Ejections[0].Provider = f.str(stranger) },
		"duplicate":             func(gs *types.GenesisState) { gs.Ejections[1].Provider = gs.Ejections[0].Provider },
		"empty reason":          func(gs *types.GenesisState) { gs.Ejections[0].Reason = "" },
		"fraction":              func(gs *types.GenesisState) { gs.Ejections[0].SlashFraction = math.LegacyNewDec(2) },
		"slashed denom":         func(gs *types.GenesisState) { gs.Ejections[0].Slashed = sdk.NewInt64Coin("other", 1) },
		"negative height":       func(gs *types.GenesisState) { gs.Ejections[0].Height = -1 },
		"tombstone not on pool": func(gs *types.GenesisState) { gs.Pools[0].Tombstoned = false },
		"tombstoned not jailed": func(gs *types.GenesisState) { gs.Pools[0].Jailed = false },
	} {
		bad, err := f.k.ExportGenesis(f.ctx)
		require.NoError(t, err)
		// Pools and ejections are in provider address order: find provider's.
		if bad.Pools[0].Provider != f.str(provider) {
			bad.Pools[0], bad.Pools[1] = bad.Pools[1], bad.Pools[0]
		}
		if bad.Ejections[0].Provider != f.str(provider) {
			bad.Ejections[0], bad.Ejections[1] = bad.Ejections[1], bad.Ejections[0]
		}
		edit(bad)
		require.Error(t, bad.Validate(), name)
	}
}

// ejection_jail_blocks is validated and set by the v1→v2 migration.
func TestEjectionJailBlocksParam(t *testing.T) {
	p := types.DefaultParams()
	require.EqualValues(t, 600, p.EjectionJailBlocks)
	p.EjectionJailBlocks = 0
	require.Error(t, p.Validate())
	p.EjectionJailBlocks = types.MaxEjectionJailBlocks + 1
	require.Error(t, p.Validate())

	f := newFixture(t)
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.EjectionJailBlocks = 0
	require.NoError(t, f.k.Params.Set(f.ctx, params)) // a v1 chain's params
	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))
	params, err = f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultEjectionJailBlocks, params.EjectionJailBlocks)
}
