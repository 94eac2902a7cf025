package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/rewards/types"
)

// buildState leaves f mid-epoch 4 with closed epochs (one partly claimed),
// open points and contributors in several categories.
func buildState(t *testing.T, f *fixture) {
	t.Helper()
	for e := 1; e <= 3; e++ {
		f.mintTo(types.ModuleName, coins(t, "100003umesh,77ibc/XYZ"))
		for i := 0; i < 5; i++ {
			f.add(types.CategoryPoC, addr("g", i), uint64(100*e+i), types.WithQuality(9500))
			if i%2 == 0 {
				f.add(types.CategoryTraining, addr("g", i+10), uint64(7*e+i), types.WithLatency(2))
			}
		}
		f.closeEpoch()
		f.next()
	}
	f.claim(addr("g", 0), addr("g", 0))
	f.claim(addr("g", 10), addr("g", 10))
	f.add(types.CategoryInference, addr("g", 3), 42)
	f.add(types.CategoryData, addr("g", 20), 5)
	f.commit()
}

// TestGenesisRoundTrip: export mid-epoch, import into a fresh chain holding
// the same module balance, export again: identical; the rebuilt Outstanding
// and contributor counts match, and the chain carries on.
func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t, withParams(func(p *types.Params) { p.EarlyContributors = 3 }))
	buildState(t, f)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Equal(t, uint64(4), exported.CurrentEpoch)
	require.Len(t, exported.Epochs, 4)
	require.NotEmpty(t, exported.Points)
	require.Len(t, exported.Contributors, 5+3+1+1)

	g := newFixture(t, fixtureOpt{noGenesis: true})
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight())
	g.mintTo(types.ModuleName, f.modBal(types.ModuleName))
	require.NoError(t, g.k.InitGenesis(g.ctx, exported))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	requireCoins(t, f.outstanding(), g.outstanding())
	requireCoins(t, f.pot(), g.pot())
	for _, c := range []string{types.CategoryPoC, types.CategoryTraining, types.CategoryInference, types.CategoryData} {
		want, err := f.k.ContributorCount.Get(f.ctx, c)
		require.NoError(t, err)
		got, err := g.k.ContributorCount.Get(g.ctx, c)
		require.NoError(t, err)
		require.Equal(t, want, got, c)
	}

	// Both chains continue identically: a new poc contributor (index 5, no
	// early bonus), a close and the same claims.
	for _, x := range []*fixture{f, g} {
		require.Equal(t, uint64(10), x.add(types.CategoryPoC, addr("new", 1), 10))
		x.closeEpoch()
	}
	requireCoins(t, f.claim(addr("g", 1), addr("g", 1)).Amount, g.claim(addr("g", 1), addr("g", 1)).Amount)
	requireCoins(t, f.claim(addr("g", 3), addr("g", 3)).Amount, g.claim(addr("g", 3), addr("g", 3)).Amount)
	a, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	b, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, a, b)
}

// TestInitGenesisRejects: a module balance below what closed epochs owe, a
// bad address, or an invalid state is refused.
func TestInitGenesisRejects(t *testing.T) {
	f := newFixture(t)
	buildState(t, f)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)

	short := newFixture(t, fixtureOpt{noGenesis: true})
	bal := f.modBal(types.ModuleName)
	short.mintTo(types.ModuleName, bal.Sub(f.pot()...).Sub(coins(t, "1umesh")...)) // one unit below Outstanding
	require.ErrorIs(t, short.k.InitGenesis(short.ctx, exported), types.ErrInvalidGenesis)

	exact := newFixture(t, fixtureOpt{noGenesis: true})
	exact.mintTo(types.ModuleName, bal.Sub(f.pot()...)) // exactly Outstanding: an empty pot
	require.NoError(t, exact.k.InitGenesis(exact.ctx, exported))
	require.True(t, exact.pot().IsZero())

	badAddr := *exported
	badAddr.Points = append([]types.PointsRecord(nil), exported.Points...)
	badAddr.Points[0].Account = "cosmos1notanaddress"
	g := newFixture(t, fixtureOpt{noGenesis: true})
	g.mintTo(types.ModuleName, bal)
	require.ErrorIs(t, g.k.InitGenesis(g.ctx, &badAddr), types.ErrInvalidGenesis)

	badContrib := *exported
	badContrib.Contributors = append([]types.Contributor(nil), exported.Contributors...)
	badContrib.Contributors[0].Account = "x"
	g = newFixture(t, fixtureOpt{noGenesis: true})
	g.mintTo(types.ModuleName, bal)
	require.ErrorIs(t, g.k.InitGenesis(g.ctx, &badContrib), types.ErrInvalidGenesis)

	invalid := *types.DefaultGenesis()
	invalid.CurrentEpoch = 0
	g = newFixture(t, fixtureOpt{noGenesis: true})
	require.ErrorIs(t, g.k.InitGenesis(g.ctx, &invalid), types.ErrInvalidGenesis)
}

// TestKeyEncoding pins the key encodings under the prefixes that
// TestStorePrefixesPinned pins: a change needs a migration.
func TestKeyEncoding(t *testing.T) {
	f := newFixture(t)
	a := addr("layout", 1)
	f.add(types.CategoryPoC, a, 1)
	lp := func(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }
	be := func(n uint64) []byte { return []byte{0, 0, 0, 0, 0, 0, 0, byte(n)} }
	join := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	kv := f.ctx.KVStore(f.keys[types.StoreKey])
	for name, key := range map[string][]byte{
		"params":            {0},
		"current epoch":     {1},
		"epoch 1":           join([]byte{2}, be(1)),
		"points":            join([]byte{3}, lp(a), be(1), []byte("poc")),
		"contributor":       join([]byte{4}, []byte("poc"), []byte{0}, a),
		"contributor count": join([]byte{5}, []byte("poc")),
		"outstanding":       {6},
	} {
		require.True(t, kv.Has(key), "%s: key %X missing", name, key)
	}
}
