package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded/lm"
)

// LM is what the server needs of a generative model (mesh-lm-v1's
// *lm.Backend) to answer /v1/completions and chat with log-probabilities.
type LM interface {
	backends.Generative
	// Complete greedy-decodes at most maxTokens after the raw prompt, EOS
	// suppressed for the first minTokens; eos: it stopped at EOS.
	Complete(ctx context.Context, prompt []byte, maxTokens, minTokens int) (out []byte, eos bool, err error)
	// Logprobs is each token of text after prefix, teacher-forced, with
	// the n most likely tokens at its position.
	Logprobs(prefix, text []byte, n int) []lm.TokenLogprob
}

// CompletionRequest is the legacy completions request, with vLLM's
// prompt_logprobs and min_tokens.
type CompletionRequest struct {
	Model       string  `json:"model"`
	Prompt      string  `json:"prompt"`
	MaxTokens   *int    `json:"max_tokens,omitempty"`
	MinTokens   int     `json:"min_tokens,omitempty"`
	Temperature float64 `json:"temperature"`
	Seed        *int64  `json:"seed,omitempty"`
	// Logprobs asks for the top-N tokens at each generated (and, with
	// Echo, each prompt) position.
	Logprobs *int `json:"logprobs,omitempty"`
	Echo     bool `json:"echo,omitempty"`
	// PromptLogprobs is vLLM's: the top-N at each prompt position.
	PromptLogprobs *int `json:"prompt_logprobs,omitempty"`
	Stream         bool `json:"stream"`
}

// CompletionResponse is the legacy completions answer.
type CompletionResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty"`
	Choices           []CompletionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
	Error             *APIError          `json:"error,omitempty"`
}

// CompletionChoice is one completion. PromptLogprobs is vLLM's shape: null
// for the first prompt token, then {token_id: {logprob, rank,
// decoded_token}} with the prompt's own token first.
type CompletionChoice struct {
	Index          int                 `json:"index"`
	Text           string              `json:"text"`
	Logprobs       *CompletionLogprobs `json:"logprobs"`
	FinishReason   string              `json:"finish_reason"`
	PromptLogprobs []json.RawMessage   `json:"prompt_logprobs,omitempty"`
}

