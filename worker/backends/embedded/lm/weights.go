package lm

import (
	"bufio"
	"bytes"
	"math"
)

// Build makes mesh-lm-v1's weights from a corpus: the block's weights from
// a seeded generator (splitmix64), the bigram and hashed trigram tables
// from the corpus's byte counts, one line per sequence, its end counted as
// EOS. The same corpus gives the same bytes on every machine (the log
// of the counts is rounded to 1/16 nat, far coarser than float64's error).
func Build(corpus []byte) *Weights {
	w := &Weights{}
	seed := uint64(0x6d6573682d6c6d31) // "mesh-lm1"
	next := func() uint64 {
		seed += 0x9E3779B97F4A7C15
		z := seed
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		return z ^ z>>31
	}
	rnd := func(n int, r int) []int8 {
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(int(next()%uint64(2*r+1)) - r)
		}
		return out
	}
	w.E = rnd(Vocab*D, 64)
	w.Wq, w.Wk, w.Wv = rnd(A*D, 16), rnd(A*D, 16), rnd(A*D, 16)
	w.W1 = rnd(H*(D+A), 16)
	w.W2 = rnd(D*H, 16)
	w.Wo = rnd(Vocab*D, 16)

	bi := make([]float64, Vocab*Vocab)
	tri := make([]float64, TriBuckets*Vocab)
	sc := bufio.NewScanner(bytes.NewReader(corpus))
	for sc.Scan() {
		line := tokens(sc.Bytes())
		line = append(line, EOS)
		for i := 1; i < len(line); i++ {
			bi[line[i-1]*Vocab+line[i]]++
			if i >= 2 {
				tri[triBucket(line[i-2], line[i-1])*Vocab+line[i]]++
			}
		}
	}
	w.Bi = quantise(bi, Vocab)
	w.Tri = quantise(tri, TriBuckets)
	return w
}

// quantise turns each row of counts into log-probabilities (add-0.01
// smoothing over the emitted tokens) in 1/LogitScale nat, clipped to −127.
func quantise(counts []float64, rows int) []int8 {
	out := make([]int8, rows*Vocab)
	for r := range rows {
		row := counts[r*Vocab : (r+1)*Vocab]
		var total float64
		for t, c := range row {
			if emits(t) {
				total += c + 0.01
			}
		}
		for t, c := range row {
			if !emits(t) {
				out[r*Vocab+t] = -127
				continue
			}
			v := math.Round(LogitScale * math.Log((c+0.01)/total))
			out[r*Vocab+t] = int8(max(v, -127))
		}
	}
	return out
}
