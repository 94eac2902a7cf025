// Package lm is mesh-lm-v1, meshd-worker's embedded generative model: a
// small byte-level decoder that every machine runs bit-identically, so
// that x/inference's VERIFY mode (one generator, verifiers re-scoring its
// text) runs on the localnet and in CI without a GPU.
//
// Tokens are bytes (0…255) and EOS (256); the model only emits printable
// ASCII and EOS (every other token is masked), so its output is one line of
// text. One decoder block over a KV cache:
//
//	x   = E[tok]                                   (D int8)
//	q,k,v = Wq·x, Wk·x, Wv·x  (A each, requantised to int8; k and v cached)
//	a   = Σ_j softmax_j(q·k_j) v_j over the positions so far (integer softmax)
//	h   = relu(W1·[x ; a])                         (H, requantised)
//	z   = Wo·(W2·h)                                (257 logits)
//	logit = z / 2^zShift + Bi[tok] + Tri[hash(prev, tok)]
//
// Bi and Tri are byte bigram and hashed trigram log-probabilities of a
// fixed corpus (corpus.txt), in units of 1/LogitScale nat, so greedy text
// reads like its English; the block makes the text depend on the whole
// prompt. All arithmetic is integer; only the OpenAI server's displayed
// log-probabilities use floating point.
//
// Generation runs one step per token (prompt and output) over the KV cache;
// re-scoring runs ONE batched pass over prompt and output, whose matrix
// products reuse each weight row across a tile of positions and spread the
// tiles over the cores.
package lm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Model shape.
const (
	// ModelID is the model's id in x/inference.
	ModelID = "mesh-lm-v1"
	// Vocab is 256 bytes and EOS.
	Vocab = 257
	// EOS ends a generation.
	EOS = 256
	// D is the embedding width, A the attention width, H the MLP width.
	D, A, H = 128, 64, 512
	// TriBuckets is the number of hashed trigram contexts.
	TriBuckets = 4096
	// LogitScale is the logits' unit: LogitScale units = 1 nat.
	LogitScale = 16
	// MaskedLogit is the logit of a token the model never emits.
	MaskedLogit = -1 << 20
	// MaxContext bounds prompt + output positions.
	MaxContext = 4096
)

const (
	qkvShift  = 7 // Wq·x etc. → int8
	attnShift = 9 // q·k → softmax argument in 1/16 nat
	hShift    = 8 // W1·[x;a] → int8
	mShift    = 8 // W2·h → int8
	zShift    = 5 // Wo·m → logit units
)

// Weights of mesh-lm-v1.
type Weights struct {
	E          []int8 // Vocab × D
	Wq, Wk, Wv []int8 // A × D each
	W1         []int8 // H × (D + A)
	W2         []int8 // D × H
	Wo         []int8 // Vocab × D
	Bi         []int8 // Vocab × Vocab: row = previous token
	Tri        []int8 // TriBuckets × Vocab

	swarOnce sync.Once
	swar     [5]bool // see swarFlags
}

var magic = []byte("MESHLM1\x00")

// sizes lists the weight arrays in file order.
func (w *Weights) fields() []*[]int8 {
	return []*[]int8{&w.E, &w.Wq, &w.Wk, &w.Wv, &w.W1, &w.W2, &w.Wo, &w.Bi, &w.Tri}
}

var fieldLens = []int{Vocab * D, A * D, A * D, A * D, H * (D + A), D * H, Vocab * D, Vocab * Vocab, TriBuckets * Vocab}

// MarshalBinary is the weights file: magic, then every array's int8 bytes.
func (w *Weights) MarshalBinary() ([]byte, error) {
	out := append([]byte(nil), magic...)
	for i, f := range w.fields() {
		if len(*f) != fieldLens[i] {
			return nil, fmt.Errorf("lm: weight array %d has %d values, want %d", i, len(*f), fieldLens[i])
		}
		for _, v := range *f {
			out = append(out, byte(v))
		}
	}
	return out, nil
}

// ParseWeights reads a weights file.
func ParseWeights(b []byte) (*Weights, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != string(magic) {
		return nil, errors.New("lm: not a mesh-lm-v1 weights file")
	}
	b = b[len(magic):]
	w := &Weights{}
	for i, f := range w.fields() {
		n := fieldLens[i]
		if len(b) < n {
			return nil, errors.New("lm: weights file truncated")
		}
		*f = make([]int8, n)
		for j := range n {
			(*f)[j] = int8(b[j])
		}
		b = b[n:]
	}
	if len(b) != 0 {
		return nil, errors.New("lm: trailing bytes in weights file")
	}
	return w, nil
}

