package lm

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/llmesh/mesh/worker/backends"
)

// WeightsDigest is the SHA-256 of mesh-lm-v1.bin (`go run ./worker/backends/embedded/lm/gen` prints it).
const WeightsDigest = "ba5e10746f9bf313528309f9d56d5f4e595900446cf1853f582de1a2c28ce913"

//go:embed mesh-lm-v1.bin
var weightsFile []byte

// Thresholds for mesh-lm-v1's VerifySpec (networks/local/genesis.jq),
// chosen from the rates measured by TestVerifyRates (see the README).
const (
	DefaultMaxTokens        = 48
	DefaultTopK             = 8
	DefaultMinInTopKBps     = 9500
	DefaultMaxMeanGapMilli  = 60
	DefaultMinRegenAgreeBps = 8000
)

var (
	loadOnce sync.Once
	loaded   *Weights
	loadErr  error
)

// Load returns the embedded weights after checking their digest.
func Load() (*Weights, error) {
	loadOnce.Do(func() {
		sum := sha256.Sum256(weightsFile)
		if got := hex.EncodeToString(sum[:]); got != WeightsDigest {
			loadErr = fmt.Errorf("lm: weights digest %s, want %s", got, WeightsDigest)
			return
		}
		loaded, loadErr = ParseWeights(weightsFile)
	})
	return loaded, loadErr
}

// Options of a Backend.
type Options struct {
	// LogitNoise, when positive, adds a pseudo-random integer in
	// [−LogitNoise, LogitNoise] (logit units, 1/16 nat) to every logit,
	// deterministic in (NoiseSeed, position, context, token): an honest
	// worker on other hardware.
	LogitNoise int
	// NoiseSeed varies the noise between workers.
	NoiseSeed uint64
	// Weights replaces the embedded weights (tests: a substitute model).
	Weights *Weights
}

// Backend serves mesh-lm-v1: backends.Generative.
type Backend struct {
	w    *Weights
	opts Options
}

// New loads the embedded weights (or opts.Weights).
func New(opts Options) (*Backend, error) {
	w := opts.Weights
	if w == nil {
		var err error
		if w, err = Load(); err != nil {
			return nil, err
		}
	}
	return &Backend{w: w, opts: opts}, nil
}

var _ backends.Generative = (*Backend)(nil)

// Name implements backends.Inference.
func (*Backend) Name() string { return "embedded-lm" }

// Infer generates with the default settings.
func (b *Backend) Infer(ctx context.Context, model string, input []byte) ([]byte, error) {
	return b.Generate(ctx, model, input, backends.GenSettings{MaxTokens: DefaultMaxTokens, TopK: DefaultTopK})
}

func (b *Backend) check(model string) error {
	if model != ModelID {
		return fmt.Errorf("lm: this backend serves %s, not %q", ModelID, model)
	}
	return nil
}

// Render turns a job input into the prompt text: a chat JSON
// {"messages":[{"role":…,"content":…}…]} becomes one "Role: content" line
// per message and a final "Assistant:"; any other input is the prompt
// as is.
func Render(input []byte) ([]byte, error) {
	msgs, ok := backends.ParseChat(input)
	if !ok {
		return input, nil // a raw prompt (even one that happens to start with {)
	}
	var sb strings.Builder
	for _, m := range msgs {
		role := strings.ToLower(m.Role)
		if role == "" {
			role = "user"
		}
		sb.WriteString(strings.ToUpper(role[:1]) + role[1:] + ": " + m.Content + "\n")
	}
	sb.WriteString("Assistant:")
	return []byte(sb.String()), nil
}

func tokens(b []byte) []int {
	t := make([]int, len(b))
	for i, c := range b {
		t[i] = int(c)
	}
	return t
}

// noise adds the backend's noise to logits z at position pos after token tok.
func (b *Backend) noise(z []int32, pos, prev, tok int) {
	n := b.opts.LogitNoise
	if n <= 0 {
		return
	}
	var buf [32]byte
	binary.LittleEndian.PutUint64(buf[0:], b.opts.NoiseSeed)
	binary.LittleEndian.PutUint64(buf[8:], uint64(pos))
	binary.LittleEndian.PutUint64(buf[16:], uint64(prev+1)<<16|uint64(tok))
	seed := sha256.Sum256(buf[:24])
	s := binary.LittleEndian.Uint64(seed[:8])
	for t := range z {
		if z[t] == MaskedLogit {
			continue
		}
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		z[t] += int32(s%uint64(2*n+1)) - int32(n)
	}
}

// argmax is the first token with the largest logit.
func argmax(z []int32) int {
	best := 0
	for t := range z {
		if z[t] > z[best] {
			best = t
		}
	}
	return best
}

// Generate implements backends.Generative: greedy decoding, one step per
// token over the KV cache (the prompt's tokens included); an answer has at
// least one token.
func (b *Backend) Generate(ctx context.Context, model string, input []byte, s backends.GenSettings) ([]byte, error) {
	if err := b.check(model); err != nil {
		return nil, err
	}
	prompt, err := Render(input)
	if err != nil {
		return nil, err
	}
	out, _, err := b.Complete(ctx, prompt, s.MaxTokens, 1)
	return out, err
}

