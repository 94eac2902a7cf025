package federated

import (
	"encoding/json"
	"fmt"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

// item is the JSON form of a training example stored inline as an x/training
// item: {"text":"…","label":"low|medium|high"}.
type item struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// ItemData is the canonical inline data of an example as an x/training item.
func ItemData(ex train.Example) ([]byte, error) {
	if ex.Label < 0 || ex.Label >= embedded.NumLabels {
		return nil, fmt.Errorf("label %d out of range", ex.Label)
	}
	return json.Marshal(item{Text: ex.Text, Label: embedded.Labels[ex.Label]})
}

// ParseItem reads an item's inline data back into an example. A non-empty
// override (the item's final label on chain) replaces the data's label.
func ParseItem(data []byte, override string) (train.Example, error) {
	var it item
	if err := json.Unmarshal(data, &it); err != nil {
		return train.Example{}, fmt.Errorf("item data: %w", err)
	}
	if it.Text == "" {
		return train.Example{}, fmt.Errorf("item data: empty text")
	}
	label := it.Label
	if override != "" {
		label = override
	}
	for i, l := range embedded.Labels {
		if l == label {
			return train.Example{Text: it.Text, Label: i}, nil
		}
	}
	return train.Example{}, fmt.Errorf("item data: unknown label %q", label)
}
