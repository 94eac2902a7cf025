package keeper_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// The store layout is consensus state: changing a prefix or a key encoding
// breaks existing chains. This test pins it.
func TestKeyLayoutPinned(t *testing.T) {
	for i, p := range [][]byte{
		types.ParamsKey, types.ModelsKey, types.JobsKey, types.NextJobIDKey, types.JobsByRequesterKey,
		types.JobsByWorkerKey, types.OpenJobsByWorkerKey, types.JobsByStatusKey, types.CommitQueueKey,
		types.DeadlineQueueKey, types.PruneQueueKey, types.WorkerStatsKey, types.WaitQueueKey, types.QueueLengthKey,
		types.CallbackQueueKey, types.VerifyQueueKey,
	} {
		require.Equal(t, []byte{byte(i)}, p)
	}

	f := newFixture(t, func(p *types.Params) { p.MinRedundancy, p.DefaultRedundancy = 1, 1 })
	w := f.addWorker(modelID).addr
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	msg := f.requestMsg(requester)
	msg.Redundancy = 1
	f.block(func() { f.request(msg) })
	job := f.job(1)

	lp := func(a []byte) []byte { return append([]byte{byte(len(a))}, a...) }
	be64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	i64 := func(v int64) []byte { return be64(uint64(v) ^ 1<<63) } // Int64Key: sign bit flipped
	i32 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)^1<<31) }
	cat := func(parts ...[]byte) string { return hex.EncodeToString(bytes.Join(parts, nil)) }
	keys := func() []string {
		var got []string
		it := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).KVStore(f.keys[types.StoreKey]).Iterator(nil, nil)
		defer it.Close()
		for ; it.Valid(); it.Next() {
			got = append(got, hex.EncodeToString(it.Key()))
		}
		return got
	}
	// Queued in the request's block: on its model's wait queue, no worker yet.
	queued := []string{
		cat([]byte{0}),                         // params
		cat([]byte{1}, []byte(modelID)),        // model (string key)
		cat([]byte{2}, be64(1)),                // job 1
		cat([]byte{3}),                         // job sequence
		cat([]byte{4}, lp(requester), be64(1)), // (requester, job)
		cat([]byte{7}, i32(int32(types.JOB_STATUS_QUEUED)), be64(1)),
		cat([]byte{9}, i64(job.Deadline), be64(1)),           // deadline queue
		cat([]byte{12}, []byte(modelID), []byte{0}, be64(1)), // (model, job): the wait queue
		cat([]byte{13}, []byte(modelID)),                     // queue length
	}
	require.Equal(t, queued, keys())

	f.block(nil) // assigned
	job = f.job(1)
	want := []string{
		cat([]byte{0}),                         // params
		cat([]byte{1}, []byte(modelID)),        // model (string key)
		cat([]byte{2}, be64(1)),                // job 1
		cat([]byte{3}),                         // job sequence
		cat([]byte{4}, lp(requester), be64(1)), // (requester, job)
		cat([]byte{5}, lp(w), be64(1)),         // (worker, job)
		cat([]byte{6}, lp(w), be64(1)),         // open (worker, job)
		cat([]byte{7}, i32(int32(types.JOB_STATUS_COMMITTING)), be64(1)),
		cat([]byte{8}, i64(job.CommitEnd), be64(1)), // commit queue
		cat([]byte{9}, i64(job.Deadline), be64(1)),  // deadline queue
		cat([]byte{11}, w), // worker stats
	}
	require.Equal(t, want, keys())

	// Ended (nobody committed): off the queues and the worker's open set,
	// on the prune queue.
	f.advanceTo(job.CommitEnd)
	job = f.job(1)
	want = []string{
		cat([]byte{0}), cat([]byte{1}, []byte(modelID)), cat([]byte{2}, be64(1)), cat([]byte{3}),
		cat([]byte{4}, lp(requester), be64(1)), cat([]byte{5}, lp(w), be64(1)),
		cat([]byte{7}, i32(int32(types.JOB_STATUS_FAILED)), be64(1)),
		cat([]byte{10}, i64(job.EndedHeight+types.DefaultParams().JobRetentionBlocks), be64(1)),
		cat([]byte{11}, w),
	}
	slices.Sort(want)
	require.Equal(t, want, keys())
}
