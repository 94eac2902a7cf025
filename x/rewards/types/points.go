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
