package federated

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

// Hyper are a training task's local-update hyper-parameters, as the task
// carries them in JSON, e.g. {"epochs":4,"seed":7,"lr1":2,"lr2":2,"margin":4096}.
type Hyper struct {
	// Epochs over the shard per round.
	Epochs int `json:"epochs"`
	// Seed, with the round, drives the shuffle (ShuffleSeed).
	Seed uint64 `json:"seed"`
	// LR1 and LR2 are train.Config's learning-rate shifts.
	LR1 uint `json:"lr1"`
	LR2 uint `json:"lr2"`
	// Margin is the training hinge margin in logit units.
	Margin int64 `json:"margin"`
}

// Bounds on Hyper: enough for any sensible task, small enough that a step's
// products stay far inside int64 and a round's work is bounded.
const (
	MaxEpochs = 1000
	MaxLR     = 16
	MaxMargin = 1 << 24
)

// DefaultHyper is train.Default's settings.
func DefaultHyper() Hyper {
	d := train.Default
	return Hyper{Epochs: d.Epochs, Seed: d.Seed, LR1: d.LR1, LR2: d.LR2, Margin: d.Margin}
}

// ParseHyper decodes a task's JSON: absent fields keep DefaultHyper's
// values (empty input is all defaults); unknown fields and trailing data are
// refused.
func ParseHyper(b []byte) (Hyper, error) {
	h := DefaultHyper()
	if len(bytes.TrimSpace(b)) == 0 {
		return h, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return Hyper{}, fmt.Errorf("federated: hyper-parameters: %w", err)
	}
	if dec.More() {
		return Hyper{}, errors.New("federated: hyper-parameters: trailing data")
	}
	return h, h.Validate()
}

// Validate checks the bounds.
func (h Hyper) Validate() error {
	if h.Epochs < 1 || h.Epochs > MaxEpochs || h.LR1 > MaxLR || h.LR2 > MaxLR || h.Margin < 0 || h.Margin > MaxMargin {
		return fmt.Errorf("federated: hyper-parameters %+v out of range (epochs 1…%d, lr ≤ %d, margin 0…%d)",
			h, MaxEpochs, MaxLR, MaxMargin)
	}
	return nil
}

// ShuffleSeed is the local update's shuffle seed for a round: the first 8
// bytes, little-endian, of SHA-256("mesh-federated-shuffle" ‖ seed (u64 LE)
// ‖ round (u32 LE)), so that rounds draw unrelated orders.
func ShuffleSeed(seed uint64, round uint32) uint64 {
	b := []byte("mesh-federated-shuffle")
	b = binary.LittleEndian.AppendUint64(b, seed)
	b = binary.LittleEndian.AppendUint32(b, round)
	sum := sha256.Sum256(b)
	return binary.LittleEndian.Uint64(sum[:8])
}

// Stats describe a local update, as a participant reports them.
type Stats struct {
	// Samples is the shard's size: the update's weight in FedAvg.
	Samples uint64
	// Loss is Evaluate's loss of the update on its own shard.
	Loss uint64
}

// Shard is worker index's part of examples when count workers split them:
// examples index, index+count, index+2·count, … in their order. The
// built-in data set is grouped by label, so striding gives every shard the
// same mix. It returns nil unless 0 ≤ index < count.
func Shard(examples []train.Example, index, count int) []train.Example {
	if count <= 0 || index < 0 || index >= count {
		return nil
	}
	var out []train.Example
	for i := index; i < len(examples); i += count {
		out = append(out, examples[i])
	}
	return out
}

// HeldOut splits examples into training and test sets: every 5th example
// (positions 4, 9, 14, …) is a test example, the rest train, both in order.
func HeldOut(examples []train.Example) (trainSet, test []train.Example) {
	for i, ex := range examples {
		if i%5 == 4 {
			test = append(test, ex)
		} else {
			trainSet = append(trainSet, ex)
		}
	}
	return trainSet, test
}