// Complete greedy-decodes at most maxTokens tokens after the raw prompt,
// EOS suppressed for the first minTokens (vLLM's min_tokens); eos reports
// that it stopped at EOS. Generate is Complete(Render(input), MaxTokens, 1).
func (b *Backend) Complete(ctx context.Context, prompt []byte, maxTokens, minTokens int) (out []byte, eos bool, err error) {
	toks := promptTokens(prompt)
	if len(toks)+maxTokens > MaxContext {
		return nil, false, fmt.Errorf("lm: prompt of %d bytes and %d new tokens exceed the context of %d", len(toks), maxTokens, MaxContext)
	}
	c := &cache{prev: -1, last: -1}
	z := make([]int32, Vocab)
	for i, t := range toks {
		b.w.step(c, t, z)
		if i == len(toks)-1 {
			b.noise(z, i, c.prev, t)
		}
	}
	for len(out) < maxTokens {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		if len(out) < minTokens {
			z[EOS] = MaskedLogit
		}
		next := argmax(z)
		if next == EOS {
			return out, true, nil
		}
		out = append(out, byte(next))
		b.w.step(c, next, z)
		b.noise(z, len(toks)+len(out)-1, c.prev, next)
	}
	return out, false, nil
}

// EOSRank: an output shorter than max_tokens ends well when EOS is among
// the verifier's EOSRank most likely tokens there.
const EOSRank = 1

// GapCapMilli caps one token's log-prob gap in the mean (a masked token's
// gap would be unbounded).
const GapCapMilli = 20_000

// Score implements backends.Generative: one batched teacher-forced pass
// over prompt and output; at each output position the given token (and
// EOS after an output shorter than MaxTokens) is compared with the
// model's top-k and top-1.
func (b *Backend) Score(ctx context.Context, model string, input, output []byte, s backends.GenSettings) (backends.Score, error) {
	if err := b.check(model); err != nil {
		return backends.Score{}, err
	}
	if s.TopK <= 0 || s.MaxTokens <= 0 {
		return backends.Score{}, errors.New("lm: settings need a positive top_k and max_tokens")
	}
	prompt, err := Render(input)
	if err != nil {
		return backends.Score{}, err
	}
	toks := promptTokens(prompt)
	if len(toks)+len(output) > MaxContext {
		return backends.Score{}, fmt.Errorf("lm: %d prompt and %d output bytes exceed the context of %d", len(toks), len(output), MaxContext)
	}
	given := tokens(output)
	end := len(given) < s.MaxTokens
	if end {
		given = append(given, EOS)
	}
	rows := b.teacherForced(toks, tokens(output))
	var inTop, gap int64
	endOK := len(output) == s.MaxTokens
	for i, g := range given {
		row := rows[i]
		if i == 0 {
			row[EOS] = MaskedLogit // as in Generate: at least one token
		}
		top1, rank := row[argmax(row)], 0
		for _, v := range row {
			if v > row[g] {
				rank++
			}
		}
		if rank < s.TopK {
			inTop++
		}
		gap += min(int64(top1-row[g])*1000/LogitScale, GapCapMilli)
		if end && i == len(given)-1 {
			// An early end must be the model's own choice (EOS within the
			// first EOSRank, untied), so that cutting an answer where EOS is
			// merely plausible is caught.
			endOK = rank < min(EOSRank, s.TopK) && !tied(row, EOS)
		}
	}
	n := int64(len(given))
	return backends.Score{Method: "rescore", Tokens: uint32(n), InTopKBps: uint32(inTop * 10000 / n),
		MeanGapMilli: uint32(gap / n), EndOK: endOK}, nil
}

// TokenLogprob is one token's log-probability and the top alternatives, for
// the OpenAI API.
type TokenLogprob struct {
	Token   int
	Logprob float64
	Top     []Alt
}

// Alt is an alternative token.
type Alt struct {
	Token   int
	Logprob float64
}

// Logprobs returns, for each token of text after prefix (teacher-forced,
// one batched pass), its log-probability and the n most likely tokens at
// its position (floating point: for display by the OpenAI server only).
func (b *Backend) Logprobs(prefix, text []byte, n int) []TokenLogprob {
	toks := promptTokens(prefix)
	rows := b.teacherForced(toks, tokens(text))
	out := make([]TokenLogprob, 0, len(text))
	for i, c := range text {
		row := rows[i]
		lp := logSoftmax(row)
		tl := TokenLogprob{Token: int(c), Logprob: lp[c]}
		order := make([]int, 0, Vocab)
		for t := range row {
			if row[t] != MaskedLogit {
				order = append(order, t)
			}
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		for _, t := range order[:min(n, len(order))] {
			tl.Top = append(tl.Top, Alt{Token: t, Logprob: lp[t]})
		}
		out = append(out, tl)
	}
	return out
}

// tied reports whether another token has t's logit.
func tied(z []int32, t int) bool {
	for u, v := range z {
		if u != t && v == z[t] {
			return true
		}
	}
	return false
}

// promptTokens are a prompt's tokens; an empty prompt is one newline (the
// model needs a token to start from).
func promptTokens(prompt []byte) []int {
	if len(prompt) == 0 {
		return []int{'\n'}
	}
	return tokens(prompt)
}

// teacherForced runs one batched pass over prompt and text and returns,
// for each token of text and the position after it, the next-token logits
// with the backend's noise: row i is what the model predicts where text[i]
// stands (row len(text), after the last token, is where EOS would).
func (b *Backend) teacherForced(prompt, text []int) [][]int32 {
	seq := append(append(make([]int, 0, len(prompt)+len(text)), prompt...), text...)
	from := len(prompt) - 1
	z := b.w.forward(seq, from) // logits after seq[from], …, seq[last]
	rows := make([][]int32, len(seq)-from)
	for i := range rows {
		row := z[i*Vocab : (i+1)*Vocab]
		p := from + i
		b.noise(row, p, prevAt(seq, p), seq[p])
		rows[i] = row
	}
	return rows
}

// prevAt is the token before position p, or −1 at the start.
func prevAt(seq []int, p int) int {
	if p == 0 {
		return -1
	}
	return seq[p-1]
}
