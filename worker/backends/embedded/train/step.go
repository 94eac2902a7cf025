package train

import (
	"fmt"

	"github.com/llmesh/mesh/worker/backends/embedded"
)

// This file exposes Train's pieces (initialisation, one SGD step, the
// per-epoch shuffle) so that federated training runs the same arithmetic
// from a checkpoint instead of from scratch. Train itself is unchanged:
// TestStepReproducesTrain rebuilds it from these pieces.

// Masters are a network's int32 master weights, with FracBits fractional
// bits, laid out as in embedded.Weights (W1 is Buckets×Hidden row-major, W2
// is Hidden×NumLabels row-major).
type Masters struct {
	W1, B1, W2, B2 []int32
}

// Init returns the seeded initial masters Train starts from: W1 then W2
// drawn uniformly from ±InitW1 and ±InitW2 int8 steps, biases zero.
func Init(cfg Config) Masters {
	r := splitmix64(cfg.Seed)
	m := Masters{
		W1: make([]int32, cfg.Buckets*cfg.Hidden), B1: make([]int32, cfg.Hidden),
		W2: make([]int32, cfg.Hidden*embedded.NumLabels), B2: make([]int32, embedded.NumLabels),
	}
	for i := range m.W1 {
		m.W1[i] = clampMaster(int32(r.between(-cfg.InitW1, cfg.InitW1) << FracBits))
	}
	for i := range m.W2 {
		m.W2[i] = clampMaster(int32(r.between(-cfg.InitW2, cfg.InitW2) << FracBits))
	}
	return m
}

// Net is a network under training. It uses cfg's Buckets, Hidden, Shift,
// Margin, LR1 and LR2; Epochs, Seed and the Init bounds belong to whoever
// drives it.
type Net struct{ n *net }

// NewNet starts a network from a copy of m. Master weights outside what
// rounds to int8 are clamped, as every training step does.
func NewNet(cfg Config, m Masters) (*Net, error) {
	const L = embedded.NumLabels
	if cfg.Buckets <= 0 || cfg.Hidden <= 0 || cfg.Shift > 31 ||
		len(m.W1) != cfg.Buckets*cfg.Hidden || len(m.B1) != cfg.Hidden || len(m.W2) != cfg.Hidden*L || len(m.B2) != L {
		return nil, fmt.Errorf("train: masters do not fit %d buckets × %d hidden", cfg.Buckets, cfg.Hidden)
	}
	n := &net{cfg: cfg,
		w1: make([]int32, len(m.W1)), w2: make([]int32, len(m.W2)),
		b1: make([]int32, len(m.B1)), b2: make([]int32, L),
		q: embedded.Weights{Buckets: cfg.Buckets, Hidden: cfg.Hidden, Shift: cfg.Shift,
			W1: make([]int8, len(m.W1)), B1: make([]int32, len(m.B1)),
			W2: make([]int8, len(m.W2)), B2: make([]int32, L)},
	}
	for i, v := range m.W1 {
		n.setW1(i, v)
	}
	for i, v := range m.B1 {
		n.setB1(i, v)
	}
	for i, v := range m.W2 {
		n.setW2(i, v)
	}
	for i, v := range m.B2 {
		n.setB2(i, v)
	}
	return &Net{n: n}, nil
}

// Step trains on one example (features as embedded.Features computes them
// with cfg.Buckets, label < embedded.NumLabels); it reports whether the
// weights moved, i.e. whether the example was inside the margin.
func (t *Net) Step(x []embedded.Feature, label int) bool { return t.n.step(x, label) }

// Masters returns a copy of the master weights.
func (t *Net) Masters() Masters {
	return Masters{W1: clone(t.n.w1), B1: clone(t.n.b1), W2: clone(t.n.w2), B2: clone(t.n.b2)}
}

// Weights returns a copy of the int8 model the forward pass uses (what
// Train returns).
func (t *Net) Weights() *embedded.Weights {
	q := t.n.q
	q.W1, q.B1, q.W2, q.B2 = clone(q.W1), clone(q.B1), clone(q.W2), clone(q.B2)
	return &q
}

// Shuffler is Train's per-epoch shuffle: Fisher–Yates driven by SplitMix64.
type Shuffler struct{ r rng }

// NewShuffler seeds a shuffler.
func NewShuffler(seed uint64) *Shuffler { return &Shuffler{r: rng{s: seed}} }

// Shuffle permutes order in place, drawing len(order)−1 numbers from the
// stream.
func (s *Shuffler) Shuffle(order []int) {
	for i := len(order) - 1; i > 0; i-- {
		j := int(s.r.next() % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
}

func clone[T any](s []T) []T { return append([]T(nil), s...) }
