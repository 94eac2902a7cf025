package training

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

func TestItemExample(t *testing.T) {
	open, labeled, disputed := trainingtypes.ITEM_STATUS_OPEN, trainingtypes.ITEM_STATUS_LABELED, trainingtypes.ITEM_STATUS_DISPUTED
	for _, c := range []struct {
		name   string
		item   trainingtypes.Item
		want   train.Example
		usable bool
	}{
		{"json, open", trainingtypes.Item{Status: open, Data: []byte(`{"text":"drain the treasury","label":"high"}`)},
			train.Example{Text: "drain the treasury", Label: 2}, true},
		{"final label wins", trainingtypes.Item{Status: labeled, Label: "low", Data: []byte(` {"text":"fix a typo","label":"high"}`)},
			train.Example{Text: "fix a typo", Label: 0}, true},
		{"labeled plain text", trainingtypes.Item{Status: labeled, Label: "medium", Data: []byte("raise the fee by 1%")},
			train.Example{Text: "raise the fee by 1%", Label: 1}, true},
		{"open plain text has no label", trainingtypes.Item{Status: open, Data: []byte("raise the fee")}, train.Example{}, false},
		{"disputed", trainingtypes.Item{Status: disputed, Data: []byte(`{"text":"x","label":"low"}`)}, train.Example{}, false},
		{"by reference", trainingtypes.Item{Status: labeled, Label: "low", Uri: "https://x/y"}, train.Example{}, false},
		{"unknown label", trainingtypes.Item{Status: open, Data: []byte(`{"text":"x","label":"spam"}`)}, train.Example{}, false},
		{"labeled with an unknown label", trainingtypes.Item{Status: labeled, Label: "spam", Data: []byte(`{"text":"x","label":"low"}`)},
			train.Example{}, false},
		{"empty text", trainingtypes.Item{Status: open, Data: []byte(`{"text":"","label":"low"}`)}, train.Example{}, false},
		{"not UTF-8", trainingtypes.Item{Status: labeled, Label: "low", Data: []byte{0xff, 0xfe}}, train.Example{}, false},
	} {
		got, ok := ItemExample(c.item)
		require.Equal(t, c.usable, ok, c.name)
		require.Equal(t, c.want, got, c.name)
	}
}

type fakeItems map[uint64][]trainingtypes.Item

func (f fakeItems) Items(_ context.Context, ds uint64, _ int64, limit int) ([]trainingtypes.Item, error) {
	items := f[ds]
	return items[:min(limit, len(items))], nil
}

func jsonItem(t *testing.T, ex train.Example) trainingtypes.Item {
	data, err := federated.ItemData(ex)
	require.NoError(t, err)
	return trainingtypes.Item{Status: trainingtypes.ITEM_STATUS_OPEN, Data: data}
}

func TestLoadData(t *testing.T) {
	ctx := context.Background()
	all := train.Dataset()
	items := fakeItems{}
	for i := range 30 {
		items[1+uint64(i%2)] = append(items[1+uint64(i%2)], jsonItem(t, all[i*7]))
	}
	items[1] = append(items[1], trainingtypes.Item{Status: trainingtypes.ITEM_STATUS_DISPUTED, Data: []byte("x")})
	task := trainingtypes.Task{DatasetIds: []uint64{2, 1}, ParticipantsPerRound: 3}

	d, err := loadData(ctx, items, task, 5)
	require.NoError(t, err)
	require.Equal(t, DataChain, d.source)
	require.Equal(t, 31, d.items)
	require.Equal(t, 1, d.skipped)
	var want []train.Example
	for _, ds := range task.DatasetIds {
		for _, it := range items[ds] {
			if ex, ok := ItemExample(it); ok {
				want = append(want, ex)
			}
		}
	}
	wantTrain, wantTest := federated.HeldOut(want)
	require.Equal(t, wantTrain, d.train, "datasets in the task's order, items in id order")
	require.Equal(t, wantTest, d.test)
	require.Len(t, d.test, 6)

	// Too few for 16 participants (2 each): the built-in data set.
	task.ParticipantsPerRound = 16
	d, err = loadData(ctx, items, task, 5)
	require.NoError(t, err)
	require.Equal(t, DataBuiltin, d.source)
	require.Contains(t, d.why, "30 usable items of 31 (need 32)")
	builtinTrain, builtinTest := federated.HeldOut(train.Dataset())
	require.Equal(t, builtinTrain, d.train)
	require.Equal(t, builtinTest, d.test)

	// Fewer than MinChainExamples: the built-in data set too.
	d, err = loadData(ctx, fakeItems{1: items[1][:10]}, trainingtypes.Task{DatasetIds: []uint64{1}, ParticipantsPerRound: 1}, 0)
	require.NoError(t, err)
	require.Equal(t, DataBuiltin, d.source)
}
