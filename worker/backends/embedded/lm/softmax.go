package lm

import "math"

// MinLogprob stands for the log-probability of a token the model never
// emits (−∞ is not JSON), as vLLM's −9999.0.
const MinLogprob = -9999.0

// logSoftmax converts logits (1/LogitScale nat) to log-probabilities in
// nats, for display only (the verdict statistics use integer logits).
func logSoftmax(z []int32) []float64 {
	best := z[argmax(z)]
	var sum float64
	for _, v := range z {
		if v != MaskedLogit {
			sum += math.Exp(float64(v-best) / LogitScale)
		}
	}
	lse := float64(best)/LogitScale + math.Log(sum)
	out := make([]float64, len(z))
	for t, v := range z {
		if v == MaskedLogit {
			out[t] = MinLogprob
			continue
		}
		out[t] = float64(v)/LogitScale - lse
	}
	return out
}
