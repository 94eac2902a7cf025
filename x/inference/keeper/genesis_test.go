package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

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

	g := newFixture(t, nil)
	g.ctx = g.ctx.WithBlockHeight(f.height())
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
