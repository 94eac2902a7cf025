// Package federated is the deterministic core of x/training's federated
// rounds for mesh-embedded-v1: checkpoints with a canonical encoding and
// digest, data shards, local updates, aggregation rules and evaluation.
//
// The chain only sees digests, sample counts and losses, so honest workers
// on different machines must produce the same bytes. Everything here is
// integer arithmetic with fixed widths and a written rounding rule; no
// floats, maps, clocks or goroutines:
//
//	round r:  base ──LocalUpdate(shard i, Hyper, r)──▶ update i   (participants)
//	          updates ──Aggregate(rule)──▶ next base             (r aggregators, exact agreement)
//	          next base ──Evaluate(held-out)──▶ loss, accuracy     (evaluators)
//
// A Checkpoint holds the int32 master weights (train.FracBits fractional
// bits); the model that serves inference is its int8 rounding (Weights,
// WeightsFile), the same rounding training uses in its forward pass.
package federated

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

// The checkpoint encoding: magic ‖ version ‖ buckets ‖ hidden ‖ labels ‖
// shift ‖ frac bits (u32 each) ‖ W1 ‖ B1 ‖ W2 ‖ B2 (int32 each), all
// little-endian, W1 and W2 row-major as in embedded.Weights. Every
// checkpoint has exactly one encoding.
var magic = [8]byte{'M', 'E', 'S', 'H', 'C', 'K', 'P', 'T'}

const (
	// Version is the checkpoint encoding's version.
	Version = 1
	// HeaderSize is the encoding's header length in bytes.
	HeaderSize = 8 + 6*4
	// MaxBuckets and MaxHidden bound a checkpoint's sizes (the embedded
	// weights file's limits).
	MaxBuckets = 1 << 20
	MaxHidden  = 1 << 12
	// maxMaster is the largest master weight magnitude: what rounds to ±127,
	// where training clamps W1 and W2. Biases are not clamped.
	maxMaster = 127 << train.FracBits
)

// Checkpoint is a model's master weights. The zero value is not a valid
// checkpoint: make one with Initial, FromWeights, Decode, LocalUpdate or
// Aggregate. A Checkpoint is never modified after it is made.
type Checkpoint struct {
	buckets, hidden int
	shift           uint8
	// p holds W1 ‖ B1 ‖ W2 ‖ B2, the encoding's order.
	p []int32
}

// Initial is the seeded initialisation train.Train starts from with cfg
// (its Buckets, Hidden, Shift, Seed, InitW1 and InitW2).
func Initial(cfg train.Config) (*Checkpoint, error) {
	if err := checkSizes(cfg.Buckets, cfg.Hidden, cfg.Shift); err != nil {
		return nil, err
	}
	if cfg.InitW1 < 0 || cfg.InitW1 > 127 || cfg.InitW2 < 0 || cfg.InitW2 > 127 {
		return nil, fmt.Errorf("federated: initial weight bounds %d, %d outside [0, 127]", cfg.InitW1, cfg.InitW2)
	}
	return fromMasters(cfg.Buckets, cfg.Hidden, cfg.Shift, train.Init(cfg)), nil
}

// FromWeights is the checkpoint whose rounding is w, every master an exact
// int8 step, e.g. to fine-tune the served mesh-embedded-v1 (embedded.Load).
// It refuses a weight of −128 and a bias beyond ±2^23, which no master
// represents.
func FromWeights(w *embedded.Weights) (*Checkpoint, error) {
	if err := checkSizes(w.Buckets, w.Hidden, w.Shift); err != nil {
		return nil, err
	}
	H, L := w.Hidden, embedded.NumLabels
	if len(w.W1) != w.Buckets*H || len(w.B1) != H || len(w.W2) != H*L || len(w.B2) != L {
		return nil, errors.New("federated: inconsistent weights")
	}
	c := &Checkpoint{buckets: w.Buckets, hidden: H, shift: w.Shift, p: make([]int32, 0, paramCount(w.Buckets, H))}
	weights := func(w []int8) error {
		for _, v := range w {
			if v == -128 {
				return errors.New("federated: weight −128 has no master")
			}
			c.p = append(c.p, int32(v)<<train.FracBits)
		}
		return nil
	}
	biases := func(b []int32) error {
		for _, v := range b {
			if v >= 1<<(31-train.FracBits) || v < -(1<<(31-train.FracBits)) {
				return fmt.Errorf("federated: bias %d has no master", v)
			}
			c.p = append(c.p, v<<train.FracBits)
		}
		return nil
	}
	if err := errors.Join(weights(w.W1), biases(w.B1), weights(w.W2), biases(w.B2)); err != nil {
		return nil, err
	}
	return c, nil
}

// Buckets is the number of feature buckets (embedded.Weights.Buckets).
func (c *Checkpoint) Buckets() int { return c.buckets }

// Hidden is the hidden layer's width.
func (c *Checkpoint) Hidden() int { return c.hidden }

// Shift requantizes the hidden layer.
func (c *Checkpoint) Shift() uint8 { return c.shift }

// Masters returns a copy of the master weights.
func (c *Checkpoint) Masters() train.Masters {
	m := c.masters()
	return train.Masters{W1: clone(m.W1), B1: clone(m.B1), W2: clone(m.W2), B2: clone(m.B2)}
}

