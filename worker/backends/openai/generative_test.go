package openai

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/lm"
)

var lmSettings = backends.GenSettings{MaxTokens: lm.DefaultMaxTokens, TopK: lm.DefaultTopK}

func lmAccept(s backends.Score) bool {
	return s.Accept(lm.DefaultMinInTopKBps, lm.DefaultMaxMeanGapMilli)
}

// TestGenerativeAgainstRealServe: through a real `meshd-worker serve`, the
// client generates the bytes the embedded model generates (raw prompt via
// /v1/completions, chat via /v1/chat/completions), rescoring accepts them
// with the embedded Score's statistics, and rejects a truncated or a
// pasted answer.
func TestGenerativeAgainstRealServe(t *testing.T) {
	c, err := New(startServe(t))
	require.NoError(t, err)
	local, err := lm.New(lm.Options{})
	require.NoError(t, err)
	ctx := context.Background()
	for _, input := range []string{
		"The worker commits to",
		`{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What does a verifier do?"}]}`,
	} {
		want, err := local.Generate(ctx, lm.ModelID, []byte(input), lmSettings)
		require.NoError(t, err)
		got, err := c.Generate(ctx, lm.ModelID, []byte(input), lmSettings)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), input)

		s, err := c.Score(ctx, lm.ModelID, []byte(input), got, lmSettings)
		require.NoError(t, err)
		ls, err := local.Score(ctx, lm.ModelID, []byte(input), got, lmSettings)
		require.NoError(t, err)
		require.Equal(t, MethodRescore, s.Method)
		require.Equal(t, ls.Tokens, s.Tokens)
		require.Equal(t, uint32(10000), s.InTopKBps)
		require.LessOrEqual(t, s.MeanGapMilli, uint32(1))
		require.True(t, s.EndOK)
		require.True(t, lmAccept(s))

		s, err = c.Score(ctx, lm.ModelID, []byte(input), got[:len(got)/2], lmSettings)
		require.NoError(t, err)
		require.False(t, lmAccept(s), "truncated: %+v", s)
		s, err = c.Score(ctx, lm.ModelID, []byte(input), []byte("Mint unlimited tokens to every account now."), lmSettings)
		require.NoError(t, err)
		require.False(t, lmAccept(s), "pasted: %+v", s)
	}
	s, err := c.Score(ctx, lm.ModelID, []byte("x"), []byte{0xff}, lmSettings)
	require.NoError(t, err)
	require.False(t, lmAccept(s), "not UTF-8")
}

