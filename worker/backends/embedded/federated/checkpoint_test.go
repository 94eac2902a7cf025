package federated

import (
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

// InitialDigest pins Initial(train.Default): a change to the initialisation
// or the encoding shows here.
const InitialDigest = "543f6668c91d4ce3b2dccf2995da4dc11ec6b81664773214c65268d9e2f28218"

func TestInitial(t *testing.T) {
	ck, err := Initial(train.Default)
	require.NoError(t, err)
	d := ck.Digest()
	require.Equal(t, InitialDigest, hex.EncodeToString(d[:]))
	require.Len(t, ck.Encode(), HeaderSize+4*(2048*32+32+32*3+3))

	// Zero epochs of train.Train is the initial model.
	cfg := train.Default
	cfg.Epochs = 0
	want, _ := train.Train(cfg, train.Dataset())
	require.Equal(t, want, ck.Weights())

	cfg.Buckets = 0
	_, err = Initial(cfg)
	require.Error(t, err)
}

func TestEncodeDecode(t *testing.T) {
	ck, err := Initial(train.Default)
	require.NoError(t, err)
	enc := ck.Encode()
	back, err := Decode(enc)
	require.NoError(t, err)
	require.True(t, ck.Equal(back))
	require.Equal(t, enc, back.Encode())
	require.Equal(t, ck.Digest(), back.Digest())
	require.Equal(t, ck.Masters(), back.Masters())

	put := func(off int, v uint32) []byte {
		b := append([]byte(nil), enc...)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	w1 := HeaderSize // the first W1 master
	for name, b := range map[string][]byte{
		"empty":       nil,
		"short":       enc[:HeaderSize-1],
		"magic":       append([]byte("MESHINT8"), enc[8:]...),
		"version":     put(8, 2),
		"buckets 0":   put(12, 0),
		"buckets big": put(12, MaxBuckets+1),
		"buckets":     put(12, 2047),
		"hidden 0":    put(16, 0),
		"hidden big":  put(16, 1<<31),
		"labels":      put(20, 4),
		"shift":       put(24, 32),
		"frac bits":   put(28, 7),
		"truncated":   enc[:len(enc)-1],
		"trailing":    append(append([]byte(nil), enc...), 0),
		"w1 range":    put(w1, 127<<8+1),
		"w1 -range":   put(w1, uint32(0xffffffff-127<<8)), // −(127·256) − 1
	} {
		_, err := Decode(b)
		require.Error(t, err, name)
	}
	// The largest sizes are refused by length before anything is allocated.
	huge := put(12, MaxBuckets)
	binary.LittleEndian.PutUint32(huge[16:], MaxHidden)
	_, err = Decode(huge)
	require.ErrorContains(t, err, "want 17179934764")

	// Biases are not bounded, and the largest masters are fine.
	b1 := HeaderSize + 4*2048*32
	_, err = Decode(put(b1, 1<<31))
	require.NoError(t, err)
	_, err = Decode(put(w1, uint32(0x100000000-127<<8)))
	require.NoError(t, err)
}

// The served model round-trips: FromWeights then WeightsFile rebuilds the
// committed file byte for byte, and a checkpoint's WeightsFile loads.
func TestWeightsFile(t *testing.T) {
	w, err := embedded.Load()
	require.NoError(t, err)
	ck, err := FromWeights(w)
	require.NoError(t, err)
	require.Equal(t, embedded.WeightsFile(), ck.WeightsFile())

	init, err := Initial(train.Default)
	require.NoError(t, err)
	parsed, err := embedded.ParseWeights(init.WeightsFile())
	require.NoError(t, err)
	require.Equal(t, init.Weights(), parsed)

	bad := *w
	bad.W2 = append([]int8{-128}, w.W2[1:]...)
	_, err = FromWeights(&bad)
	require.Error(t, err)
	bad = *w
	bad.B2 = []int32{1 << 23, 0, 0}
	_, err = FromWeights(&bad)
	require.Error(t, err)
	bad = *w
	bad.B1 = bad.B1[1:]
	_, err = FromWeights(&bad)
	require.Error(t, err)
}

func TestParseHyper(t *testing.T) {
	h, err := ParseHyper(nil)
	require.NoError(t, err)
	require.Equal(t, DefaultHyper(), h)
	require.Equal(t, Hyper{Epochs: 40, Seed: 0x6d6573682d656d62, LR1: 2, LR2: 2, Margin: 4096}, h)

	h, err = ParseHyper([]byte(`{"epochs":3,"seed":18446744073709551615}`))
	require.NoError(t, err)
	require.Equal(t, Hyper{Epochs: 3, Seed: 1<<64 - 1, LR1: 2, LR2: 2, Margin: 4096}, h)

	for _, bad := range []string{
		`{"epochs":0}`, `{"epochs":1001}`, `{"lr1":17}`, `{"margin":-1}`, `{"margin":16777217}`,
		`{"epoch":3}`, `{"epochs":3} {}`, `{"epochs":1.5}`, `{"lr1":-1}`, `[]`,
	} {
		_, err := ParseHyper([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestShardAndHeldOut(t *testing.T) {
	data := train.Dataset()
	trainSet, test := HeldOut(data)
	require.Len(t, test, len(data)/5)
	require.Len(t, trainSet, len(data)-len(data)/5)
	require.Equal(t, data[4], test[0])
	require.Equal(t, data[5], trainSet[4])

	seen := map[string]int{}
	for i := range 3 {
		s := Shard(trainSet, i, 3)
		require.InDelta(t, len(trainSet)/3, len(s), 1)
		require.Equal(t, trainSet[i], s[0])
		var per [embedded.NumLabels]int
		for _, ex := range s {
			seen[ex.Text]++
			per[ex.Label]++
		}
		for _, n := range per {
			require.Greater(t, n, 30, "every shard has every label")
		}
	}
	require.Len(t, seen, len(trainSet), "the shards partition the set")
	require.Nil(t, Shard(trainSet, 3, 3))
	require.Nil(t, Shard(trainSet, -1, 3))
	require.Nil(t, Shard(trainSet, 0, 0))
}
