package training

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// What a round trains and evaluates on. Every worker of a round must read
// the same examples in the same order: participants take disjoint shards
// of them, aggregators evaluate on the same held-out split. So the rules
// here are constants, not settings, and the items are read as of the
// round's start height.
const (
	// MaxTaskItems bounds the items read for a task (its datasets in the
	// task's order, each in item id order, the first MaxTaskItems in all).
	MaxTaskItems = 10_000
	// MinChainExamples is the fewest usable items a task's datasets must
	// give (and at least 2 per participant, so that every shard of the
	// training split has one) before they replace the built-in data set.
	MinChainExamples = 20
)

// Data sources, as records and logs name them.
const (
	DataChain   = "chain"
	DataBuiltin = "builtin"
)

// ItemExample turns an item into a training example, if it is usable:
//   - inline data only (an item by reference is skipped);
//   - a JSON object {"text", "label"} (federated.ItemData's form, read with
//     federated.ParseItem), or, for a LABELED item, any other UTF-8 text
//     (the whole data is the text);
//   - the label is the item's final label when it is LABELED, else the
//     JSON's; a DISPUTED item has none and is skipped; it must be one of
//     the model's labels (low, medium, high);
//   - the text is not empty.
func ItemExample(it trainingtypes.Item) (train.Example, bool) {
	if len(it.Data) == 0 || it.Status == trainingtypes.ITEM_STATUS_DISPUTED {
		return train.Example{}, false
	}
	final := ""
	if it.Status == trainingtypes.ITEM_STATUS_LABELED {
		if final = it.Label; final == "" {
			return train.Example{}, false
		}
	}
	if trimmed := bytes.TrimSpace(it.Data); len(trimmed) > 0 && trimmed[0] == '{' {
		ex, err := federated.ParseItem(trimmed, final)
		return ex, err == nil
	}
	label := labelIndex(final)
	if label < 0 || !utf8.Valid(it.Data) {
		return train.Example{}, false
	}
	return train.Example{Text: string(it.Data), Label: label}, true
}

func labelIndex(label string) int {
	for i, l := range embedded.Labels {
		if l == label {
			return i
		}
	}
	return -1
}

// roundData is what a round trains and evaluates on.
type roundData struct {
	// source is DataChain or DataBuiltin; why says why the built-in set was
	// used. items and skipped count the items read and those not usable.
	source, why    string
	items, skipped int
	train, test    []train.Example
}

// loadData reads the task's items as of height and picks the data set:
// the items' examples if there are enough (MinChainExamples, and 2 per
// participant), else the built-in train.Dataset(). Either way HeldOut
// splits it into training and held-out examples.
func loadData(ctx context.Context, c itemsReader, task trainingtypes.Task, height int64) (roundData, error) {
	var examples []train.Example
	read, skipped := 0, 0
	for _, ds := range task.DatasetIds {
		if read >= MaxTaskItems {
			break
		}
		items, err := c.Items(ctx, ds, height, MaxTaskItems-read)
		if err != nil {
			return roundData{}, fmt.Errorf("dataset %d items: %w", ds, err)
		}
		read += len(items)
		for _, it := range items {
			if ex, ok := ItemExample(it); ok {
				examples = append(examples, ex)
			} else {
				skipped++
			}
		}
	}
	need := max(MinChainExamples, 2*int(task.ParticipantsPerRound))
	d := roundData{source: DataChain, items: read, skipped: skipped}
	if len(examples) < need {
		d.source = DataBuiltin
		d.why = fmt.Sprintf("%d usable items of %d (need %d)", len(examples), read, need)
		examples = train.Dataset()
	}
	d.train, d.test = federated.HeldOut(examples)
	return d, nil
}

type itemsReader interface {
	Items(ctx context.Context, datasetID uint64, height int64, limit int) ([]trainingtypes.Item, error)
}
