// Package train produces mesh-embedded-v1's weights: integer SGD on the
// built-in Dataset, deterministic and seeded, so that `go run
// ./worker/backends/embedded/gen` rebuilds the committed weights file byte
// for byte on any machine.
//
// The network is trained as it runs (quantization-aware): every weight has
// an int32 master copy with FracBits fractional bits, the forward pass uses
// the rounded int8 weights exactly as embedded.Weights does, and the
// gradients pass straight through the rounding. The loss is the multiclass
// hinge loss with a margin: an example whose true logit does not beat the
// best wrong logit by Margin moves the weights of both classes.
package train

import (
	"fmt"

	"github.com/llmesh/mesh/worker/backends/embedded"
)

// Config are the training hyper-parameters.
type Config struct {
	Buckets, Hidden int
	// Shift requantizes the hidden layer (embedded.Weights.Shift).
	Shift uint8
	// Epochs over the data set.
	Epochs int
	// Seed drives initialisation and shuffling.
	Seed uint64
	// Margin in logit units.
	Margin int64
	// InitW1 and InitW2 bound the initial int8 weights (uniform in ±Init).
	InitW1, InitW2 int64
	// LR1 and LR2 are left shifts of the hidden and output updates (in
	// master units, i.e. 2^-FracBits of an int8 step).
	LR1, LR2 uint
}

// FracBits are the master weights' fractional bits.
const FracBits = 8

// Default is the configuration of the committed weights.
var Default = Config{
	Buckets: 2048,
	Hidden:  32,
	Shift:   4,
	Epochs:  40,
	Seed:    0x6d6573682d656d62, // "mesh-emb"
	Margin:  4096,
	InitW1:  24,
	InitW2:  16,
	LR1:     2,
	LR2:     2,
}

// Stats reports how training went.
type Stats struct {
	Examples int
	// Updates per epoch (examples inside the margin).
	Updates []int
	// Correct is how many training examples the final model classifies right.
	Correct int
}

func (s Stats) String() string {
	return fmt.Sprintf("%d examples, %d correct after training; updates per epoch %v", s.Examples, s.Correct, s.Updates)
}

// net holds master weights and their int8 roundings.
type net struct {
	cfg    Config
	w1, w2 []int32 // masters
	b1, b2 []int32 // masters
	q      embedded.Weights
}

// Train runs cfg on the data set and returns the int8 model.
func Train(cfg Config, data []Example) (*embedded.Weights, Stats) {
	rng := splitmix64(cfg.Seed)
	n := &net{cfg: cfg,
		w1: make([]int32, cfg.Buckets*cfg.Hidden), w2: make([]int32, cfg.Hidden*embedded.NumLabels),
		b1: make([]int32, cfg.Hidden), b2: make([]int32, embedded.NumLabels),
		q: embedded.Weights{Buckets: cfg.Buckets, Hidden: cfg.Hidden, Shift: cfg.Shift,
			W1: make([]int8, cfg.Buckets*cfg.Hidden), B1: make([]int32, cfg.Hidden),
			W2: make([]int8, cfg.Hidden*embedded.NumLabels), B2: make([]int32, embedded.NumLabels)},
	}
	for i := range n.w1 {
		n.setW1(i, int32(rng.between(-cfg.InitW1, cfg.InitW1)<<FracBits))
	}
	for i := range n.w2 {
		n.setW2(i, int32(rng.between(-cfg.InitW2, cfg.InitW2)<<FracBits))
	}
	feats := make([][]embedded.Feature, len(data))
	for i, ex := range data {
		feats[i] = embedded.Features([]byte(ex.Text), cfg.Buckets)
	}
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	st := Stats{Examples: len(data)}
	for e := 0; e < cfg.Epochs; e++ {
		// Fisher–Yates with the seeded generator.
		for i := len(order) - 1; i > 0; i-- {
			j := int(rng.next() % uint64(i+1))
			order[i], order[j] = order[j], order[i]
		}
		updates := 0
		for _, i := range order {
			if n.step(feats[i], data[i].Label) {
				updates++
			}
		}
		st.Updates = append(st.Updates, updates)
	}
	for i, ex := range data {
		if embedded.Decide(n.q.Logits(n.q.HiddenLayer(feats[i]))).Label == ex.Label {
			st.Correct++
		}
	}
	out := n.q
	return &out, st
}

