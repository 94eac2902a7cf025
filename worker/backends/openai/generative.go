package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"unicode/utf8"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded/lm"
)

var _ backends.Generative = (*Client)(nil)

// Score methods.
const (
	MethodRescore    = "rescore"
	MethodRegenerate = "regenerate"
)

// ErrNoPromptLogprobs: the server returned no log-probs of given tokens
// (llama.cpp's server: n_probs covers generated tokens only).
var ErrNoPromptLogprobs = errors.New("openai backend: the server returns no log-probs of prompt tokens")

// chatInput parses a job input that is a chat JSON {"messages":[…]}.
func chatInput(input []byte) ([]Message, bool) {
	chat, ok := backends.ParseChat(input)
	if !ok {
		return nil, false
	}
	msgs := make([]Message, len(chat))
	for i, m := range chat {
		c, _ := json.Marshal(m.Content)
		msgs[i] = Message{Role: m.Role, Content: c}
	}
	return msgs, true
}

// render is the raw prompt a chat input becomes on model's server, when
// the client knows its template: mesh-lm-v1's (lm.Render) or c.Render.
func (c *Client) render(model string, input []byte) ([]byte, bool) {
	if _, chat := chatInput(input); !chat {
		return input, true
	}
	if c.Render != nil {
		return c.Render(model, input)
	}
	if model == lm.ModelID {
		p, err := lm.Render(input)
		return p, err == nil
	}
	return nil, false
}

