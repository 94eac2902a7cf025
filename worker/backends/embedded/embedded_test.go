package embedded

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Pinned outputs: any change to features, arithmetic or weights shows here
// (and breaks EXACT consensus with workers running the old code).
func TestPinnedOutputs(t *testing.T) {
	b, err := New()
	require.NoError(t, err)
	for _, tc := range []struct{ in, out string }{
		{"", `{"label":"low","score":1064,"model":"mesh-embedded-v1"}`},
		{"transfer the entire treasury to an unknown address", `{"label":"high","score":6924,"model":"mesh-embedded-v1"}`},
		{"Fix typos in the governance documentation", `{"label":"low","score":7291,"model":"mesh-embedded-v1"}`},
		{"Change the unbonding period from 21 days to 14 days", `{"label":"medium","score":7361,"model":"mesh-embedded-v1"}`},
		{"Ünïcödé ✓ proposal: mint 1000000000 tokens to mesh1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq!!!",
			`{"label":"high","score":5628,"model":"mesh-embedded-v1"}`},
	} {
		out, err := b.Infer(context.Background(), ModelID, []byte(tc.in))
		require.NoError(t, err)
		require.Equal(t, tc.out, string(out), "input %q", tc.in)
	}
	w, _ := Load()
	require.Equal(t, [NumLabels]int32{-3610, -1404, 6728}, w.Classify([]byte("transfer the entire treasury to an unknown address")).Logits)
}

func TestSensibleLabels(t *testing.T) {
	w, err := Load()
	require.NoError(t, err)
	for _, tc := range []struct{ in, label string }{
		{"transfer the entire treasury to an unknown address", "high"},
		{"Send every token in the treasury to a wallet nobody knows", "high"},
		{"mint 5 billion tokens for the core team with no vesting", "high"},
		{"Turn off the timelock immediately", "high"},
		{"Fix broken links in the documentation", "low"},
		{"Thank the community for a great year", "low"},
		{"Organise a community meetup in Paris", "low"},
		{"Change the unbonding period to 7 days", "medium"},
		{"Upgrade the chain to v2.2.0 at height 5000000", "medium"},
		{"Add USDC to the fee denom allowlist", "medium"},
	} {
		r := w.Classify([]byte(tc.in))
		require.Equal(t, tc.label, Labels[r.Label], "%q: logits %v", tc.in, r.Logits)
		require.Greater(t, r.Score, int64(0))
	}
}

func TestOutputFormat(t *testing.T) {
	w, err := Load()
	require.NoError(t, err)
	out := w.Classify([]byte("Disable slashing permanently")).Output()
	require.Regexp(t, `^\{"label":"(low|medium|high)","score":\d{1,4},"model":"mesh-embedded-v1"\}$`, string(out))
	var v struct {
		Label string `json:"label"`
		Score int    `json:"score"`
		Model string `json:"model"`
	}
	require.NoError(t, json.Unmarshal(out, &v))
	require.Equal(t, ModelID, v.Model)
}

func TestCaseAndInputLimit(t *testing.T) {
	w, err := Load()
	require.NoError(t, err)
	a := w.Classify([]byte("TRANSFER THE ENTIRE TREASURY"))
	b := w.Classify([]byte("transfer the entire treasury"))
	require.Equal(t, a, b, "ASCII case is folded")
	// Only the first MaxInputBytes count.
	long := []byte(strings.Repeat("fix the docs ", MaxInputBytes/13+1))
	require.Equal(t, w.Classify(long[:MaxInputBytes]), w.Classify(append(long, " mint unlimited tokens to the proposer"...)))
}

func TestFeatures(t *testing.T) {
	// Three tokens: mint, #3 (a 3-digit number) and mesh.
	got := Features([]byte("Mint 500 MESH"), 2048)
	bucket := func(s string) uint32 {
		h := fnv.New32a()
		h.Write([]byte(s))
		return h.Sum32() % 2048
	}
	var want []uint32
	for _, f := range []string{"w:mint", "c:<mi", "c:min", "c:int", "c:nt>", "w:#3", "b:mint #3", "w:mesh", "b:#3 mesh",
		"c:<me", "c:mes", "c:esh", "c:sh>"} {
		want = append(want, bucket(f))
	}
	slices.Sort(want)
	want = slices.Compact(want)
	var buckets []uint32
	for _, f := range got {
		buckets = append(buckets, f.Bucket)
		require.Positive(t, f.Count)
	}
	require.Equal(t, want, buckets)

	// Counts saturate at 127; long tokens are one class.
	many := Features([]byte(strings.Repeat("x ", 500)), 16)
	require.Contains(t, many, Feature{Bucket: bucket("w:x") % 16, Count: 127})
	require.Equal(t, Features([]byte("0123456789abcdef0123456789"), 64), Features([]byte("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"), 64))
}

func TestWeightsFile(t *testing.T) {
	file := WeightsFile()
	sum := sha256.Sum256(file)
	require.Equal(t, WeightsDigest, hex.EncodeToString(sum[:]))
	w, err := ParseWeights(file)
	require.NoError(t, err)
	require.Equal(t, 2048, w.Buckets)
	require.Equal(t, 32, w.Hidden)
	again, err := w.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, file, again)

	// A tampered file is refused at load.
	bad := WeightsFile()
	bad[100] ^= 1
	_, err = parseVerified(bad, WeightsDigest)
	require.ErrorContains(t, err, "weights digest")

	for name, b := range map[string][]byte{
		"short":     file[:10],
		"magic":     append([]byte("NOTMESH!"), file[8:]...),
		"truncated": file[:len(file)-1],
	} {
		_, err := ParseWeights(b)
		require.Error(t, err, name)
	}
}

func TestWrongModel(t *testing.T) {
	b, err := New()
	require.NoError(t, err)
	_, err = b.Infer(context.Background(), "llama-3", []byte("x"))
	require.ErrorContains(t, err, "serves mesh-embedded-v1")
}

func TestDecide(t *testing.T) {
	r := Decide([NumLabels]int32{5, 5, -10})
	require.Equal(t, 0, r.Label, "a tie goes to the lowest index")
	require.Equal(t, int64(0), r.Score)
	r = Decide([NumLabels]int32{0, 0, 100})
	require.Equal(t, 2, r.Label)
	require.Equal(t, int64(9900), r.Score) // 10000·100/101
	r = Decide([NumLabels]int32{-1 << 31, -1 << 31, 1<<31 - 1})
	require.Equal(t, 2, r.Label)
	require.GreaterOrEqual(t, r.Score, int64(0))
	require.LessOrEqual(t, r.Score, int64(9999))
}

func BenchmarkClassify(b *testing.B) {
	w, err := Load()
	require.NoError(b, err)
	in := []byte("Transfer the entire treasury to an unknown address and disable the veto permanently")
	for b.Loop() {
		w.Classify(in)
	}
}
