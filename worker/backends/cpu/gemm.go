// Package cpu is meshd-worker's embedded backend: a pure-Go int8 GEMM with
// int32 results, bit-identical to poc.RowProduct on every machine.
//
// Go has no SIMD intrinsics, so the kernel gets its throughput from SWAR:
// three columns of B are packed into one int64 in 21-bit lanes,
//
//	P = b[k][j] + b[k][j+1]·2^21 + b[k][j+2]·2^42,
//
// and one 64-bit multiply a[i][k]·P yields three products at once. Summing
// over at most kc = 63 values of k keeps every lane sum S in [-2^20, 2^20)
// (|a·b| ≤ 128·128 = 16384 and 63·16384 < 2^20), so the total
// S0 + S1·2^21 + S2·2^42 fits in an int64 exactly and the lanes are recovered
// by sign extension; each 63-step partial is then added to an int32 tile.
// The micro-kernel keeps four rows of A (interleaved, so one pointer walks
// them) against one packed column triple: 4 accumulators, no register
// spills, 12 multiply-accumulates per 4 IMULs.
package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	// kc is the longest run of k whose 21-bit lane sums cannot overflow.
	kc = 63
	// kb is the k-block: the A rows of a chunk are interleaved kb values at a
	// time, so a chunk's scratch stays in L2 whatever n is.
	kb = 4 * kc
	// mc is the number of rows one goroutine multiplies at a time.
	mc = 64
	// lanes is the number of B columns packed in one int64.
	lanes = 3
)

// PackedB is B (n×p int8) repacked for the kernel: panel q holds columns
// 3q..3q+2 (zero-padded past p) as one int64 per k, at w[q·n+k].
type PackedB struct {
	n, p, panels int
	w            []int64
}

// PackB packs a row-major n×p B.
func PackB(b []int8, n, p int) *PackedB {
	if len(b) != n*p {
		panic("cpu: B has the wrong size")
	}
	panels := (p + lanes - 1) / lanes
	pb := &PackedB{n: n, p: p, panels: panels, w: make([]int64, panels*n)}
	for q := 0; q < panels; q++ {
		pan := pb.w[q*n : (q+1)*n]
		for t := 0; t < lanes; t++ {
			j := lanes*q + t
			if j >= p {
				break
			}
			shift := uint(21 * t)
			for k := range pan {
				pan[k] += int64(b[k*p+j]) << shift
			}
		}
	}
	return pb
}

// scratch is one goroutine's working memory.
type scratch struct {
	ai [][4]int64 // (mc/4) blocks of kb k-steps, 4 rows interleaved
	a  []int8     // ProductRows: the chunk's rows of A
	c  []int32    // ProductRows: the chunk's rows of C
}

func newScratch() *scratch {
	return &scratch{ai: make([][4]int64, (mc/4)*kb)}
}

// mulRows sets c (rows×p) to a (rows×n) · B, for rows ≤ mc.
func (pb *PackedB) mulRows(c []int32, a []int8, rows int, s *scratch) {
	n, p := pb.n, pb.p
	clear(c[:rows*p])
	blocks := (rows + 3) / 4
	for k0 := 0; k0 < n; k0 += kb {
		k1 := min(k0+kb, n)
		kl := k1 - k0
		for rb := 0; rb < blocks; rb++ {
			blk := s.ai[rb*kb : rb*kb+kl]
			for r := 0; r < 4; r++ {
				i := 4*rb + r
				if i >= rows {
					for k := range blk {
						blk[k][r] = 0
					}
					continue
				}
				arow := a[i*n+k0 : i*n+k1]
				arow = arow[:len(blk)]
				for k, v := range arow {
					blk[k][r] = int64(v)
				}
			}
		}
		for q := 0; q < pb.panels; q++ {
			pan := pb.w[q*n+k0 : q*n+k1]
			j := lanes * q
			w := min(lanes, p-j)
			for rb := 0; rb < blocks; rb++ {
				var t [4][lanes]int32
				kernel(s.ai[rb*kb:rb*kb+kl], pan, &t)
				for r := 0; r < 4 && 4*rb+r < rows; r++ {
					dst := c[(4*rb+r)*p+j : (4*rb+r)*p+j+w]
					for x := range dst {
						dst[x] += t[r][x]
					}
				}
			}
		}
	}
}

// kernel adds the 4×3 product of ai (4 interleaved rows) and pan (one packed
// column triple) over len(ai) steps of k into t.
func kernel(ai [][4]int64, pan []int64, t *[4][lanes]int32) {
	for len(ai) > 0 {
		l := min(len(ai), kc)
		x, pq := ai[:l], pan[:l]
		var s0, s1, s2, s3 int64
		for k := range x {
			v := pq[k]
			r := &x[k]
			s0 += r[0] * v
			s1 += r[1] * v
			s2 += r[2] * v
			s3 += r[3] * v
		}
		unpack(s0, &t[0])
		unpack(s1, &t[1])
		unpack(s2, &t[2])
		unpack(s3, &t[3])
		ai, pan = ai[l:], pan[l:]
	}
}

// unpack adds the three signed 21-bit lane sums of s to t.
func unpack(s int64, t *[lanes]int32) {
	l0 := s << 43 >> 43
	s = (s - l0) >> 21
	l1 := s << 43 >> 43
	s = (s - l1) >> 21
	t[0] += int32(l0)
	t[1] += int32(l1)
	t[2] += int32(s)
}

// GEMM sets c (m×p) to a (m×n) · b (n×p), all row-major, with int32
// accumulation, on threads goroutines (GOMAXPROCS when threads ≤ 0).
func GEMM(c []int32, a, b []int8, m, n, p, threads int) {
	if len(a) != m*n || len(c) != m*p {
		panic("cpu: A or C has the wrong size")
	}
	pb := PackB(b, n, p)
	parallelChunks(m, threads, func(s *scratch, i0, rows int) {
		pb.mulRows(c[i0*p:(i0+rows)*p], a[i0*n:(i0+rows)*n], rows, s)
	})
}

// parallelChunks calls fn for every chunk of at most mc rows of m, on up to
// threads goroutines that each own one scratch. fn returning false stops
// the hand-out of further chunks.
func parallelChunks(m, threads int, fn func(s *scratch, i0, rows int)) {
	parallelChunksUntil(m, threads, func(s *scratch, i0, rows int) bool {
		fn(s, i0, rows)
		return true
	})
}

func parallelChunksUntil(m, threads int, fn func(s *scratch, i0, rows int) bool) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	chunks := (m + mc - 1) / mc
	threads = max(1, min(threads, chunks))
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newScratch()
			for !stop.Load() {
				ch := int(next.Add(1) - 1)
				if ch >= chunks {
					return
				}
				i0 := ch * mc
				if !fn(s, i0, min(mc, m-i0)) {
					stop.Store(true)
				}
			}
		}()
	}
	wg.Wait()
}
