package types

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"slices"
	"strconv"
)

// Job limits.
const (
	// DigestLength is the length of input, output and result digests (SHA-256).
	DigestLength = sha256.Size
	// CommitmentLength is the length of a commitment (SHA-256).
	CommitmentLength = sha256.Size
	// MinSaltLength and MaxSaltLength bound the reveal salt. 16 bytes at
	// least: a short salt would let anyone brute-force a low-entropy output
	// (a MEDIAN number) from a commitment during the commit phase.
	MinSaltLength = 16
	MaxSaltLength = 64
	// MaxCallbackLength bounds a callback name.
	MaxCallbackLength = 64
	// SudoCallback is the callback name that calls the requester's own
	// sudo entry point when the requester is a CosmWasm contract.
	SudoCallback = "sudo"
	// RecentLatencyWindow is how many agreed latencies WorkerStats keeps for the median.
	RecentLatencyWindow = 16
)

// Commitment is what a worker commits for job jobID:
//
//	SHA-256( be64(job_id) ‖ worker address bytes ‖ output_digest ‖ salt )
//
// The worker's raw address bytes (20 for an account) bind the commitment to
// its sender, so a commitment copied from another worker never matches the
// copier's reveal. output_digest is SHA-256 of the output bytes (32 bytes).
func Commitment(jobID uint64, worker, outputDigest, salt []byte) []byte {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, jobID))
	h.Write(worker)
	h.Write(outputDigest)
	h.Write(salt)
	return h.Sum(nil)
}

// Digest is SHA-256 of b.
func Digest(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

// Quorum is ⌈2r/3⌉, the agreeing answers a job of redundancy r needs. It is
// more than r/2, so at most one group of answers can reach it.
func Quorum(r uint32) uint32 {
	return (2*r + 2) / 3
}

// Plurality returns the index of the first item whose digest the most items
// share, and how many share it; (-1, 0) when every digest is empty. It is the
// vote of x/inference's EXACT jobs and of x/training's aggregators.
func Plurality[T any](items []T, digest func(T) []byte) (best, count int) {
	best = -1
	for i, a := range items {
		d := digest(a)
		if len(d) == 0 {
			continue
		}
		n := 0
		for _, b := range items {
			if bytes.Equal(d, digest(b)) {
				n++
			}
		}
		if n > count {
			best, count = i, n
		}
	}
	return best, count
}

// StartHeight is when the job's workers were drawn (its assigned height;
// the created height for jobs stored before assigned_height existed).
func (j Job) StartHeight() int64 {
	if j.AssignedHeight > 0 {
		return j.AssignedHeight
	}
	return j.CreatedHeight
}

// IsOpen reports whether a job in status s has not ended.
func IsOpen(s JobStatus) bool {
	return s == JOB_STATUS_COMMITTING || s == JOB_STATUS_REVEALING || s == JOB_STATUS_QUEUED || s == JOB_STATUS_VERIFYING
}

// ParseMedianOutput reads a MEDIAN-mode output: ASCII decimal int64, an
// optional '-' then 1..19 digits, nothing else (no '+', no spaces).
func ParseMedianOutput(out []byte) (int64, bool) {
	digits := out
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(out), 10, 64)
	return v, err == nil
}

// FormatMedianOutput is the canonical bytes of a MEDIAN result.
func FormatMedianOutput(v int64) []byte {
	return strconv.AppendInt(nil, v, 10)
}

// MedianLatency is the lower median of the recent latencies, 0 if none.
func (s WorkerStats) MedianLatency() int64 {
	if len(s.RecentLatencyBlocks) == 0 {
		return 0
	}
	sorted := slices.Clone(s.RecentLatencyBlocks)
	slices.Sort(sorted)
	return sorted[(len(sorted)-1)/2]
}

// AgreementRateBps is jobs_agreed / jobs_served in basis points (rounded down), 0 if none.
func (s WorkerStats) AgreementRateBps() uint32 {
	if s.JobsServed == 0 {
		return 0
	}
	// 128-bit product: agreed × 10000 may exceed 2^64; the quotient is ≤ 10000.
	hi, lo := bits.Mul64(min(s.JobsAgreed, s.JobsServed), BpsScale)
	q, _ := bits.Div64(hi, lo, s.JobsServed)
	return uint32(q)
}