// emits reports whether the model may emit token t: printable ASCII or EOS.
func emits(t int) bool { return t == EOS || (t >= 0x20 && t <= 0x7e) }

// triBucket hashes (previous, current) to a trigram context.
func triBucket(prev, cur int) int {
	h := uint32(prev)*0x9E3779B1 ^ uint32(cur)*0x85EBCA77
	h ^= h >> 15
	return int(h % TriBuckets)
}

// expTab[d] = round(2^16 · e^(−d/16)) for d = 0…255 (1/16-nat steps).
var expTab = func() [256]int64 {
	var t [256]int64
	// e^(−1/16) in Q30, multiplied up step by step (integer-only).
	const step = 1010605901 // round(2^30 · e^(−1/16))
	v := int64(1) << 46     // 2^16 in Q30
	for d := range t {
		t[d] = (v + 1<<29) >> 30
		v = v * step >> 30
	}
	return t
}()

func clamp8(v int32) int8 {
	switch {
	case v > 127:
		return 127
	case v < -127:
		return -127
	}
	return int8(v)
}

// dot is Σ w[i]·x[i].
func dot(w, x []int8) int32 {
	var acc int32
	x = x[:len(w)]
	for i, wv := range w {
		acc += int32(wv) * int32(x[i])
	}
	return acc
}

// matvec: out[r] = clamp8((W_r · x) >> shift) for the rows of W (n × len(x)).
func matvec(w []int8, x []int8, rows int, shift uint, out []int8) {
	n := len(x)
	for r := range rows {
		out[r] = clamp8(dot(w[r*n:r*n+n], x) >> shift)
	}
}

// cache is a generation's KV cache and context.
type cache struct {
	k, v [][A]int8
	prev int // token before the last one fed (-1 at the start)
	last int
}

// attend is a's value for query q over the cached keys and values.
func attend(q []int8, k, v [][A]int8, out []int8) {
	n := len(k)
	scores := make([]int32, n)
	best := int32(-1 << 30)
	for j := range n {
		s := dot(q, k[j][:]) >> attnShift
		scores[j] = s
		best = max(best, s)
	}
	var sum int64
	acc := [A]int64{}
	for j := range n {
		d := best - scores[j]
		if d > 255 {
			continue
		}
		wj := expTab[d]
		sum += wj
		for i := range A {
			acc[i] += wj * int64(v[j][i])
		}
	}
	for i := range A {
		out[i] = int8(acc[i] / sum)
	}
}

// logits fills z with token tok's next-token logits from hidden state m
// (after W2), the bigram of tok and the trigram of (prev, tok).
func (w *Weights) logits(m []int8, prev, tok int, z []int32) {
	bi := w.Bi[tok*Vocab : tok*Vocab+Vocab]
	tb := 0
	if prev >= 0 {
		tb = triBucket(prev, tok)
	}
	tri := w.Tri[tb*Vocab : tb*Vocab+Vocab]
	for t := range Vocab {
		if !emits(t) {
			z[t] = MaskedLogit
			continue
		}
		z[t] = dot(w.Wo[t*D:t*D+D], m)>>zShift + int32(bi[t]) + int32(tri[t])
	}
}

// step feeds one token and returns the next-token logits in z.
func (w *Weights) step(c *cache, tok int, z []int32) {
	x := w.E[tok*D : tok*D+D]
	var q, k, v [A]int8
	matvec(w.Wq, x, A, qkvShift, q[:])
	matvec(w.Wk, x, A, qkvShift, k[:])
	matvec(w.Wv, x, A, qkvShift, v[:])
	c.k, c.v = append(c.k, k), append(c.v, v)
	var xa [D + A]int8
	copy(xa[:D], x)
	attend(q[:], c.k, c.v, xa[D:])
	var h [H]int8
	for r := range H {
		s := dot(w.W1[r*(D+A):(r+1)*(D+A)], xa[:]) >> hShift
		h[r] = clamp8(max(s, 0))
	}
	var m [D]int8
	matvec(w.W2, h[:], D, mShift, m[:])
	c.prev, c.last = c.last, tok
	w.logits(m[:], c.prev, tok, z)
}

// le64 is a little helper for noise hashing.
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
