package openai

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/health"
)

// maxRequestBytes bounds a request body the server reads.
const maxRequestBytes = 1 << 20

// Served is a model the server answers for.
type Served struct {
	// ID is the model name clients send (and /v1/models lists).
	ID string
	// Backend computes the answers; it is called with ID.
	Backend backends.Inference
	// Fingerprint, optional, is sent as system_fingerprint (e.g. the weights digest).
	Fingerprint string
}

// Handler serves the OpenAI chat API for models:
//
//	GET  /v1/models            the served models
//	POST /v1/chat/completions  the content of the last user message is the
//	                           input; the backend's output is the answer. A
//	                           generative model (LM) renders every message
//	                           with lm.Render and answers logprobs and
//	                           top_logprobs (OpenAI's shape).
//	POST /v1/completions       generative models only: prompt, max_tokens,
//	                           min_tokens, logprobs N, echo and vLLM's
//	                           prompt_logprobs N (vLLM's shapes)
//
// Sampling parameters are accepted and ignored (the served models are
// deterministic); streaming is refused.
func Handler(models []Served, log *slog.Logger) http.Handler {
	byID := map[string]Served{}
	for _, m := range models {
		byID[m.ID] = m
	}
	// Every other path is 404 (no redirects), as on the worker's /healthz server.
	mux := &health.Router{}
	mux.Handle(http.MethodGet, "/v1/models", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		type model struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		}
		list := struct {
			Object string  `json:"object"`
			Data   []model `json:"data"`
		}{Object: "list", Data: []model{}}
		for _, m := range models {
			list.Data = append(list.Data, model{ID: m.ID, Object: "model", OwnedBy: "mesh"})
		}
		writeJSON(w, http.StatusOK, list)
	}))
	mux.Handle(http.MethodPost, "/v1/chat/completions", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req ChatRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBytes))
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "malformed request: "+err.Error())
			return
		}
		m, ok := byID[req.Model]
		if !ok {
			writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
				fmt.Sprintf("the model %q does not exist", req.Model))
			return
		}
		if req.Stream {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", "streaming is not supported")
			return
		}
		if g, ok := m.Backend.(LM); ok {
			content, lp, finish, err := chatLM(r.Context(), g, req)
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid_request_error", "", err.Error())
				return
			}
			resp := ChatResponse{ID: "chatcmpl-" + randomHex(12), Object: "chat.completion", Created: time.Now().Unix(),
				Model: m.ID, SystemFingerprint: m.Fingerprint, Choices: []Choice{{Index: 0, FinishReason: finish, Logprobs: lp}},
				Usage: &Usage{CompletionTokens: len(content), TotalTokens: len(content)}}
			resp.Choices[0].Message.Role = "assistant"
			resp.Choices[0].Message.Content = &content
			writeJSON(w, http.StatusOK, resp)
			return
		}
		input, err := lastUserContent(req.Messages)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", err.Error())
			return
		}
		start := time.Now()
		out, err := m.Backend.Infer(r.Context(), m.ID, []byte(input))
		if err != nil {
			log.Warn("inference failed", "model", m.ID, "err", err)
			writeError(w, http.StatusInternalServerError, "server_error", "", err.Error())
			return
		}
		log.Debug("chat completion", "model", m.ID, "input_bytes", len(input), "output_bytes", len(out), "took", time.Since(start))
		content := string(out)
		resp := ChatResponse{ID: "chatcmpl-" + randomHex(12), Object: "chat.completion", Created: time.Now().Unix(),
			Model: m.ID, SystemFingerprint: m.Fingerprint,
			Choices: []Choice{{Index: 0, FinishReason: "stop"}},
			Usage:   &Usage{PromptTokens: len(strings.Fields(input)), CompletionTokens: len(strings.Fields(content))}}
		resp.Choices[0].Message.Role = "assistant"
		resp.Choices[0].Message.Content = &content
		resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
		writeJSON(w, http.StatusOK, resp)
	}))
	mux.Handle(http.MethodPost, "/v1/completions", completionHandler(byID, log))
	return mux
}

// lastUserContent is the text of the last user message: a string, or the
// concatenated text parts of a list of content parts.
func lastUserContent(msgs []Message) (string, error) {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return contentText(msgs[i].Content)
		}
	}
	return "", errors.New("no user message")
}

// contentText is a message content's text: a string, or the concatenated
// text parts of a list of content parts.
func contentText(content json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(content, &parts); err != nil {
		return "", errors.New("message content must be a string or a list of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, typ, errCode, msg string) {
	writeJSON(w, code, struct {
		Error APIError `json:"error"`
	}{APIError{Message: msg, Type: typ, Code: errCode}})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
