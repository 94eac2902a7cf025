// Package embedded is meshd-worker's built-in inference model
// (runtime "int8-embedded", model id "mesh-embedded-v1"): a small int8
// text classifier that rates DAO proposals for risk ("low", "medium",
// "high").
//
// Everything from the input bytes to the output bytes is integer
// arithmetic with fixed widths, no floats, no maps and no concurrency, so
// every machine computes bit-identical outputs and x/inference's EXACT
// consensus can compare them:
//
//	features  text → hashed n-gram counts x[d] ∈ [0, 127], d < Buckets
//	hidden    a[j] = b1[j] + Σ_d x[d]·W1[d][j]          int8 × int8 → int32
//	          h[j] = min(max(a[j], 0) >> Shift, 127)       integer ReLU + requantization
//	logits    z[k] = b2[k] + Σ_j h[j]·W2[j][k]          int32
//	label     argmax z (the lowest index wins a tie)
//	score     10000·(z_top − z_second) / (|z0|+|z1|+|z2|+1), in basis points
//
// The weights are trained by ./train (integer SGD on a built-in data set),
// written by ./gen and embedded from mesh-embedded-v1.bin; Load checks their
// SHA-256 against WeightsDigest.
package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

const (
	// ModelID is the model's id in x/inference's registry.
	ModelID = "mesh-embedded-v1"
	// Runtime is the x/inference runtime the model is served under.
	Runtime = "int8-embedded"
	// MaxInputBytes is how much of an input the model reads; the rest is ignored.
	MaxInputBytes = 64 << 10
	// NumLabels is the number of output classes.
	NumLabels = 3
	// maxCount clips a feature count to the int8 range.
	maxCount = 127
	// maxTokenLen: longer tokens (addresses, hashes, base64) become one class token.
	maxTokenLen = 24
)

// Labels are the classes, in logit order.
var Labels = [NumLabels]string{"low", "medium", "high"}

// Result is one classification.
type Result struct {
	// Label indexes Labels.
	Label int
	// Score is the margin of the label over the runner-up, in basis points of
	// the logits' total magnitude: 0 (a tie) … 9999 (only the label scores).
	Score int64
	// Logits are the raw class scores.
	Logits [NumLabels]int32
}

// Output is the model's answer as the worker commits it: compact JSON with
// keys in this order, e.g. {"label":"high","score":8123,"model":"mesh-embedded-v1"}.
func (r Result) Output() []byte { return r.OutputFor(ModelID) }

// OutputFor is Output naming another model, e.g. a checkpoint x/training
// registered under its own id.
func (r Result) OutputFor(model string) []byte {
	b := make([]byte, 0, 64+len(model))
	b = append(b, `{"label":"`...)
	b = append(b, Labels[r.Label]...)
	b = append(b, `","score":`...)
	b = strconv.AppendInt(b, r.Score, 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, model)
	return append(b, '}')
}

// appendJSONString quotes s as a JSON string. Model ids are printable
// without spaces but may hold '"' or '\'; the escaping is fixed here (not
// encoding/json's HTML escaping) as every worker must write the same bytes.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// Feature is a hashed feature bucket and its clipped count.
type Feature struct {
	Bucket uint32
	Count  int32
}

