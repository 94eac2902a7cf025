package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktestutil "github.com/cosmos/cosmos-sdk/x/bank/testutil"

	"github.com/llmesh/mesh/x/inference/types"
)

// storeDigest hashes every key and value of the x/inference store.
func (f *fixture) storeDigest() []byte {
	it := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).KVStore(f.keys[types.StoreKey]).Iterator(nil, nil)
	defer it.Close()
	h := sha256.New()
	for ; it.Valid(); it.Next() {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(it.Key()))))
		h.Write(it.Key())
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(it.Value()))))
		h.Write(it.Value())
	}
	return h.Sum(nil)
}

// escrowHeld is the inference module account's balance: the escrow.
func (f *fixture) escrowHeld() sdk.Coins {
	return f.bk.GetAllBalances(f.ctx, f.ak.GetModuleAddress(types.ModuleName))
}

// fundEscrow gives the inference module account coins, as x/bank's genesis
// gives it the escrow of an exported state's open jobs.
func (f *fixture) fundEscrow(coins sdk.Coins) {
	f.t.Helper()
	if !coins.IsZero() {
		require.NoError(f.t, banktestutil.FundModuleAccount(f.ctx, f.bk, types.ModuleName, coins))
	}
}

// TestGenesisRoundTrip exports a state with jobs in every phase, imports it
// into a fresh store and exports it again: same genesis, and the very same
// store bytes (every index and queue is rebuilt from the jobs).
func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(4)
	requester := addr("requester", 1)
	f.fund(requester, 100_000)
	ids := make([]uint64, 4)
	f.block(func() {
		for i := range ids {
			ids[i] = f.request(f.requestMsg(requester)).JobId
		}
	})
	f.block(func() {
		for _, id := range ids[:2] { // 0: finalized, 1: revealing, 2: committing (1 commit), 3: committing
			for _, w := range f.assigned(id) {
				f.commitResult(w, id, "4")
			}
		}
		f.commitResult(f.assigned(ids[2])[0], ids[2], "4")
	})
	f.block(func() {
		for _, w := range f.assigned(ids[0]) {
			f.revealResult(w, ids[0], "4")
		}
		f.revealResult(f.assigned(ids[1])[0], ids[1], "4")
	})
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.Len(t, gs.Jobs, 4)
	require.Equal(t, uint64(5), gs.NextJobId)
	require.Len(t, gs.WorkerStats, 4)
	wantStatus := []types.JobStatus{types.JOB_STATUS_FINALIZED, types.JOB_STATUS_REVEALING, types.JOB_STATUS_COMMITTING, types.JOB_STATUS_COMMITTING}
	for i, j := range gs.Jobs {
		require.Equal(t, wantStatus[i], j.Status)
	}

	// x/bank's genesis, which runs first, holds the escrow of the open jobs.
	escrow := f.escrowHeld()
	require.False(t, escrow.IsZero())
	g := newFixture(t, nil)
	g.ctx = g.ctx.WithBlockHeight(f.height())
	g.fundEscrow(escrow)
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, string(f.enc.Codec.MustMarshalJSON(gs)), string(f.enc.Codec.MustMarshalJSON(again)))
	require.Equal(t, f.storeDigest(), g.storeDigest(), "indexes and queues rebuilt identically")

	// JSON round trip through the codec too (what a genesis file holds).
	bz := f.enc.Codec.MustMarshalJSON(gs)
	var decoded types.GenesisState
	f.enc.Codec.MustUnmarshalJSON(bz, &decoded)
	g2 := newFixture(t, nil)
	g2.fundEscrow(escrow)
	require.NoError(t, g2.k.InitGenesis(g2.ctx, &decoded))
	require.Equal(t, f.storeDigest(), g2.storeDigest())
}