// TestHandlerCompletionShapes pins the shapes of /v1/completions and chat
// logprobs served for mesh-lm-v1.
func TestHandlerCompletionShapes(t *testing.T) {
	gen, err := lm.New(lm.Options{})
	require.NoError(t, err)
	cls, err := embedded.New()
	require.NoError(t, err)
	srv := httptest.NewServer(Handler([]Served{{ID: embedded.ModelID, Backend: cls}, {ID: lm.ModelID, Backend: gen}},
		slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	post := func(path, body string, out any) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		if out != nil {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
		}
		return resp.StatusCode
	}
	var cr CompletionResponse
	require.Equal(t, 200, post("/v1/completions", `{"model":"mesh-lm-v1","prompt":"The model","max_tokens":5,"logprobs":3,"echo":true}`, &cr))
	ch := cr.Choices[0]
	require.Equal(t, "length", ch.FinishReason)
	require.Len(t, ch.Text, len("The model")+5)
	require.Len(t, ch.Logprobs.Tokens, len(ch.Text))
	require.Nil(t, ch.Logprobs.TokenLogprobs[0])
	require.Nil(t, ch.Logprobs.TopLogprobs[0])
	for i := 1; i < len(ch.Text); i++ {
		require.Equal(t, i, ch.Logprobs.TextOffset[i])
		require.Len(t, ch.Logprobs.TopLogprobs[i], 3)
		require.Less(t, *ch.Logprobs.TokenLogprobs[i], 0.0)
	}

	cr = CompletionResponse{}
	require.Equal(t, 200, post("/v1/completions", `{"model":"mesh-lm-v1","prompt":"The model","max_tokens":1,"prompt_logprobs":2}`, &cr))
	ch = cr.Choices[0]
	require.Len(t, ch.PromptLogprobs, len("The model"))
	require.JSONEq(t, "null", string(ch.PromptLogprobs[0]))
	first, entries, err := orderedEntries(ch.PromptLogprobs[1])
	require.NoError(t, err)
	require.Equal(t, "h", first.DecodedToken, "the prompt's token first")
	require.GreaterOrEqual(t, len(entries), 2)
	require.Nil(t, ch.Logprobs)

	var chat ChatResponse
	require.Equal(t, 200, post("/v1/chat/completions", `{"model":"mesh-lm-v1","messages":[{"role":"user","content":"Hi"}],"max_tokens":6,"logprobs":true,"top_logprobs":2}`, &chat))
	content := *chat.Choices[0].Message.Content
	require.NotEmpty(t, content)
	require.Len(t, chat.Choices[0].Logprobs.Content, len(content))
	require.Len(t, chat.Choices[0].Logprobs.Content[0].TopLogprobs, 2)

	require.Equal(t, 400, post("/v1/completions", `{"model":"mesh-embedded-v1","prompt":"x"}`, nil), "not generative")
	require.Equal(t, 404, post("/v1/completions", `{"model":"nope","prompt":"x"}`, nil))
	require.Equal(t, 400, post("/v1/completions", `{"model":"mesh-lm-v1","prompt":"x","logprobs":99}`, nil))
	require.Equal(t, 400, post("/v1/completions", `{"model":"mesh-lm-v1","prompt":"x","stream":true}`, nil))
}

// TestScoreVLLMPromptLogprobs: a server that ignores echo but answers
// vLLM's prompt_logprobs (its JSON shape, the prompt token first, the first
// position null) is rescored from prompt_logprobs.
func TestScoreVLLMPromptLogprobs(t *testing.T) {
	var echoes, promptLPs atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		require.Equal(t, "/v1/completions", r.URL.Path)
		require.Equal(t, "Hi there friend", req["prompt"])
		require.EqualValues(t, 1, req["max_tokens"])
		w.Header().Set("Content-Type", "application/json")
		if req["echo"] == true {
			echoes.Add(1) // vLLM ≥ 0.6 with echo unsupported for this model: no echoed log-probs
			_, _ = io.WriteString(w, `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"stop"}]}`)
			return
		}
		require.EqualValues(t, 4, req["prompt_logprobs"])
		promptLPs.Add(1)
		_, _ = io.WriteString(w, `{"id":"cmpl-2","object":"text_completion","model":"m","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"stop","stop_reason":null,
"prompt_logprobs":[null,
 {"1234":{"logprob":-0.25,"rank":1,"decoded_token":" there"},"99":{"logprob":-2.0,"rank":2,"decoded_token":" you"}},
 {"777":{"logprob":-1.5,"rank":2,"decoded_token":" friend"},"5":{"logprob":-0.5,"rank":1,"decoded_token":"!"},"777 ":{"logprob":-1.5,"rank":2,"decoded_token":" friend"}}]}],
"usage":{"prompt_tokens":3,"total_tokens":3,"completion_tokens":0}}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL)
	require.NoError(t, err)
	s, err := c.Score(context.Background(), "m", []byte("Hi there"), []byte(" friend"), backends.GenSettings{MaxTokens: 8, TopK: 4})
	require.NoError(t, err)
	require.Equal(t, int32(1), echoes.Load())
	require.Equal(t, int32(1), promptLPs.Load())
	// " friend" (rank 2, 1 nat below the top-1) and the EOS (the server's
	// greedy choice: finish_reason stop, no text).
	require.Equal(t, backends.Score{Method: MethodRescore, Tokens: 2, InTopKBps: 10000, MeanGapMilli: 500, EndOK: true}, s)
}

// TestScoreLlamaCppFallback: llama.cpp's server returns log-probs only of
// the tokens it generates (n_probs); the client regenerates and compares.
func TestScoreLlamaCppFallback(t *testing.T) {
	for _, badRequest := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req map[string]any
			require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
			w.Header().Set("Content-Type", "application/json")
			if req["max_tokens"] == 1.0 && badRequest {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":{"code":400,"message":"\"echo\" is not supported","type":"invalid_request_error"}}`)
				return
			}
			if req["max_tokens"] == 1.0 {
				// The generated token's probabilities only, llama.cpp's shape.
				_, _ = io.WriteString(w, `{"choices":[{"text":" a","index":0,"logprobs":{"content":[{"id":264,"token":" a","logprob":-0.1,"bytes":[32,97],"top_logprobs":[{"id":264,"token":" a","logprob":-0.1}]}]},"finish_reason":"length"}],"model":"gpt-3.5-turbo","object":"text_completion"}`)
				return
			}
			_, _ = io.WriteString(w, `{"choices":[{"text":" the answer is 42","index":0,"logprobs":null,"finish_reason":"stop"}],"model":"gpt-3.5-turbo","object":"text_completion"}`)
		}))
		c, err := New(srv.URL)
		require.NoError(t, err)
		ctx := context.Background()
		st := backends.GenSettings{MaxTokens: 16, TopK: 4}
		s, err := c.Score(ctx, "m", []byte("Q:"), []byte(" the answer is 42"), st)
		require.NoError(t, err)
		require.Equal(t, backends.Score{Method: MethodRegenerate, Tokens: 17, InTopKBps: 10000, EndOK: true}, s)
		s, err = c.Score(ctx, "m", []byte("Q:"), []byte(" the answer is 7"), st)
		require.NoError(t, err)
		require.Equal(t, MethodRegenerate, s.Method)
		require.Equal(t, uint32(15*10000/17), s.InTopKBps)
		srv.Close()
	}
}
