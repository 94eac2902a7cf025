// Package openai is the inference backend for OpenAI-compatible servers
// (vLLM, llama.cpp's llama-server, Ollama, `meshd-worker serve`): models
// with the runtime "openai:<served-name>" are answered by
//
//	POST {base}/v1/chat/completions
//	{"model":"<served-name>","messages":[{"role":"user","content":"<input>"}],
//	 "temperature":0,"seed":0,"max_tokens":N,"n":1,"stream":false}
//
// and the output is the first choice's message content, trimmed of white
// space and capped at backends.MaxOutputBytes bytes. Greedy decoding with a
// fixed seed makes a server repeat itself; whether two servers agree is up
// to their kernels, which is why such models are usually non-deterministic
// in x/inference's registry.
//
// The package also serves that API (Handler), for `meshd-worker serve`.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/llmesh/mesh/worker/backends"
)

// Defaults for a Client's zero fields.
const (
	DefaultTimeout   = 2 * time.Minute
	DefaultMaxTokens = 256
	// maxResponseBytes bounds the body read from the server.
	maxResponseBytes = 1 << 20
	// maxErrorBytes is how much of an error body an error quotes.
	maxErrorBytes = 512
)

// Client calls one OpenAI-compatible server.
type Client struct {
	// BaseURL is the server's root, e.g. http://127.0.0.1:8089 (a trailing
	// /v1 is accepted too).
	BaseURL string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// Timeout bounds one request; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxTokens bounds the completion; DefaultMaxTokens when zero.
	MaxTokens int
	// Seed is the sampling seed sent with every request (0 by default).
	Seed int64
	// Render, when set, turns a chat input into the raw prompt model's
	// server would see (its chat template), so that Score can rescore chat
	// answers through /v1/completions; ok false: regenerate instead. Unset,
	// mesh-lm-v1's template (lm.Render) is used for mesh-lm-v1 only.
	Render func(model string, input []byte) (prompt []byte, ok bool)
	// HTTP is the client used; a new one without its own timeout when nil.
	HTTP *http.Client
}

var _ backends.Inference = (*Client)(nil)

// New checks baseURL (http or https, with a host) and makes a client.
func New(baseURL string) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openai backend: base URL %q: want http(s)://host[:port]", baseURL)
	}
	base := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
	return &Client{BaseURL: base, HTTP: &http.Client{}}, nil
}

// Name implements backends.Inference.
func (*Client) Name() string { return "openai" }

// ChatRequest is the subset of the chat completions request the worker sends.
type ChatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	Seed        *int64    `json:"seed,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	N           int       `json:"n,omitempty"`
	Stream      bool      `json:"stream"`
	// Logprobs and TopLogprobs ask for the generated tokens' log-probs.
	Logprobs    bool `json:"logprobs,omitempty"`
	TopLogprobs int  `json:"top_logprobs,omitempty"`
}

// Message is one chat message. Content is a string when sent; servers may
// answer requests whose content is a list of parts (see Handler).
type Message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// ChatResponse is the subset of the answer the worker reads.
type ChatResponse struct {
	ID                string    `json:"id"`
	Object            string    `json:"object"`
	Created           int64     `json:"created"`
	Model             string    `json:"model"`
	SystemFingerprint string    `json:"system_fingerprint,omitempty"`
	Choices           []Choice  `json:"choices"`
	Usage             *Usage    `json:"usage,omitempty"`
	Error             *APIError `json:"error,omitempty"`
}

// Choice is one completion.
type Choice struct {
	Index   int `json:"index"`
	Message struct {
		Role    string  `json:"role"`
		Content *string `json:"content"`
	} `json:"message"`
	FinishReason string        `json:"finish_reason"`
	Logprobs     *ChatLogprobs `json:"logprobs,omitempty"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// APIError is the error object OpenAI-compatible servers answer with.
type APIError struct {
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Code    string `json:"code,omitempty"`
}

// Infer implements backends.Inference: input is sent as the one user
// message to model (the served name).
func (c *Client) Infer(ctx context.Context, model string, input []byte) ([]byte, error) {
	if !utf8.Valid(input) {
		// JSON would replace the invalid bytes, and the model would answer
		// another question than the one the job asked.
		return nil, errors.New("openai backend: input is not UTF-8 text")
	}
	content, _ := json.Marshal(string(input))
	maxTokens := c.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	seed := c.Seed
	var cr ChatResponse
	if err := c.post(ctx, "/v1/chat/completions", ChatRequest{Model: model, Messages: []Message{{Role: "user", Content: content}},
		Temperature: 0, Seed: &seed, MaxTokens: maxTokens, N: 1}, &cr, maxResponseBytes); err != nil {
		return nil, err
	}
	if cr.Error != nil {
		return nil, fmt.Errorf("openai backend: server error: %s", cr.Error.Message)
	}
	if len(cr.Choices) == 0 || cr.Choices[0].Message.Content == nil {
		return nil, errors.New("openai backend: malformed answer: no choice with a message content")
	}
	out := []byte(strings.TrimSpace(*cr.Choices[0].Message.Content))
	if len(out) == 0 {
		return nil, errors.New("openai backend: empty answer (an empty output cannot be revealed)")
	}
	if len(out) > backends.MaxOutputBytes {
		out = out[:backends.MaxOutputBytes]
	}
	return out, nil
}

// errorText is the message of an error answer: the API error's message
// when the body is one, else the start of the body.
func errorText(raw []byte) string {
	var cr ChatResponse
	if json.Unmarshal(raw, &cr) == nil && cr.Error != nil && cr.Error.Message != "" {
		return cr.Error.Message
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > maxErrorBytes {
		s = s[:maxErrorBytes] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
