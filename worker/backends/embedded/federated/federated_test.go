package federated

import (
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

// testHyper keeps the tests fast: a few epochs per round.
var testHyper = Hyper{Epochs: 4, Seed: 7, LR1: 2, LR2: 2, Margin: 4096}

func TestLocalUpdateDeterministic(t *testing.T) {
	base, err := Initial(train.Default)
	require.NoError(t, err)
	trainSet, _ := HeldOut(train.Dataset())
	shard := Shard(trainSet, 0, 3)

	first, st, err := LocalUpdate(base, shard, testHyper, 1)
	require.NoError(t, err)
	require.Equal(t, uint64(len(shard)), st.Samples)
	loss, _, err := Evaluate(first, shard)
	require.NoError(t, err)
	require.Equal(t, loss, st.Loss, "Stats.Loss is Evaluate on the shard")
	want := first.Digest()

	// Again, and twice at once: nothing is shared between calls.
	again, st2, err := LocalUpdate(base, shard, testHyper, 1)
	require.NoError(t, err)
	require.Equal(t, want, again.Digest())
	require.Equal(t, st, st2)
	var wg sync.WaitGroup
	got := make([][32]byte, 2)
	for i := range got {
		wg.Go(func() {
			ck, _, err := LocalUpdate(base, shard, testHyper, 1)
			if err == nil {
				got[i] = ck.Digest()
			}
		})
	}
	wg.Wait()
	require.Equal(t, [][32]byte{want, want}, got)
	require.Equal(t, InitialDigest, hexDigest(base), "the base is not modified")

	// Another round, seed or shard is another update.
	for name, f := range map[string]func() (*Checkpoint, Stats, error){
		"round": func() (*Checkpoint, Stats, error) { return LocalUpdate(base, shard, testHyper, 2) },
		"seed": func() (*Checkpoint, Stats, error) {
			h := testHyper
			h.Seed++
			return LocalUpdate(base, shard, h, 1)
		},
		"shard": func() (*Checkpoint, Stats, error) { return LocalUpdate(base, Shard(trainSet, 1, 3), testHyper, 1) },
	} {
		ck, _, err := f()
		require.NoError(t, err)
		require.NotEqual(t, want, ck.Digest(), name)
	}

	_, _, err = LocalUpdate(base, nil, testHyper, 1)
	require.Error(t, err)
	_, _, err = LocalUpdate(base, []train.Example{{Text: "x", Label: 3}}, testHyper, 1)
	require.Error(t, err)
	_, _, err = LocalUpdate(base, shard, Hyper{}, 1)
	require.Error(t, err)
	_, _, err = LocalUpdate(&Checkpoint{}, shard, testHyper, 1)
	require.Error(t, err)
}

// RoundDigests pin the federated run below, round by round: honest workers
// anywhere must reproduce them.
var RoundDigests = [3]string{
	"78e98c78d84a930ad8623a4dd18a4498783ffed2a4d0ad3b02e63db4dfc190d6",
	"d5687b2c5b64628afd954379214b58ba6c6c5ea5ca39825eb05e2df0b9258364",
	"2226bdb1f3bc58a7b12c3ca180df1c37186abfe045f8d7e8a1f2461a0485b42a",
}

// Three workers, three rounds, FedAvg: the aggregators agree exactly and the
// held-out loss falls.
func TestFederatedRounds(t *testing.T) {
	const workers, rounds = 3, 3
	trainSet, test := HeldOut(train.Dataset())
	ck, err := Initial(train.Default)
	require.NoError(t, err)
	loss0, correct0, err := Evaluate(ck, test)
	require.NoError(t, err)
	t.Logf("initial: held-out loss %d, accuracy %d/%d", loss0, correct0, len(test))

	rng := rand.New(rand.NewPCG(1, 2)) // only shuffles what the aggregators receive
	loss, correct := loss0, correct0
	for r := range uint32(rounds) {
		// Participants: each trains on its shard and sends the encoding.
		sent := make([][]byte, workers)
		samples := make([]uint64, workers)
		for i := range workers {
			up, st, err := LocalUpdate(ck, Shard(trainSet, i, workers), testHyper, r)
			require.NoError(t, err)
			sent[i], samples[i] = up.Encode(), st.Samples
			t.Logf("round %d worker %d: %d samples, local loss %d", r, i, st.Samples, st.Loss)
		}
		// Aggregators: each decodes its own copies, in its own order.
		var digests [][32]byte
		var next *Checkpoint
		for range 3 {
			updates := make([]Weighted, workers)
			for i := range workers {
				dec, err := Decode(append([]byte(nil), sent[i]...))
				require.NoError(t, err)
				updates[i] = Weighted{Ckpt: dec, Samples: samples[i]}
			}
			rng.Shuffle(len(updates), func(i, j int) { updates[i], updates[j] = updates[j], updates[i] })
			next, err = Aggregate(FedAvg, updates)
			require.NoError(t, err)
			digests = append(digests, next.Digest())
		}
		require.Equal(t, digests[0], digests[1])
		require.Equal(t, digests[0], digests[2])
		require.Equal(t, RoundDigests[r], hexDigest(next), "round %d", r)

		ck = next
		loss, correct, err = Evaluate(ck, test)
		require.NoError(t, err)
		t.Logf("round %d: aggregate %s, held-out loss %d, accuracy %d/%d", r, hexDigest(ck), loss, correct, len(test))
	}
	require.Less(t, loss, loss0)
	require.Greater(t, correct, correct0)

	// The result serves: its weights file loads and classifies as Evaluate did.
	w, err := embedded.ParseWeights(ck.WeightsFile())
	require.NoError(t, err)
	served := 0
	for _, ex := range test {
		if w.Classify([]byte(ex.Text)).Label == ex.Label {
			served++
		}
	}
	require.Equal(t, correct, served)
}

func TestEvaluate(t *testing.T) {
	w, err := embedded.Load()
	require.NoError(t, err)
	served, err := FromWeights(w)
	require.NoError(t, err)
	data := train.Dataset()
	loss, correct, err := Evaluate(served, data)
	require.NoError(t, err)
	require.Equal(t, len(data), correct, "the committed model fits its training set")
	require.Less(t, loss, uint64(1_000_000))

	// One example, by hand: loss = max(0, 4096 − (z_y − z_other))·10^6/4096.
	ex := train.Example{Text: "transfer the entire treasury to an unknown address", Label: 1}
	z := w.Classify([]byte(ex.Text)).Logits // {-3610, -1404, 6728}
	loss, correct, err = Evaluate(served, []train.Example{ex})
	require.NoError(t, err)
	require.Equal(t, 0, correct)
	require.Equal(t, uint64(4096-(int64(z[1])-int64(z[2])))*1_000_000/4096, loss)

	_, _, err = Evaluate(served, nil)
	require.Error(t, err)
	_, _, err = Evaluate(&Checkpoint{}, data)
	require.Error(t, err)
	_, _, err = Evaluate(served, []train.Example{{Text: "x", Label: -1}})
	require.Error(t, err)
}

func hexDigest(c *Checkpoint) string {
	d := c.Digest()
	return hex.EncodeToString(d[:])
}

// BenchmarkLocalUpdate: one local update over the whole data set against
// train.Train for as many epochs on the same data (the reference).
func BenchmarkLocalUpdate(b *testing.B) {
	data := train.Dataset()
	h := testHyper
	base, err := Initial(train.Default)
	require.NoError(b, err)
	b.Run("LocalUpdate", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := LocalUpdate(base, data, h, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("train.Train", func(b *testing.B) {
		cfg := train.Default
		cfg.Epochs = h.Epochs
		for b.Loop() {
			train.Train(cfg, data)
		}
	})
}
