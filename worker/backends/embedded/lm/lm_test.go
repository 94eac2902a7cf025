package lm_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded/lm"
)

var settings = backends.GenSettings{MaxTokens: lm.DefaultMaxTokens, TopK: lm.DefaultTopK}

func accept(s backends.Score) bool {
	return s.Accept(lm.DefaultMinInTopKBps, lm.DefaultMaxMeanGapMilli)
}

func newLM(t testing.TB, o lm.Options) *lm.Backend {
	t.Helper()
	b, err := lm.New(o)
	require.NoError(t, err)
	return b
}

func corpusLines(t testing.TB) [][]byte {
	t.Helper()
	raw, err := os.ReadFile("corpus.txt")
	require.NoError(t, err)
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	return lines
}

// prompts are n chat and raw prompts cut from the corpus.
func prompts(t testing.TB, n int) [][]byte {
	lines := corpusLines(t)
	out := make([][]byte, n)
	for i := range out {
		l := lines[(i*37)%len(lines)]
		l = l[:min(len(l), 20+i%40)]
		if i%2 == 0 {
			out[i] = []byte(fmt.Sprintf(`{"messages":[{"role":"user","content":%q}]}`, l))
		} else {
			out[i] = l
		}
	}
	return out
}

// The committed weights file is what the generator builds from the corpus.
func TestWeightsFileUpToDate(t *testing.T) {
	corpus, err := os.ReadFile("corpus.txt")
	require.NoError(t, err)
	bz, err := lm.Build(corpus).MarshalBinary()
	require.NoError(t, err)
	file, err := os.ReadFile("mesh-lm-v1.bin")
	require.NoError(t, err)
	require.True(t, bytes.Equal(bz, file), "run go run ./worker/backends/embedded/lm/gen")
	sum := sha256.Sum256(file)
	require.Equal(t, lm.WeightsDigest, hex.EncodeToString(sum[:]))
	w, err := lm.ParseWeights(file)
	require.NoError(t, err)
	again, err := w.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, file, again)
	_, err = lm.ParseWeights(file[:len(file)-1])
	require.Error(t, err)
}

// Generation (one step per token over the KV cache) and re-scoring (one
// batched pass) compute the same logits: the exact verifier of an honest
// output finds every token its top-1.
func TestGenerateScoreAgree(t *testing.T) {
	b := newLM(t, lm.Options{})
	for _, p := range prompts(t, 20) {
		out, err := b.Generate(context.Background(), lm.ModelID, p, settings)
		require.NoError(t, err)
		require.NotEmpty(t, out)
		for _, c := range out {
			require.True(t, c >= 0x20 && c <= 0x7e, "printable ASCII: %q", out)
		}
		s, err := b.Score(context.Background(), lm.ModelID, p, out, settings)
		require.NoError(t, err)
		require.Equal(t, uint32(10000), s.InTopKBps, "%q → %q", p, out)
		require.Zero(t, s.MeanGapMilli)
		require.True(t, s.EndOK)
		again, err := b.Generate(context.Background(), lm.ModelID, p, settings)
		require.NoError(t, err)
		require.Equal(t, out, again, "deterministic")
	}
}

// cheaper is a substitute model a lazy generator might run instead: the
// corpus bigrams alone (no block, no trigram).
func cheaper(t testing.TB) *lm.Backend {
	corpus, err := os.ReadFile("corpus.txt")
	require.NoError(t, err)
	w := lm.Build(corpus)
	for _, f := range []*[]int8{&w.Wo, &w.Tri} {
		*f = make([]int8, len(*f))
	}
	return newLM(t, lm.Options{Weights: w})
}

// TestVerifyRates measures, over 200 prompts, how often verifiers with
// logit noise (honest workers on other hardware, each its own seed)
// accept an honest generator's output — itself generated with noise — and
// how often they reject a cheating one: a substitute model, a truncated
// answer, unrelated text pasted. The rates are the README's figures.
func TestVerifyRates(t *testing.T) {
	const n = 200
	ctx := context.Background()
	gen := newLM(t, lm.Options{LogitNoise: 2, NoiseSeed: 1})
	sub := cheaper(t)
	lines := corpusLines(t)
	var honest, substitute, same, truncated, pasted int
	var honestGap, subGap uint64
	honestMax, subMin := uint32(0), uint32(1<<31)
	for i, p := range prompts(t, n) {
		verifier := newLM(t, lm.Options{LogitNoise: 2, NoiseSeed: uint64(100 + i)})
		out, err := gen.Generate(ctx, lm.ModelID, p, settings)
		require.NoError(t, err)
		s, err := verifier.Score(ctx, lm.ModelID, p, out, settings)
		require.NoError(t, err)
		honestGap += uint64(s.MeanGapMilli)
		honestMax = max(honestMax, s.MeanGapMilli)
		if accept(s) {
			honest++
		}

		cheap, err := sub.Generate(ctx, lm.ModelID, p, settings)
		require.NoError(t, err)
		if bytes.Equal(cheap, out) {
			same++ // the substitute gave the right answer: nothing to catch
		} else {
			s, err = verifier.Score(ctx, lm.ModelID, p, cheap, settings)
			require.NoError(t, err)
			subGap += uint64(s.MeanGapMilli)
			subMin = min(subMin, s.MeanGapMilli)
			if !accept(s) {
				substitute++
			}
		}

		cut := out[:(i*7)%len(out)] // strictly shorter; empty included
		s, err = verifier.Score(ctx, lm.ModelID, p, cut, settings)
		require.NoError(t, err)
		if !accept(s) {
			truncated++
		} else {
			t.Logf("truncation accepted: %q of %q (%+v)", cut, out, s)
		}

		other := lines[(i*53+11)%len(lines)]
		other = other[:min(len(other), lm.DefaultMaxTokens)]
		s, err = verifier.Score(ctx, lm.ModelID, p, other, settings)
		require.NoError(t, err)
		if !accept(s) {
			pasted++
		}
	}
	differ := n - same
	t.Logf("honest accepted %d/%d (mean gap %d milli-nats, largest %d); rejected: substitute %d of the %d whose answer differs (mean gap %d, smallest %d), truncated %d/%d, pasted %d/%d",
		honest, n, honestGap/n, honestMax, substitute, differ, subGap/uint64(max(differ, 1)), subMin, truncated, n, pasted, n)
	require.GreaterOrEqual(t, differ, n*9/10, "the substitute answers differently for most prompts")
	require.GreaterOrEqual(t, honest, 198, "honest accepted in ≥ 99 %%")
	require.GreaterOrEqual(t, substitute*100, differ*99, "substitute rejected in ≥ 99 %%")
	require.GreaterOrEqual(t, truncated, 198, "truncation rejected in ≥ 99 %%")
	require.GreaterOrEqual(t, pasted, 198, "pasted text rejected in ≥ 99 %%")
}

