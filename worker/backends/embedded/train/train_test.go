package train

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
)

// The generator reproduces the committed weights file byte for byte.
func TestReproducesCommittedWeights(t *testing.T) {
	w, st := Train(Default, Dataset())
	bz, err := w.MarshalBinary()
	require.NoError(t, err)
	require.True(t, bytes.Equal(embedded.WeightsFile(), bz),
		"the trained weights differ from mesh-embedded-v1.bin: run go run ./worker/backends/embedded/gen and update WeightsDigest")
	require.Equal(t, st.Examples, st.Correct, "%s", st)
}

func TestDataset(t *testing.T) {
	data := Dataset()
	var per [embedded.NumLabels]int
	seen := map[string]bool{}
	for _, ex := range data {
		per[ex.Label]++
		require.False(t, seen[ex.Text], "duplicate %q", ex.Text)
		seen[ex.Text] = true
	}
	for k, n := range per {
		require.Greater(t, n, 100, "label %s", embedded.Labels[k])
	}
}

// Sentences that are not in the data set.
func TestHeldOut(t *testing.T) {
	w, err := embedded.Load()
	require.NoError(t, err)
	ok := 0
	held := []Example{
		{"Proposal: appoint the proposer as sole owner of the treasury keys", high},
		{"Withdraw all community pool funds to mesh1abcdefghijklmnopqrstuvwxyz0123456789ab", high},
		{"Remove slashing and the veto so the council can act faster", high},
		{"Publish the meeting notes of the last community call", low},
		{"Give 300 MESH to the translator of the wallet", low},
		{"Update the validator onboarding FAQ", low},
		{"Increase the number of validators to 150", medium},
		{"Lower the inference fee burn rate to 5 percent", medium},
		{"Spend 2 percent of the treasury on an audit of the bridge", medium},
	}
	for _, ex := range held {
		if w.Classify([]byte(ex.Text)).Label == ex.Label {
			ok++
		}
	}
	require.GreaterOrEqual(t, ok, len(held)-1, "held-out accuracy")
}

func TestDeterministic(t *testing.T) {
	cfg := Default
	cfg.Epochs = 3
	a, _ := Train(cfg, Dataset())
	b, _ := Train(cfg, Dataset())
	require.Equal(t, a, b)
	cfg.Seed++
	c, _ := Train(cfg, Dataset())
	require.NotEqual(t, a.W1, c.W1)
}