// LocalUpdate runs h.Epochs of train's integer SGD from base on shard: each
// epoch shuffles the shard (train.Shuffler seeded with ShuffleSeed(h.Seed,
// round), one stream over all epochs) and steps through it. The same
// inputs give the same update, bit for bit, on every machine.
func LocalUpdate(base *Checkpoint, shard []train.Example, h Hyper, round uint32) (*Checkpoint, Stats, error) {
	if err := base.valid(); err != nil {
		return nil, Stats{}, err
	}
	if err := h.Validate(); err != nil {
		return nil, Stats{}, err
	}
	if len(shard) == 0 {
		return nil, Stats{}, errors.New("federated: empty shard")
	}
	feats, err := features(shard, base.buckets)
	if err != nil {
		return nil, Stats{}, err
	}
	net, err := train.NewNet(base.config(train.Config{Margin: h.Margin, LR1: h.LR1, LR2: h.LR2}), base.masters())
	if err != nil {
		return nil, Stats{}, err
	}
	order := make([]int, len(shard))
	for i := range order {
		order[i] = i
	}
	sh := train.NewShuffler(ShuffleSeed(h.Seed, round))
	for range h.Epochs {
		sh.Shuffle(order)
		for _, i := range order {
			net.Step(feats[i], shard[i].Label)
		}
	}
	out := fromMasters(base.buckets, base.hidden, base.shift, net.Masters())
	loss, _ := evaluate(net.Weights(), feats, shard)
	return out, Stats{Samples: uint64(len(shard)), Loss: loss}, nil
}

// LossMargin is the hinge margin of the reported losses (train.Default's),
// fixed so that losses compare across tasks whatever their Hyper.Margin.
const LossMargin = 4096

// Evaluate runs the int8 model (Weights, exactly as served) on examples.
// An example's loss is max(0, LossMargin − (z_y − max_{k≠y} z_k)) in logit
// units; loss is their mean in millionths of LossMargin, rounded down, so
// 1 000 000 means "every example exactly at a tie" and 0 "every example
// beyond the margin". correct counts the examples whose served label is
// right. An invalid checkpoint, an empty set or a label out of range is an
// error, never a loss of 0.
func Evaluate(ck *Checkpoint, examples []train.Example) (loss uint64, correct int, err error) {
	if err := ck.valid(); err != nil {
		return 0, 0, err
	}
	if len(examples) == 0 {
		return 0, 0, errors.New("federated: no examples to evaluate")
	}
	feats, err := features(examples, ck.buckets)
	if err != nil {
		return 0, 0, err
	}
	loss, correct = evaluate(ck.Weights(), feats, examples)
	return loss, correct, nil
}

// evaluate needs at least one example.
func evaluate(w *embedded.Weights, feats [][]embedded.Feature, examples []train.Example) (uint64, int) {
	var sum uint64 // each term < 2^33, so 2^30 examples fit
	correct := 0
	for i, ex := range examples {
		z := w.Logits(w.HiddenLayer(feats[i]))
		best := int64(-1 << 62)
		for k, v := range z {
			if k != ex.Label {
				best = max(best, int64(v))
			}
		}
		if gap := int64(z[ex.Label]) - best; gap < LossMargin {
			sum += uint64(LossMargin - gap)
		}
		if embedded.Decide(z).Label == ex.Label {
			correct++
		}
	}
	// 10^6·sum / (LossMargin·n) in 128 bits; the quotient is below
	// 10^6·(2^33+LossMargin)/LossMargin, so Div64 cannot overflow.
	hi, lo := bits.Mul64(sum, 1_000_000)
	q, _ := bits.Div64(hi, lo, LossMargin*uint64(len(examples)))
	return q, correct
}

func features(examples []train.Example, buckets int) ([][]embedded.Feature, error) {
	feats := make([][]embedded.Feature, len(examples))
	for i, ex := range examples {
		if ex.Label < 0 || ex.Label >= embedded.NumLabels {
			return nil, fmt.Errorf("federated: example %d has label %d", i, ex.Label)
		}
		feats[i] = embedded.Features([]byte(ex.Text), buckets)
	}
	return feats, nil
}