// Features turns text into the model's sparse input, in ascending bucket
// order. The first MaxInputBytes bytes are read; ASCII letters are folded
// to lower case; tokens are maximal runs of [a-z0-9] and bytes ≥ 0x80 (so
// UTF-8 words stay whole). A token of digits only becomes "#<number of
// digits>", a token of more than 24 bytes becomes "@long". Each token i
// adds the features
//
//	"w:" ‖ token                  the word
//	"b:" ‖ token[i−1] ‖ " " ‖ token  the word pair, from the second token on
//	"c:" ‖ trigram                every 3-byte window of "<" ‖ token ‖ ">" (plain words)
//
// each hashed with 32-bit FNV-1a and reduced modulo buckets; a bucket's
// count saturates at 127.
func Features(text []byte, buckets int) []Feature {
	if len(text) > MaxInputBytes {
		text = text[:MaxInputBytes]
	}
	counts := make([]uint8, buckets)
	add := func(h uint32) {
		if d := h % uint32(buckets); counts[d] < maxCount {
			counts[d]++
		}
	}
	var prev []byte
	word := make([]byte, 0, maxTokenLen+2)
	flush := func(raw []byte) {
		tok, plain := tokenClass(raw)
		add(fnv1a(fnv1a(offset32, "w:"), string(tok)))
		if prev != nil {
			add(fnv1a(fnv1a(fnv1a(fnv1a(offset32, "b:"), string(prev)), " "), string(tok)))
		}
		if plain {
			word = append(append(append(word[:0], '<'), tok...), '>')
			for i := 0; i+3 <= len(word); i++ {
				add(fnv1a(fnv1a(offset32, "c:"), string(word[i:i+3])))
			}
		}
		prev = append(prev[:0], tok...)
	}
	start := -1
	lower := make([]byte, len(text))
	for i, c := range text {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
		if isTokenByte(c) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			flush(lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		flush(lower[start:])
	}
	var out []Feature
	for d, c := range counts {
		if c > 0 {
			out = append(out, Feature{Bucket: uint32(d), Count: int32(c)})
		}
	}
	return out
}

func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= 0x80
}

// tokenClass maps a raw token to the token the features use, and reports
// whether it is a plain word (which also gets character trigrams).
func tokenClass(raw []byte) ([]byte, bool) {
	if len(raw) > maxTokenLen {
		return []byte("@long"), false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return raw, true
		}
	}
	return strconv.AppendInt([]byte("#"), int64(len(raw)), 10), false
}

const (
	offset32 = 2166136261
	prime32  = 16777619
)

// fnv1a continues a 32-bit FNV-1a hash with s.
func fnv1a(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= prime32
	}
	return h
}

// Weights are the model's parameters.
type Weights struct {
	// Buckets is the number of feature buckets (rows of W1).
	Buckets int
	// Hidden is the width of the hidden layer.
	Hidden int
	// Shift requantizes the hidden accumulators to [0, 127].
	Shift uint8
	// W1 is Buckets×Hidden, row-major: row d holds bucket d's weights.
	W1 []int8
	// B1 is the hidden bias, in accumulator units.
	B1 []int32
	// W2 is Hidden×NumLabels, row-major.
	W2 []int8
	// B2 is the output bias, in logit units.
	B2 []int32
}

// The weights file: magic ‖ version (u32) ‖ buckets (u32) ‖ hidden (u32) ‖
// labels (u32) ‖ shift (u32) ‖ W1 ‖ B1 (int32 each) ‖ W2 ‖ B2 (int32 each),
// little-endian.
var fileMagic = [8]byte{'M', 'E', 'S', 'H', 'I', 'N', 'T', '8'}

const (
	fileVersion = 1
	headerSize  = 8 + 5*4
	maxBuckets  = 1 << 20
	maxHidden   = 1 << 12
)

