package lm

import (
	"runtime"
	"sync"
)

// tile is how many positions a batched matrix product computes per pass
// over a weight row.
const tile = 4

// matmul: out[p·rows + r] = f(W_r · X_p) for every position p of X (n × cols),
// weight rows read once per tile of positions; tiles spread over the cores.
func matmul(w []int8, x []int8, cols, rows, n int, f func(int32) int8, out []int8) {
	parallel(n, func(lo, hi int) {
		for p := lo; p < hi; p += tile {
			m := min(tile, hi-p)
			if m < tile {
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
			x3 := x[(p+3)*cols : (p+3)*cols+cols]
			for r := range rows {
				wr := w[r*cols : r*cols+cols]
				var a0, a1, a2, a3 int32
				for i, wv := range wr {
					v := int32(wv)
					a0 += v * int32(x0[i])
					a1 += v * int32(x1[i])
					a2 += v * int32(x2[i])
					a3 += v * int32(x3[i])
				}
				out[p*rows+r], out[(p+1)*rows+r], out[(p+2)*rows+r], out[(p+3)*rows+r] = f(a0), f(a1), f(a2), f(a3)
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
	matmul(w.Wq, x, D, A, n, shiftTo8(qkvShift), q)
	matmul(w.Wk, x, D, A, n, shiftTo8(qkvShift), k)
	matmul(w.Wv, x, D, A, n, shiftTo8(qkvShift), v)
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
	matmul(w.W1, xa, D+A, H, n, func(s int32) int8 { return clamp8(max(s>>hShift, 0)) }, h)
	m := make([]int8, n*D)
	matmul(w.W2, h, H, D, n, shiftTo8(mShift), m)
	out := make([]int32, (n-from)*Vocab)
	parallel(n-from, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := from + i
			prev := -1
			if p > 0 {
				prev = toks[p-1]
			}
			w.logits(m[p*D:p*D+D], prev, toks[p], out[i*Vocab:(i+1)*Vocab])
		}
	})
	return out
}
