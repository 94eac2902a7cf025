package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The checkpoint encoding of x/training's federated rounds
// (federated.Checkpoint.Encode): magic ‖ version ‖ buckets ‖ hidden ‖
// labels ‖ shift ‖ frac bits (u32 each) ‖ W1 ‖ B1 ‖ W2 ‖ B2 (int32 master
// weights with ckptFracBits fractional bits), little-endian.
//
// It is read here rather than with federated.Decode because federated (and
// train) import this package. TestCheckpointMatchesFederated pins the two
// readers together: same accepted encodings, same int8 weights.
var ckptMagic = [8]byte{'M', 'E', 'S', 'H', 'C', 'K', 'P', 'T'}

const (
	ckptVersion    = 1
	ckptHeaderSize = 8 + 6*4
	// ckptFracBits is train.FracBits.
	ckptFracBits = 8
	// ckptMaxMaster is the largest W1/W2 master: what rounds to ±127.
	ckptMaxMaster = 127 << ckptFracBits
)

// ParseBlob decodes a model's weights blob: a federated checkpoint (tried
// first, by its magic) rounded to the int8 weights that serve it, or a
// weights file (ParseWeights).
func ParseBlob(b []byte) (*Weights, error) {
	if len(b) >= len(ckptMagic) && [8]byte(b[:8]) == ckptMagic {
		return parseCheckpoint(b)
	}
	if len(b) >= len(fileMagic) && [8]byte(b[:8]) == fileMagic {
		return ParseWeights(b)
	}
	return nil, errors.New("embedded: neither a checkpoint (MESHCKPT) nor a weights file (MESHINT8)")
}

// parseCheckpoint checks an encoding as strictly as federated.Decode and
// rounds its masters as training's forward pass does: W1 and W2 to int8
// (half up, within ±127), biases to whole units (half up).
func parseCheckpoint(b []byte) (*Weights, error) {
	if len(b) < ckptHeaderSize {
		return nil, errors.New("embedded: checkpoint header truncated")
	}
	hdr := func(i int) uint32 { return binary.LittleEndian.Uint32(b[8+4*i:]) }
	if v := hdr(0); v != ckptVersion {
		return nil, fmt.Errorf("embedded: checkpoint version %d, want %d", v, ckptVersion)
	}
	if hdr(3) != NumLabels || hdr(5) != ckptFracBits {
		return nil, fmt.Errorf("embedded: checkpoint has %d labels and %d fractional bits, want %d and %d",
			hdr(3), hdr(5), NumLabels, ckptFracBits)
	}
	if hdr(1) == 0 || hdr(1) > maxBuckets || hdr(2) == 0 || hdr(2) > maxHidden || hdr(4) > 31 {
		return nil, errors.New("embedded: checkpoint sizes out of range")
	}
	w := &Weights{Buckets: int(hdr(1)), Hidden: int(hdr(2)), Shift: uint8(hdr(4))}
	// In uint64: buckets·hidden reaches 2^32.
	bk, hd := uint64(w.Buckets), uint64(w.Hidden)
	if want := ckptHeaderSize + 4*(bk*hd+hd+hd*NumLabels+NumLabels); uint64(len(b)) != want {
		return nil, fmt.Errorf("embedded: checkpoint has %d bytes, want %d", len(b), want)
	}
	rest := b[ckptHeaderSize:]
	next := func() int32 {
		v := int32(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		return v
	}
	weights := func(n int) ([]int8, error) {
		out := make([]int8, n)
		for i := range out {
			m := next()
			if m > ckptMaxMaster || m < -ckptMaxMaster {
				return nil, fmt.Errorf("embedded: checkpoint master weight %d out of range", m)
			}
			out[i] = int8(max(min(roundMaster(m), 127), -127))
		}
		return out, nil
	}
	biases := func(n int) []int32 {
		out := make([]int32, n)
		for i := range out {
			out[i] = roundMaster(next())
		}
		return out
	}
	var err error
	if w.W1, err = weights(w.Buckets * w.Hidden); err != nil {
		return nil, err
	}
	w.B1 = biases(w.Hidden)
	if w.W2, err = weights(w.Hidden * NumLabels); err != nil {
		return nil, err
	}
	w.B2 = biases(NumLabels)
	return w, nil
}

// roundMaster drops the fractional bits, rounding half up (train's roundShift).
func roundMaster(m int32) int32 { return int32((int64(m) + 1<<(ckptFracBits-1)) >> ckptFracBits) }