// MarshalBinary encodes the weights in the file format.
func (w *Weights) MarshalBinary() ([]byte, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	out := make([]byte, 0, headerSize+len(w.W1)+4*len(w.B1)+len(w.W2)+4*len(w.B2))
	out = append(out, fileMagic[:]...)
	for _, v := range []uint32{fileVersion, uint32(w.Buckets), uint32(w.Hidden), NumLabels, uint32(w.Shift)} {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	out = appendInt8s(out, w.W1)
	out = appendInt32s(out, w.B1)
	out = appendInt8s(out, w.W2)
	out = appendInt32s(out, w.B2)
	return out, nil
}

// ParseWeights decodes a weights file.
func ParseWeights(b []byte) (*Weights, error) {
	if len(b) < headerSize || [8]byte(b[:8]) != fileMagic {
		return nil, errors.New("embedded: not a weights file")
	}
	hdr := func(i int) uint32 { return binary.LittleEndian.Uint32(b[8+4*i:]) }
	if v := hdr(0); v != fileVersion {
		return nil, fmt.Errorf("embedded: weights file version %d, want %d", v, fileVersion)
	}
	if hdr(1) == 0 || hdr(1) > maxBuckets || hdr(2) == 0 || hdr(2) > maxHidden || hdr(3) != NumLabels || hdr(4) > 31 {
		return nil, errors.New("embedded: weights file header out of range")
	}
	w := &Weights{Buckets: int(hdr(1)), Hidden: int(hdr(2)), Shift: uint8(hdr(4))}
	want := headerSize + w.Buckets*w.Hidden + 4*w.Hidden + w.Hidden*NumLabels + 4*NumLabels
	if len(b) != want {
		return nil, fmt.Errorf("embedded: weights file has %d bytes, want %d", len(b), want)
	}
	rest := b[headerSize:]
	w.W1, rest = readInt8s(rest, w.Buckets*w.Hidden)
	w.B1, rest = readInt32s(rest, w.Hidden)
	w.W2, rest = readInt8s(rest, w.Hidden*NumLabels)
	w.B2, _ = readInt32s(rest, NumLabels)
	return w, nil
}

func (w *Weights) validate() error {
	if w.Buckets <= 0 || w.Buckets > maxBuckets || w.Hidden <= 0 || w.Hidden > maxHidden || w.Shift > 31 ||
		len(w.W1) != w.Buckets*w.Hidden || len(w.B1) != w.Hidden || len(w.W2) != w.Hidden*NumLabels || len(w.B2) != NumLabels {
		return errors.New("embedded: inconsistent weights")
	}
	return nil
}

func appendInt8s(out []byte, v []int8) []byte {
	for _, x := range v {
		out = append(out, byte(x))
	}
	return out
}

func appendInt32s(out []byte, v []int32) []byte {
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, uint32(x))
	}
	return out
}

func readInt8s(b []byte, n int) ([]int8, []byte) {
	out := make([]int8, n)
	for i := range out {
		out[i] = int8(b[i])
	}
	return out, b[n:]
}

func readInt32s(b []byte, n int) ([]int32, []byte) {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, b[4*n:]
}

// HiddenLayer computes h for the features x (counts in [0, 127]).
// Accumulators are int64, so no weights file can make them overflow; for
// the shipped sizes they stay far inside int32.
func (w *Weights) HiddenLayer(x []Feature) []int32 {
	acc := make([]int64, w.Hidden)
	for j := range acc {
		acc[j] = int64(w.B1[j])
	}
	for _, f := range x {
		row := w.W1[int(f.Bucket)*w.Hidden : (int(f.Bucket)+1)*w.Hidden]
		for j, wt := range row {
			acc[j] += int64(f.Count) * int64(wt)
		}
	}
	h := make([]int32, w.Hidden)
	for j, a := range acc {
		if a > 0 {
			h[j] = int32(min(a>>w.Shift, maxCount))
		}
	}
	return h
}

// Logits computes z from the hidden activations.
func (w *Weights) Logits(h []int32) [NumLabels]int32 {
	var z [NumLabels]int32
	for k := range z {
		acc := int64(w.B2[k])
		for j, hj := range h {
			acc += int64(hj) * int64(w.W2[j*NumLabels+k])
		}
		z[k] = saturate32(acc)
	}
	return z
}

func saturate32(v int64) int32 {
	return int32(max(min(v, 1<<31-1), -(1 << 31)))
}

// Decide picks the label and its score from the logits.
func Decide(z [NumLabels]int32) Result {
	top := 0
	for k := 1; k < NumLabels; k++ {
		if z[k] > z[top] {
			top = k
		}
	}
	second := int64(-1 << 62)
	var total int64 = 1
	for k, v := range z {
		total += abs64(int64(v))
		if k != top {
			second = max(second, int64(v))
		}
	}
	// 0 ≤ z_top − z_second ≤ |z_top| + |z_second| < total, so the score is
	// in [0, 9999]; the division truncates (rounds down).
	score := 10000 * (int64(z[top]) - second) / total
	return Result{Label: top, Score: min(max(score, 0), 9999), Logits: z}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Classify runs the model on text.
func (w *Weights) Classify(text []byte) Result {
	return Decide(w.Logits(w.HiddenLayer(Features(text, w.Buckets))))
}