// step trains on one example; it reports whether the weights moved.
func (n *net) step(x []embedded.Feature, y int) bool {
	const L = embedded.NumLabels
	H := n.cfg.Hidden
	// Forward, keeping the pre-activations.
	acc := make([]int64, H)
	for j := range acc {
		acc[j] = int64(n.q.B1[j])
	}
	for _, f := range x {
		row := n.q.W1[int(f.Bucket)*H : (int(f.Bucket)+1)*H]
		for j, w := range row {
			acc[j] += int64(f.Count) * int64(w)
		}
	}
	h := n.q.HiddenLayer(x)
	z := n.q.Logits(h)
	p := -1
	for k := 0; k < L; k++ {
		if k != y && (p < 0 || z[k] > z[p]) {
			p = k
		}
	}
	if int64(z[y])-int64(z[p]) > n.cfg.Margin {
		return false
	}
	// Hidden gradient before the output weights move: ∂(z_y − z_p)/∂h_j.
	g := make([]int64, H)
	for j := range g {
		g[j] = int64(n.q.W2[j*L+y]) - int64(n.q.W2[j*L+p])
	}
	for j := 0; j < H; j++ {
		if h[j] == 0 {
			continue
		}
		d := int64(h[j]) << n.cfg.LR2
		n.setW2(j*L+y, sat(int64(n.w2[j*L+y])+d))
		n.setW2(j*L+p, sat(int64(n.w2[j*L+p])-d))
	}
	db := int64(64) << n.cfg.LR2 << FracBits >> 4
	n.setB2(y, sat(int64(n.b2[y])+db))
	n.setB2(p, sat(int64(n.b2[p])-db))
	for j := 0; j < H; j++ {
		// Straight through the ReLU where it is active and not saturated.
		if acc[j] <= 0 || acc[j]>>n.cfg.Shift >= 127 || g[j] == 0 {
			continue
		}
		for _, f := range x {
			i := int(f.Bucket)*H + j
			n.setW1(i, sat(int64(n.w1[i])+(int64(f.Count)*g[j]<<n.cfg.LR1)))
		}
		n.setB1(j, sat(int64(n.b1[j])+(g[j]<<n.cfg.LR1)))
	}
	return true
}

func (n *net) setW1(i int, m int32) { n.w1[i] = clampMaster(m); n.q.W1[i] = round8(n.w1[i]) }
func (n *net) setW2(i int, m int32) { n.w2[i] = clampMaster(m); n.q.W2[i] = round8(n.w2[i]) }
func (n *net) setB1(i int, m int32) { n.b1[i] = m; n.q.B1[i] = roundShift(m) }
func (n *net) setB2(i int, m int32) { n.b2[i] = m; n.q.B2[i] = roundShift(m) }

// clampMaster keeps a master weight inside what rounds to int8.
func clampMaster(m int32) int32 {
	const lim = 127 << FracBits
	return max(min(m, lim), -lim)
}

// roundShift drops the fractional bits, rounding half up (an arithmetic
// shift of m + ½).
func roundShift(m int32) int32 { return int32((int64(m) + 1<<(FracBits-1)) >> FracBits) }

func round8(m int32) int8 { return int8(max(min(roundShift(m), 127), -127)) }

func sat(v int64) int32 { return int32(max(min(v, 1<<31-1), -(1 << 31))) }

// rng is SplitMix64 (Steele, Lea, Flood 2014): tiny, and the same on every machine.
type rng struct{ s uint64 }

func splitmix64(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// between returns an integer in [lo, hi] (the modulo bias is irrelevant here).
func (r *rng) between(lo, hi int64) int64 {
	return lo + int64(r.next()%uint64(hi-lo+1))
}
