package train

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
)

// Init, NewNet, Step and Shuffler rebuild Train exactly: Train's shuffle
// continues the generator after the initial draws.
func TestStepReproducesTrain(t *testing.T) {
	cfg := Default
	cfg.Epochs = 3
	data := Dataset()
	want, _ := Train(cfg, data)

	net, err := NewNet(cfg, Init(cfg))
	require.NoError(t, err)
	sh := NewShuffler(cfg.Seed)
	for range cfg.Buckets*cfg.Hidden + cfg.Hidden*embedded.NumLabels {
		sh.r.next()
	}
	feats := make([][]embedded.Feature, len(data))
	order := make([]int, len(data))
	for i, ex := range data {
		feats[i] = embedded.Features([]byte(ex.Text), cfg.Buckets)
		order[i] = i
	}
	for range cfg.Epochs {
		sh.Shuffle(order)
		for _, i := range order {
			net.Step(feats[i], data[i].Label)
		}
	}
	require.Equal(t, want, net.Weights())

	// Masters round-trip through NewNet, and the copies are independent.
	m := net.Masters()
	again, err := NewNet(cfg, m)
	require.NoError(t, err)
	require.Equal(t, m, again.Masters())
	require.Equal(t, want, again.Weights())
	m.W1[0]++
	require.NotEqual(t, m, again.Masters())

	_, err = NewNet(cfg, Masters{W1: m.W1[1:], B1: m.B1, W2: m.W2, B2: m.B2})
	require.Error(t, err)
}