// post sends body to path and decodes a 200 answer of at most limit bytes
// into out; an HTTP error is returned as *HTTPError. Every request of the
// client goes through it.
func (c *Client) post(ctx context.Context, path string, body, out any, limit int) error {
	bz, err := json.Marshal(body)
	if err != nil {
		return err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	endpoint := c.BaseURL + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(bz))
	if err != nil {
		return fmt.Errorf("openai backend: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("openai backend: %s: timed out after %s", endpoint, timeout)
		}
		return fmt.Errorf("openai backend: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return fmt.Errorf("openai backend: reading the answer: %w", err)
	}
	if len(raw) > limit {
		return fmt.Errorf("openai backend: answer exceeds %d bytes", limit)
	}
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{Endpoint: endpoint, Code: resp.StatusCode, Text: errorText(raw)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("openai backend: malformed answer: %w", err)
	}
	return nil
}

// maxLogprobResponseBytes bounds an answer with log-probs (prompt and top-k
// per token are much larger than a plain answer).
const maxLogprobResponseBytes = maxResponseBytes * 8

// HTTPError is a non-200 answer.
type HTTPError struct {
	Endpoint string
	Code     int
	Text     string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("openai backend: %s: HTTP %d: %s", e.Endpoint, e.Code, e.Text)
}

// Generate implements backends.Generative: greedy (temperature 0, seed
// c.Seed), max_tokens s.MaxTokens; a raw prompt through /v1/completions
// (min_tokens 1), a chat input through /v1/chat/completions. The text is
// returned as the server gave it (not trimmed: the verifiers score exactly
// these bytes), cut to backends.MaxOutputBytes at a UTF-8 boundary.
func (c *Client) Generate(ctx context.Context, model string, input []byte, s backends.GenSettings) ([]byte, error) {
	out, _, err := c.generate(ctx, model, input, s)
	return out, err
}

func (c *Client) generate(ctx context.Context, model string, input []byte, s backends.GenSettings) ([]byte, string, error) {
	if !utf8.Valid(input) {
		return nil, "", errors.New("openai backend: input is not UTF-8 text")
	}
	if s.MaxTokens <= 0 {
		return nil, "", errors.New("openai backend: max_tokens must be positive")
	}
	seed := c.Seed
	var text, finish string
	if msgs, ok := chatInput(input); ok {
		var cr ChatResponse
		if err := c.post(ctx, "/v1/chat/completions", ChatRequest{Model: model, Messages: msgs, Temperature: 0,
			Seed: &seed, MaxTokens: s.MaxTokens, N: 1}, &cr, maxLogprobResponseBytes); err != nil {
			return nil, "", err
		}
		if len(cr.Choices) == 0 || cr.Choices[0].Message.Content == nil {
			return nil, "", errors.New("openai backend: malformed answer: no choice with a message content")
		}
		text, finish = *cr.Choices[0].Message.Content, cr.Choices[0].FinishReason
	} else {
		mt := s.MaxTokens
		var cr CompletionResponse
		if err := c.post(ctx, "/v1/completions", CompletionRequest{Model: model, Prompt: string(input), MaxTokens: &mt,
			MinTokens: 1, Temperature: 0, Seed: &seed}, &cr, maxLogprobResponseBytes); err != nil {
			return nil, "", err
		}
		if len(cr.Choices) == 0 {
			return nil, "", errors.New("openai backend: malformed answer: no choice")
		}
		text, finish = cr.Choices[0].Text, cr.Choices[0].FinishReason
	}
	out := []byte(text)
	if len(out) > backends.MaxOutputBytes {
		out = out[:backends.MaxOutputBytes]
		for len(out) > 0 && !utf8.Valid(out) {
			out = out[:len(out)-1]
		}
	}
	return out, finish, nil
}

// Score implements backends.Generative. Rescoring first: one
// /v1/completions request whose prompt is the rendered input followed by
// output, max_tokens 1, echo and logprobs k (legacy OpenAI and vLLM); when
// its answer has no log-probs of the echoed tokens, the same with vLLM's
// prompt_logprobs k. The output's tokens are those at or after the
// rendered prompt's length in code points (text_offset, or the decoded
// tokens' lengths). The output ends well when it has s.MaxTokens tokens
// or the one token generated after it is EOS (finish_reason "stop" with
// empty text: EOS was the server's top-1, as mesh-lm-v1's EOSRank 1).
//
// When the server returns no log-probs of given tokens (HTTP 400 or the
// fields missing, e.g. llama.cpp's server) or the client cannot render
// the chat input (c.Render unset for a model other than mesh-lm-v1), it
// regenerates instead and compares: Method "regenerate", InTopKBps = the
// common prefix of output and the regenerated text in bytes over the
// longer one's bytes (greedy decoding diverges for good at the first
// difference), Tokens = that byte length, MeanGapMilli 0, EndOK when the
// output is not empty.
func (c *Client) Score(ctx context.Context, model string, input, output []byte, s backends.GenSettings) (backends.Score, error) {
	if s.TopK <= 0 || s.MaxTokens <= 0 {
		return backends.Score{}, errors.New("openai backend: settings need a positive top_k and max_tokens")
	}
	if !utf8.Valid(output) {
		// Not a text the generator may commit to (and JSON cannot carry it): rejected.
		return backends.Score{Method: MethodRescore, Tokens: 1, MeanGapMilli: lm.GapCapMilli}, nil
	}
	if prompt, ok := c.render(model, input); ok && utf8.Valid(prompt) {
		sc, err := c.rescore(ctx, model, prompt, output, s)
		if err == nil || !fallback(err) {
			return sc, err
		}
	}
	return c.regenerate(ctx, model, input, output, s)
}

// fallback: rescoring failed in a way that says the server cannot do it.
func fallback(err error) bool {
	var he *HTTPError
	return errors.Is(err, ErrNoPromptLogprobs) || (errors.As(err, &he) && (he.Code == http.StatusBadRequest || he.Code == http.StatusNotFound || he.Code == http.StatusUnprocessableEntity))
}

// position is one scored token: its log-prob and the top-k's.
type position struct {
	offset  int // code points before it
	logprob float64
	top     []float64 // descending
}

func (c *Client) rescore(ctx context.Context, model string, prompt, output []byte, s backends.GenSettings) (backends.Score, error) {
	seed, one, k := c.Seed, 1, s.TopK
	req := CompletionRequest{Model: model, Prompt: string(prompt) + string(output), MaxTokens: &one, Temperature: 0, Seed: &seed,
		Logprobs: &k, Echo: true}
	var cr CompletionResponse
	if err := c.post(ctx, "/v1/completions", req, &cr, maxLogprobResponseBytes); err != nil {
		return backends.Score{}, err
	}
	pos, ok := echoPositions(cr)
	// A server that ignores echo (llama.cpp's) returns only the generated
	// token's log-probs, past the given text.
	ok = ok && pos[0].offset < utf8.RuneCountInString(req.Prompt)
	if !ok {
		req.Logprobs, req.Echo, req.PromptLogprobs = nil, false, &k
		cr = CompletionResponse{}
		if err := c.post(ctx, "/v1/completions", req, &cr, maxLogprobResponseBytes); err != nil {
			return backends.Score{}, err
		}
		var err error
		if pos, ok, err = vllmPositions(cr, utf8.RuneCountInString(req.Prompt)); err != nil {
			return backends.Score{}, err
		}
		if !ok {
			return backends.Score{}, ErrNoPromptLogprobs
		}
	}
	// The output's tokens: at or after the prompt, before the generated token.
	from, to := utf8.RuneCount(prompt), utf8.RuneCountInString(req.Prompt)
	var inTop, gap, n int64
	for _, p := range pos {
		if p.offset < from || p.offset >= to {
			continue
		}
		n++
		if len(p.top) < k || p.logprob >= p.top[min(k, len(p.top))-1] {
			inTop++
		}
		if len(p.top) > 0 {
			gap += min(int64(math.Round(math.Max(p.top[0]-p.logprob, 0)*1000)), lm.GapCapMilli)
		}
	}
	sc := backends.Score{Method: MethodRescore, EndOK: n == int64(s.MaxTokens)}
	if n < int64(s.MaxTokens) {
		// The output's EOS, scored as in the top-k when it was the server's
		// greedy choice (its log-prob is not returned: no gap is added).
		ch := cr.Choices[0]
		eos := ch.FinishReason == "stop" && (ch.Text == "" || ch.Text == req.Prompt)
		n++
		if eos {
			inTop++
		}
		sc.EndOK = eos && len(output) > 0
	}
	sc.Tokens = uint32(n)
	sc.InTopKBps = uint32(inTop * 10000 / n)
	sc.MeanGapMilli = uint32(gap / n)
	return sc, nil
}

// echoPositions reads the legacy logprobs of an echoed prompt.
func echoPositions(cr CompletionResponse) ([]position, bool) {
	if len(cr.Choices) == 0 || cr.Choices[0].Logprobs == nil {
		return nil, false
	}
	lp := cr.Choices[0].Logprobs
	if len(lp.TokenLogprobs) == 0 || len(lp.TextOffset) != len(lp.TokenLogprobs) || len(lp.TopLogprobs) != len(lp.TokenLogprobs) {
		return nil, false
	}
	// The echo's tokens come first; the generated token (if any) is last.
	var out []position
	for i, l := range lp.TokenLogprobs {
		if l == nil {
			continue
		}
		p := position{offset: lp.TextOffset[i], logprob: *l}
		for _, v := range lp.TopLogprobs[i] {
			p.top = append(p.top, v)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(p.top)))
		out = append(out, p)
	}
	return out, len(out) > 0
}