// Encode is the canonical encoding.
func (c *Checkpoint) Encode() []byte {
	out := make([]byte, 0, HeaderSize+4*len(c.p))
	out = append(out, magic[:]...)
	for _, v := range []uint32{Version, uint32(c.buckets), uint32(c.hidden), embedded.NumLabels, uint32(c.shift), train.FracBits} {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	for _, v := range c.p {
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
	return out
}

// Digest is the SHA-256 of the encoding: what x/training records.
func (c *Checkpoint) Digest() [32]byte { return sha256.Sum256(c.Encode()) }

// Decode parses an encoding strictly: the header must match this version,
// the sizes be in range, the length be exact and every W1 and W2 master be
// one that training can produce (|m| ≤ 127·2^FracBits), so that Decode
// accepts exactly the outputs of Encode.
func Decode(b []byte) (*Checkpoint, error) {
	if len(b) < HeaderSize || [8]byte(b[:8]) != magic {
		return nil, errors.New("federated: not a checkpoint")
	}
	hdr := func(i int) uint32 { return binary.LittleEndian.Uint32(b[8+4*i:]) }
	if v := hdr(0); v != Version {
		return nil, fmt.Errorf("federated: checkpoint version %d, want %d", v, Version)
	}
	if hdr(3) != embedded.NumLabels || hdr(5) != train.FracBits {
		return nil, fmt.Errorf("federated: checkpoint has %d labels and %d fractional bits, want %d and %d",
			hdr(3), hdr(5), embedded.NumLabels, train.FracBits)
	}
	if hdr(1) > MaxBuckets || hdr(2) > MaxHidden || hdr(4) > 31 {
		return nil, errors.New("federated: checkpoint sizes out of range")
	}
	c := &Checkpoint{buckets: int(hdr(1)), hidden: int(hdr(2)), shift: uint8(hdr(4))}
	if err := checkSizes(c.buckets, c.hidden, c.shift); err != nil {
		return nil, err
	}
	// In uint64: buckets·hidden reaches 2^32, past a 32-bit int.
	bk, hd := uint64(c.buckets), uint64(c.hidden)
	if want := HeaderSize + 4*(bk*hd+hd+hd*embedded.NumLabels+embedded.NumLabels); uint64(len(b)) != want {
		return nil, fmt.Errorf("federated: checkpoint has %d bytes, want %d", len(b), want)
	}
	c.p = make([]int32, paramCount(c.buckets, c.hidden))
	for i := range c.p {
		c.p[i] = int32(binary.LittleEndian.Uint32(b[HeaderSize+4*i:]))
	}
	m := c.masters()
	for _, w := range [][]int32{m.W1, m.W2} {
		for _, v := range w {
			if v > maxMaster || v < -maxMaster {
				return nil, fmt.Errorf("federated: master weight %d out of range", v)
			}
		}
	}
	return c, nil
}

// Weights is the int8 model that serves inference: each master rounded
// exactly as training's forward pass rounds it.
func (c *Checkpoint) Weights() *embedded.Weights {
	n, err := train.NewNet(c.config(train.Config{}), c.masters())
	if err != nil {
		panic(err) // a Checkpoint always fits its sizes
	}
	return n.Weights()
}

// WeightsFile is Weights in the embedded weights file format
// (embedded.ParseWeights); its SHA-256 is the model's weights_digest in
// x/inference.
func (c *Checkpoint) WeightsFile() []byte {
	b, err := c.Weights().MarshalBinary()
	if err != nil {
		panic(err) // a Checkpoint's sizes are always valid weights
	}
	return b
}

// Equal reports whether two checkpoints are the same model.
func (c *Checkpoint) Equal(o *Checkpoint) bool {
	if c.buckets != o.buckets || c.hidden != o.hidden || c.shift != o.shift || len(c.p) != len(o.p) {
		return false
	}
	for i, v := range c.p {
		if o.p[i] != v {
			return false
		}
	}
	return true
}

func (c *Checkpoint) sameShape(o *Checkpoint) bool {
	return c.buckets == o.buckets && c.hidden == o.hidden && c.shift == o.shift
}

// valid guards against the zero value and hand-made checkpoints.
func (c *Checkpoint) valid() error {
	if c == nil {
		return errors.New("federated: nil checkpoint")
	}
	if err := checkSizes(c.buckets, c.hidden, c.shift); err != nil {
		return err
	}
	if len(c.p) != paramCount(c.buckets, c.hidden) {
		return errors.New("federated: checkpoint has the wrong number of parameters")
	}
	return nil
}

// masters are views into c.p.
func (c *Checkpoint) masters() train.Masters {
	a := c.buckets * c.hidden
	b := a + c.hidden
	d := b + c.hidden*embedded.NumLabels
	return train.Masters{W1: c.p[:a:a], B1: c.p[a:b:b], W2: c.p[b:d:d], B2: c.p[d:]}
}

// config is cfg with c's sizes.
func (c *Checkpoint) config(cfg train.Config) train.Config {
	cfg.Buckets, cfg.Hidden, cfg.Shift = c.buckets, c.hidden, c.shift
	return cfg
}

func fromMasters(buckets, hidden int, shift uint8, m train.Masters) *Checkpoint {
	p := make([]int32, 0, paramCount(buckets, hidden))
	p = append(append(append(append(p, m.W1...), m.B1...), m.W2...), m.B2...)
	return &Checkpoint{buckets: buckets, hidden: hidden, shift: shift, p: p}
}

func checkSizes(buckets, hidden int, shift uint8) error {
	if buckets <= 0 || buckets > MaxBuckets || hidden <= 0 || hidden > MaxHidden || shift > 31 {
		return fmt.Errorf("federated: sizes %d buckets, %d hidden, shift %d out of range", buckets, hidden, shift)
	}
	return nil
}

func paramCount(buckets, hidden int) int {
	return buckets*hidden + hidden + hidden*embedded.NumLabels + embedded.NumLabels
}

func clone(s []int32) []int32 { return append([]int32(nil), s...) }
