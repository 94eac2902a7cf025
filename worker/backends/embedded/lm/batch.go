package lm

import (
	"runtime"
	"sync"
)

// tile is how many positions a batched matrix product computes per pass
// over a weight row: three, packed into one int64 per column (21-bit
// lanes), so that one multiply computes three products.
const tile = 3

// lane is a packed lane's width; a lane holds a dot product exactly while
// |W_r · x| < 2^(lane−1), which swarOK checks for the matrix.
const lane = 21

// swarOK reports whether every row's Σ|w|·127 fits a lane (int8 x).
func swarOK(w []int8, cols, rows int) bool {
	for r := range rows {
		var s int64
		for _, v := range w[r*cols : r*cols+cols] {
			s += int64(max(v, -v))
		}
		if s*127 >= 1<<(lane-1) {
			return false
		}
	}
	return true
}

// matmul: out[p·rows + r] = f(W_r · X_p) for every position p of X (n × cols),
// weight rows read once per tile of positions; tiles spread over the cores.
// The packed products equal dot's, bit for bit.
func matmul(w []int8, x []int8, cols, rows, n int, packed bool, f func(int32) int8, out []int8) {
	parallel(n, func(lo, hi int) {
		px := make([]int64, cols)
		for p := lo; p < hi; p += tile {
			m := min(tile, hi-p)
			if m < tile || !packed {
				for q := p; q < p+m; q++ {
					xq := x[q*cols : q*cols+cols]
					for r := range rows {
						out[q*rows+r] = f(dot(w[r*cols:r*cols+cols], xq))
					}
				}
				continue
			}
			x0 := x[p*cols : p*cols+cols]
			x1 := x[(p+1)*cols : (p+1)*cols+cols]
			x2 := x[(p+2)*cols : (p+2)*cols+cols]
			for i := range px {
				px[i] = int64(x0[i]) + int64(x1[i])<<lane + int64(x2[i])<<(2*lane)
			}
			for r := range rows {
				wr := w[r*cols : r*cols+cols]
				pr := px[:len(wr)]
				var acc, acc2 int64
				i := 0
				for ; i+4 <= len(wr); i += 4 {
					acc += int64(wr[i])*pr[i] + int64(wr[i+1])*pr[i+1]
					acc2 += int64(wr[i+2])*pr[i+2] + int64(wr[i+3])*pr[i+3]
				}
				for ; i < len(wr); i++ {
					acc += int64(wr[i]) * pr[i]
				}
				acc += acc2
				a0 := acc << (64 - lane) >> (64 - lane) // sign-extend the low lane
				acc = (acc - a0) >> lane
				a1 := acc << (64 - lane) >> (64 - lane)
				a2 := (acc - a1) >> lane
				out[p*rows+r], out[(p+1)*rows+r], out[(p+2)*rows+r] = f(int32(a0)), f(int32(a1)), f(int32(a2))
			}
		}
	})
}

// parallel runs fn over [0, n) in tile-aligned chunks, one per core.
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+tile*8-1)/(tile*8))
	if workers <= 1 {
		fn(0, n)
		return
	}
	per := ((n+workers-1)/workers + tile - 1) / tile * tile
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+per, n))
	}
	wg.Wait()
}

// swarFlags is swarOK of Wq, Wk, Wv, W1, W2, computed once per Weights.
func (w *Weights) swarFlags() [5]bool {
	w.swarOnce.Do(func() {
		w.swar = [5]bool{swarOK(w.Wq, D, A), swarOK(w.Wk, D, A), swarOK(w.Wv, D, A), swarOK(w.W1, D+A, H), swarOK(w.W2, H, D)}
	})
	return w.swar
}

func shiftTo8(s uint) func(int32) int8 { return func(v int32) int8 { return clamp8(v >> s) } }

// forward runs the model over toks in one batched pass and returns, for
// each position p ≥ from, the logits of the token after toks[p]
// (row p − from of the result, Vocab each). The results equal step's,
// bit for bit.
func (w *Weights) forward(toks []int, from int) []int32 {
	n := len(toks)
	x := make([]int8, n*D)
	for p, t := range toks {
		copy(x[p*D:], w.E[t*D:t*D+D])
	}
	q, k, v := make([]int8, n*A), make([]int8, n*A), make([]int8, n*A)
	sw := w.swarFlags()
	matmul(w.Wq, x, D, A, n, sw[0], shiftTo8(qkvShift), q)
	matmul(w.Wk, x, D, A, n, sw[1], shiftTo8(qkvShift), k)
	matmul(w.Wv, x, D, A, n, sw[2], shiftTo8(qkvShift), v)
	ks, vs := make([][A]int8, n), make([][A]int8, n)
	for p := range n {
		copy(ks[p][:], k[p*A:])
		copy(vs[p][:], v[p*A:])
	}
	xa := make([]int8, n*(D+A))
	parallel(n, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			copy(xa[p*(D+A):], x[p*D:p*D+D])
			attend(q[p*A:p*A+A], ks[:p+1], vs[:p+1], xa[p*(D+A)+D:(p+1)*(D+A)])
		}
	})
	h := make([]int8, n*H)
	matmul(w.W1, xa, D+A, H, n, sw[3], func(s int32) int8 { return clamp8(max(s>>hShift, 0)) }, h)
	m := make([]int8, n*D)
	matmul(w.W2, h, H, D, n, sw[4], shiftTo8(mShift), m)
	out := make([]int32, (n-from)*Vocab)
	parallel(n-from, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := from + i
			w.logits(m[p*D:p*D+D], prevAt(toks, p), toks[p], out[i*Vocab:(i+1)*Vocab])
		}
	})
	return out
}