// CompletionLogprobs is the legacy logprobs object (the echoed prompt's
// first token has null log-probs).
type CompletionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []*float64           `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

// PromptLogprob is one entry of vLLM's prompt_logprobs.
type PromptLogprob struct {
	Logprob      float64 `json:"logprob"`
	Rank         int     `json:"rank"`
	DecodedToken string  `json:"decoded_token"`
}

// ChatLogprobs is the chat completion's logprobs object.
type ChatLogprobs struct {
	Content []ChatTokenLogprob `json:"content"`
}

// ChatTokenLogprob is one generated token of a chat answer.
type ChatTokenLogprob struct {
	Token       string             `json:"token"`
	Logprob     float64            `json:"logprob"`
	Bytes       []int              `json:"bytes"`
	TopLogprobs []ChatTokenLogprob `json:"top_logprobs,omitempty"`
}

// maxLogprobs bounds N in logprobs, top_logprobs and prompt_logprobs (vLLM's default max_logprobs is 20).
const maxLogprobs = 20

// tokenText is a byte token's text: the byte when it is ASCII, else
// "bytes:\xNN" (a lone byte ≥ 0x80 is not UTF-8).
func tokenText(t int) string {
	if t < 0x80 {
		return string(rune(t))
	}
	if t == lm.EOS {
		return "<eos>"
	}
	return fmt.Sprintf("bytes:\\x%02x", t)
}

func completionHandler(byID map[string]Served, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req CompletionRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, maxRequestBytes)).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "malformed request: "+err.Error())
			return
		}
		m, ok := byID[req.Model]
		g, isLM := m.Backend.(LM)
		switch {
		case !ok:
			writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", fmt.Sprintf("the model %q does not exist", req.Model))
			return
		case !isLM:
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", fmt.Sprintf("the model %q is not generative: use /v1/chat/completions", req.Model))
			return
		case req.Stream:
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "streaming is not supported")
			return
		}
		maxTokens := lm.DefaultMaxTokens
		if req.MaxTokens != nil {
			maxTokens = *req.MaxTokens
		}
		n, pn := 0, 0
		if req.Logprobs != nil {
			n = *req.Logprobs
		}
		if req.PromptLogprobs != nil {
			pn = *req.PromptLogprobs
		}
		if maxTokens < 0 || n < 0 || pn < 0 || n > maxLogprobs || pn > maxLogprobs || req.MinTokens < 0 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", fmt.Sprintf("max_tokens, min_tokens ≥ 0; logprobs and prompt_logprobs in 0…%d", maxLogprobs))
			return
		}
		prompt := []byte(req.Prompt)
		out, eos, err := g.Complete(r.Context(), prompt, maxTokens, req.MinTokens)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", err.Error())
			return
		}
		ch := CompletionChoice{Text: string(out), FinishReason: "length"}
		if eos {
			ch.FinishReason = "stop"
		}
		if req.Logprobs != nil || req.PromptLogprobs != nil {
			// One teacher-forced pass over prompt and completion.
			k := max(n, pn)
			var lps []lm.TokenLogprob
			if len(prompt) > 0 {
				lps = g.Logprobs(prompt[:1], append(prompt[1:len(prompt):len(prompt)], out...), k)
			}
			np := max(len(prompt)-1, 0) // prompt tokens with log-probs
			if req.PromptLogprobs != nil && len(prompt) > 0 {
				ch.PromptLogprobs = append(ch.PromptLogprobs, json.RawMessage("null"))
				for _, tl := range lps[:np] {
					ch.PromptLogprobs = append(ch.PromptLogprobs, vllmEntry(tl, pn))
				}
			}
			if req.Logprobs != nil {
				lo := &CompletionLogprobs{}
				add := func(tok int, lp *float64, top []lm.Alt, off int) {
					lo.Tokens = append(lo.Tokens, tokenText(tok))
					lo.TokenLogprobs = append(lo.TokenLogprobs, lp)
					var tm map[string]float64
					if lp != nil {
						tm = map[string]float64{}
						for _, a := range top[:min(n, len(top))] {
							tm[tokenText(a.Token)] = a.Logprob
						}
					}
					lo.TopLogprobs = append(lo.TopLogprobs, tm)
					lo.TextOffset = append(lo.TextOffset, off)
				}
				seq := append(append([]byte(nil), prompt...), out...)
				start := len(prompt)
				if req.Echo {
					start = 0
					if len(prompt) > 0 {
						add(int(prompt[0]), nil, nil, 0)
					}
				}
				for i := max(start, 1); i < len(seq); i++ {
					tl := lps[i-1]
					lp := tl.Logprob
					// Offsets count code points of the text before, as vLLM's do.
					add(tl.Token, &lp, tl.Top, utf8.RuneCount(seq[:i]))
				}
				if !req.Echo && len(prompt) == 0 {
					// No pass without a prompt token: the completion's log-probs follow a newline.
					for _, tl := range g.Logprobs(nil, out, n) {
						lp := tl.Logprob
						add(tl.Token, &lp, tl.Top, 0)
					}
				}
				ch.Logprobs = lo
			}
		}
		if req.Echo {
			ch.Text = req.Prompt + ch.Text
		}
		resp := CompletionResponse{ID: "cmpl-" + randomHex(12), Object: "text_completion", Created: time.Now().Unix(),
			Model: m.ID, SystemFingerprint: m.Fingerprint, Choices: []CompletionChoice{ch},
			Usage: &Usage{PromptTokens: len(prompt), CompletionTokens: len(out), TotalTokens: len(prompt) + len(out)}}
		log.Debug("completion", "model", m.ID, "prompt_bytes", len(prompt), "output_bytes", len(out))
		writeJSON(w, http.StatusOK, resp)
	}
}

// vllmEntry is one prompt position in vLLM's shape: the prompt's token
// first, then the top n (rank 1 = most likely).
func vllmEntry(tl lm.TokenLogprob, n int) json.RawMessage {
	// Written by hand: a Go map would not keep the prompt token first.
	rank := 1
	for _, a := range tl.Top {
		if a.Token != tl.Token && a.Logprob > tl.Logprob {
			rank++
		}
	}
	b := []byte{'{'}
	entry := func(tok int, lp float64, rank int) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		v, _ := json.Marshal(PromptLogprob{Logprob: lp, Rank: rank, DecodedToken: tokenText(tok)})
		b = append(b, strconv.Quote(strconv.Itoa(tok))...)
		b = append(b, ':')
		b = append(b, v...)
	}
	entry(tl.Token, tl.Logprob, rank)
	for i, a := range tl.Top[:min(n, len(tl.Top))] {
		if a.Token != tl.Token {
			entry(a.Token, a.Logprob, i+1)
		}
	}
	return append(b, '}')
}

// chatLM answers a chat completion with a generative model: the messages
// rendered by lm.Render, greedy, and with logprobs the top-N per token.
func chatLM(ctx context.Context, g LM, req ChatRequest) (string, *ChatLogprobs, string, error) {
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	var chat struct {
		Messages []msg `json:"messages"`
	}
	for _, m := range req.Messages {
		text, err := contentText(m.Content)
		if err != nil {
			return "", nil, "", err
		}
		chat.Messages = append(chat.Messages, msg{Role: m.Role, Content: text})
	}
	if len(chat.Messages) == 0 {
		return "", nil, "", errors.New("no messages")
	}
	input, _ := json.Marshal(chat)
	prompt, err := lm.Render(input)
	if err != nil {
		return "", nil, "", err
	}
	maxTokens := lm.DefaultMaxTokens
	if req.MaxTokens > 0 {
		maxTokens = req.MaxTokens
	}
	out, eos, err := g.Complete(ctx, prompt, maxTokens, 1)
	if err != nil {
		return "", nil, "", err
	}
	finish := "length"
	if eos {
		finish = "stop"
	}
	if !req.Logprobs {
		return string(out), nil, finish, nil
	}
	lp := &ChatLogprobs{Content: []ChatTokenLogprob{}}
	for _, tl := range g.Logprobs(prompt, out, req.TopLogprobs) {
		c := ChatTokenLogprob{Token: tokenText(tl.Token), Logprob: tl.Logprob, Bytes: []int{tl.Token}, TopLogprobs: []ChatTokenLogprob{}}
		for _, a := range tl.Top {
			c.TopLogprobs = append(c.TopLogprobs, ChatTokenLogprob{Token: tokenText(a.Token), Logprob: a.Logprob, Bytes: []int{a.Token}})
		}
		lp.Content = append(lp.Content, c)
	}
	return string(out), lp, finish, nil
}
