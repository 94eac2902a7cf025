package types

// PointsOption passes a measure of the work to AddPoints; the multipliers in
// Params read it.
type PointsOption func(*Measures)

// Measures are what the multipliers look at. A nil field was not measured and
// earns no bonus.
type Measures struct {
	// QualityBps of the work (10000 = perfect).
	QualityBps *uint32
	// LatencyBlocks from the request to the answer.
	LatencyBlocks *uint64
	// PassStreak is the working worker's unbroken run of passed PoC epochs.
	PassStreak uint64
}

// WithQuality gives the work's quality in basis points: at or above
// quality_threshold_bps it earns the quality bonus.
func WithQuality(bps uint32) PointsOption {
	return func(m *Measures) { m.QualityBps = &bps }
}

// WithLatency gives the blocks between request and answer: at most
// speed_max_latency_blocks earns the speed bonus.
func WithLatency(blocks uint64) PointsOption {
	return func(m *Measures) { m.LatencyBlocks = &blocks }
}

// WithPassStreak gives the worker's unbroken run of passed proof-of-compute
// epochs: each earns stability_bonus_bps_per_epoch, up to
// stability_bonus_max_bps.
func WithPassStreak(epochs uint64) PointsOption {
	return func(m *Measures) { m.PassStreak = epochs }
}

// StabilityBonusBps is the stability bonus of a run of streak passed epochs.
func (p Params) StabilityBonusBps(streak uint64) uint32 {
	if p.StabilityBonusBpsPerEpoch == 0 || streak == 0 {
		return 0
	}
	if streak > uint64(p.StabilityBonusMaxBps/p.StabilityBonusBpsPerEpoch) {
		return p.StabilityBonusMaxBps
	}
	return uint32(streak) * p.StabilityBonusBpsPerEpoch // ≤ the cap: no overflow
}

// ApplyOptions collects the measures given to AddPoints.
func ApplyOptions(opts []PointsOption) Measures {
	var m Measures
	for _, o := range opts {
		if o != nil {
			o(&m)
		}
	}
	return m
}