func TestScoreEdges(t *testing.T) {
	ctx := context.Background()
	b := newLM(t, lm.Options{})
	p := []byte("The worker")
	out, err := b.Generate(ctx, lm.ModelID, p, settings)
	require.NoError(t, err)

	s, err := b.Score(ctx, lm.ModelID, p, nil, settings)
	require.NoError(t, err)
	require.Equal(t, uint32(1), s.Tokens, "an empty output scores its EOS")
	require.False(t, accept(s), "the model does not end at once")

	long := append(bytes.Clone(out), " and more"...)
	s, err = b.Score(ctx, lm.ModelID, p, long, settings)
	require.NoError(t, err)
	require.False(t, s.EndOK, "longer than max_tokens")

	s, err = b.Score(ctx, lm.ModelID, p, []byte{0xff, 0xfe, 'a'}, settings)
	require.NoError(t, err)
	require.False(t, accept(s), "bytes the model never emits")
	require.LessOrEqual(t, s.MeanGapMilli, uint32(lm.GapCapMilli))

	short := backends.GenSettings{MaxTokens: 8, TopK: lm.DefaultTopK}
	out8, err := b.Generate(ctx, lm.ModelID, p, short)
	require.NoError(t, err)
	require.Len(t, out8, 8, "the answer reaches max_tokens")
	s, err = b.Score(ctx, lm.ModelID, p, out8, short)
	require.NoError(t, err)
	require.True(t, s.EndOK, "exactly max_tokens ends well")
	require.Equal(t, uint32(8), s.Tokens, "no EOS scored at max_tokens")
	require.True(t, s.Accept(lm.DefaultMinInTopKBps, lm.DefaultMaxMeanGapMilli))
	s, err = b.Score(ctx, lm.ModelID, p, out8[:7], short)
	require.NoError(t, err)
	require.False(t, s.EndOK, "cut one short of max_tokens")

	_, err = b.Score(ctx, "other", p, out, settings)
	require.Error(t, err)
	_, err = b.Score(ctx, lm.ModelID, p, out, backends.GenSettings{MaxTokens: 4})
	require.Error(t, err, "top_k 0")
	_, err = b.Generate(ctx, lm.ModelID, bytes.Repeat([]byte("a"), lm.MaxContext), settings)
	require.Error(t, err, "context exceeded")
}

func TestRender(t *testing.T) {
	got, err := lm.Render([]byte(`{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}`))
	require.NoError(t, err)
	require.Equal(t, "System: Be brief.\nUser: Hi\nAssistant:", string(got))
	got, err = lm.Render([]byte("{not json"))
	require.NoError(t, err)
	require.Equal(t, "{not json", string(got))
}

// BenchmarkRescoreVsGenerate: for the same prompt and its 48-token answer,
// generation (one step per token, prompt included, over the KV cache) and
// re-scoring (one batched pass). rescore/generate is the ratio reported.
func BenchmarkRescoreVsGenerate(b *testing.B) {
	ctx := context.Background()
	m := newLM(b, lm.Options{})
	p := prompts(b, 2)[1]
	out, err := m.Generate(ctx, lm.ModelID, p, settings)
	require.NoError(b, err)
	var genNs, scoreNs int64
	for b.Loop() {
		t0 := time.Now().UnixNano()
		if _, err := m.Generate(ctx, lm.ModelID, p, settings); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now().UnixNano()
		if _, err := m.Score(ctx, lm.ModelID, p, out, settings); err != nil {
			b.Fatal(err)
		}
		genNs += t1 - t0
		scoreNs += time.Now().UnixNano() - t1
	}
	b.ReportMetric(float64(genNs)/float64(b.N)/1e6, "generate-ms")
	b.ReportMetric(float64(scoreNs)/float64(b.N)/1e6, "rescore-ms")
	b.ReportMetric(float64(scoreNs)/float64(genNs), "rescore/generate")
}
