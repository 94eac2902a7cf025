package integration

import (
	"testing"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

func TestZZExp(t *testing.T) {
	w, _ := embedded.Load()
	ck, err := federated.FromWeights(w)
	if err != nil { t.Fatal(err) }
	t.Logf("weightsfile eq: %v", string(ck.WeightsFile()) == string(mustFile(w)))
	tr, te := federated.HeldOut(train.Dataset())
	t.Logf("train %d test %d", len(tr), len(te))
	h, _ := federated.ParseHyper([]byte(`{"epochs":4,"seed":7}`))
	for _, start := range []string{"served", "initial"} {
		c := ck
		if start == "initial" { c, _ = federated.Initial(train.Default) }
		l, cor, _ := federated.Evaluate(c, te)
		t.Logf("%s base: %d %d", start, l, cor)
		for r := uint32(1); r <= 3; r++ {
			var ups []federated.Weighted
			for i := 0; i < 3; i++ {
				u, st, err := federated.LocalUpdate(c, federated.Shard(tr, i, 3), h, r)
				if err != nil { t.Fatal(err) }
				ups = append(ups, federated.Weighted{Ckpt: u, Samples: st.Samples})
			}
			c, _ = federated.Aggregate(federated.FedAvg, ups)
			l, cor, _ := federated.Evaluate(c, te)
			t.Logf("%s round %d: %d %d", start, r, l, cor)
		}
	}
}
func mustFile(w *embedded.Weights) []byte { b, _ := w.MarshalBinary(); return b }