func TestGenesisValidate(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 100_000)
	f.block(func() { f.request(f.requestMsg(requester)) })
	f.block(nil) // assigned
	good, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, good.Validate())
	require.NoError(t, types.DefaultGenesis().Validate())

	for name, mutate := range map[string]func(gs *types.GenesisState){
		"bad params":         func(gs *types.GenesisState) { gs.Params.MaxRedundancy = 0 },
		"duplicate model":    func(gs *types.GenesisState) { gs.Models = append(gs.Models, gs.Models[0]) },
		"invalid model":      func(gs *types.GenesisState) { gs.Models[0].Runtime = "" },
		"job id at sequence": func(gs *types.GenesisState) { gs.NextJobId = 1 },
		"zero sequence":      func(gs *types.GenesisState) { gs.NextJobId = 0 },
		"duplicate job":      func(gs *types.GenesisState) { gs.Jobs = append(gs.Jobs, gs.Jobs[0]); gs.WorkerStats = nil },
		"unknown model":      func(gs *types.GenesisState) { gs.Jobs[0].ModelId = "nope" },
		"open_jobs mismatch": func(gs *types.GenesisState) { gs.WorkerStats[0].OpenJobs = 0 },
		"missing stats":      func(gs *types.GenesisState) { gs.WorkerStats = gs.WorkerStats[1:] },
		"twice assigned":     func(gs *types.GenesisState) { gs.Jobs[0].Assignments[1].Worker = gs.Jobs[0].Assignments[0].Worker },
		"fee above max":      func(gs *types.GenesisState) { gs.Jobs[0].Fee.Amount = gs.Jobs[0].MaxFee.Amount.AddRaw(1) },
		"ended but open":     func(gs *types.GenesisState) { gs.Jobs[0].EndedHeight = 5 },
		"bad heights":        func(gs *types.GenesisState) { gs.Jobs[0].Deadline = gs.Jobs[0].CommitEnd },
		"bad requester":      func(gs *types.GenesisState) { gs.Jobs[0].Requester = "x" },
		"no input":           func(gs *types.GenesisState) { gs.Jobs[0].Input = nil },
	} {
		gs, err := f.k.ExportGenesis(f.ctx)
		require.NoError(t, err)
		mutate(gs)
		require.Error(t, gs.Validate(), name)
	}
}

// TestGenesisEscrowCheck: InitGenesis refuses a genesis whose inference
// module account (x/bank's genesis) does not hold exactly Σ max_fee of the
// open jobs per denom (issue 17, genesis cross-check), and writes nothing;
// ended jobs escrow nothing.
func TestGenesisEscrowCheck(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 100_000)
	var done, open uint64
	f.block(func() {
		done = f.request(f.requestMsg(requester)).JobId
		open = f.request(f.requestMsg(requester)).JobId
	})
	f.block(func() {
		for _, w := range f.assigned(done) {
			f.commitResult(w, done, "4")
		}
	})
	f.block(func() {
		for _, w := range f.assigned(done) {
			f.revealResult(w, done, "4")
		}
	})
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(done).Status)
	require.True(t, types.IsOpen(f.job(open).Status))
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	escrow := f.escrowHeld()
	require.Equal(t, sdk.NewCoins(f.job(open).MaxFee), escrow, "the open job's max_fee only")

	umesh := func(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin("umesh", n)) }
	for name, c := range map[string]struct {
		held sdk.Coins
		want string
	}{
		"nothing held":  {nil, "umesh: holds 0, escrow " + escrow[0].Amount.String()},
		"one short":     {escrow.Sub(umesh(1)...), "umesh: holds " + escrow.Sub(umesh(1)...)[0].Amount.String()},
		"one too many":  {escrow.Add(umesh(1)...), "umesh: holds " + escrow.Add(umesh(1)...)[0].Amount.String()},
		"a stray denom": {escrow.Add(sdk.NewInt64Coin("ustray", 5)), "ustray: holds 5, escrow 0"},
	} {
		g := newFixture(t, nil)
		g.ctx = g.ctx.WithBlockHeight(f.height())
		g.fundEscrow(c.held)
		before := g.storeDigest()
		err := g.k.InitGenesis(g.ctx, gs)
		require.ErrorIs(t, err, types.ErrInvalidGenesis, name)
		require.ErrorContains(t, err, "escrow", name)
		require.ErrorContains(t, err, c.want, name)
		require.Equal(t, before, g.storeDigest(), "%s: nothing written", name)
	}

	// The exact escrow imports; with no open job, nothing may be held.
	g := newFixture(t, nil)
	g.ctx = g.ctx.WithBlockHeight(f.height())
	g.fundEscrow(escrow)
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	ended := *gs
	ended.Jobs = []types.Job{gs.Jobs[0]}
	ended.WorkerStats = nil
	for _, s := range gs.WorkerStats {
		s.OpenJobs = 0
		ended.WorkerStats = append(ended.WorkerStats, s)
	}
	require.NoError(t, ended.Validate())
	h := newFixture(t, nil)
	h.ctx = h.ctx.WithBlockHeight(f.height())
	require.NoError(t, h.k.InitGenesis(h.ctx, &ended), "ended jobs escrow nothing")
	s := newFixture(t, nil)
	s.fundEscrow(umesh(1))
	require.ErrorContains(t, s.k.InitGenesis(s.ctx, types.DefaultGenesis()), "umesh: holds 1, escrow 0", "stray coins without jobs")
}