// vllmPositions reads vLLM's prompt_logprobs: per position (the first is
// null) an object {token_id: {logprob, rank, decoded_token}} whose first
// entry is the prompt's token. The first token's length is not given, so
// offsets are counted back from the end of text (total code points).
func vllmPositions(cr CompletionResponse, total int) ([]position, bool, error) {
	if len(cr.Choices) == 0 || len(cr.Choices[0].PromptLogprobs) == 0 {
		return nil, false, nil
	}
	var out []position
	var lens []int
	for i, raw := range cr.Choices[0].PromptLogprobs {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if i == 0 {
				continue
			}
			return nil, false, fmt.Errorf("openai backend: prompt_logprobs[%d] is null", i)
		}
		first, entries, err := orderedEntries(raw)
		if err != nil {
			return nil, false, fmt.Errorf("openai backend: prompt_logprobs[%d]: %w", i, err)
		}
		p := position{logprob: first.Logprob}
		for _, e := range entries {
			p.top = append(p.top, e.Logprob)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(p.top)))
		out = append(out, p)
		lens = append(lens, utf8.RuneCountInString(first.DecodedToken))
	}
	end := total
	for i := len(out) - 1; i >= 0; i-- {
		end -= lens[i]
		out[i].offset = end
	}
	return out, len(out) > 0, nil
}

// orderedEntries decodes one vLLM prompt_logprobs object keeping its order.
func orderedEntries(raw json.RawMessage) (PromptLogprob, []PromptLogprob, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return PromptLogprob{}, nil, errors.New("not an object")
	}
	var all []PromptLogprob
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return PromptLogprob{}, nil, err
		}
		var e PromptLogprob
		if err := dec.Decode(&e); err != nil {
			return PromptLogprob{}, nil, err
		}
		all = append(all, e)
	}
	if len(all) == 0 {
		return PromptLogprob{}, nil, errors.New("empty object")
	}
	return all[0], all, nil
}

func (c *Client) regenerate(ctx context.Context, model string, input, output []byte, s backends.GenSettings) (backends.Score, error) {
	again, _, err := c.generate(ctx, model, input, s)
	if err != nil {
		return backends.Score{}, err
	}
	n := max(len(again), len(output), 1)
	common := 0
	for common < min(len(again), len(output)) && again[common] == output[common] {
		common++
	}
	return backends.Score{Method: MethodRegenerate, Tokens: uint32(n), InTopKBps: uint32(common * 10000 / n), EndOK: len(output) > 0}, nil
}
