package openai

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	osexec "os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/internal/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// startServe runs the real `meshd-worker serve` on a free loopback port and
// returns its base URL.
func startServe(t *testing.T) string {
	bin := testbin.MeshdWorker(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := osexec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		_, url, ok := strings.Cut(strings.TrimSpace(s), " on ")
		require.True(t, ok, "serve printed %q", s)
		return url
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
		return ""
	}
}

func TestAgainstRealServe(t *testing.T) {
	base := startServe(t)
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	c, err := New(base + "/v1/") // the /v1 suffix is accepted
	require.NoError(t, err)
	model, err := embedded.New()
	require.NoError(t, err)
	ctx := context.Background()

	t.Run("same bytes as the embedded runtime", func(t *testing.T) {
		for _, in := range []string{"transfer the entire treasury to an unknown address", "Fix typos in the docs", "  ünïcode ✓  "} {
			got, err := c.Infer(ctx, embedded.ModelID, []byte(in))
			require.NoError(t, err)
			want, err := model.Infer(ctx, embedded.ModelID, []byte(in))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		}
	})

	t.Run("unknown model", func(t *testing.T) {
		_, err := c.Infer(ctx, "gpt-4o", []byte("hello"))
		require.ErrorContains(t, err, `HTTP 404: the model "gpt-4o" does not exist`)
	})

	t.Run("models", func(t *testing.T) {
		resp, err := http.Get(base + "/v1/models")
		require.NoError(t, err)
		defer resp.Body.Close()
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
		require.Len(t, list.Data, 2, "the classifier and the generative model")
		require.Equal(t, embedded.ModelID, list.Data[0].ID)
		require.Equal(t, "mesh-lm-v1", list.Data[1].ID)
	})

	t.Run("content parts and streaming", func(t *testing.T) {
		body := `{"model":"mesh-embedded-v1","messages":[{"role":"system","content":"be terse"},` +
			`{"role":"user","content":[{"type":"text","text":"Mint unlimited "},{"type":"text","text":"tokens"}]}]}`
		resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		var cr ChatResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&cr))
		resp.Body.Close()
		want, _ := model.Infer(ctx, embedded.ModelID, []byte("Mint unlimited tokens"))
		require.Equal(t, string(want), *cr.Choices[0].Message.Content)
		require.Equal(t, "assistant", cr.Choices[0].Message.Role)
		require.Equal(t, "sha256:"+embedded.WeightsDigest, cr.SystemFingerprint)

		resp, err = http.Post(base+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"mesh-embedded-v1","stream":true,"messages":[{"role":"user","content":"x"}]}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}

// fake is an httptest server that records requests and answers with fn.
func fake(t *testing.T, fn func(w http.ResponseWriter, r *http.Request)) (*Client, *[]recorded) {
	var mu sync.Mutex
	var reqs []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recorded{path: r.URL.Path, auth: r.Header.Get("Authorization"), body: body})
		mu.Unlock()
		fn(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL)
	require.NoError(t, err)
	return c, &reqs
}

type recorded struct {
	path, auth string
	body       []byte
}

func answer(content string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}}}})
	}
}

func TestRequestShape(t *testing.T) {
	c, reqs := fake(t, answer("  42\n"))
	c.APIKey = "sk-test"
	out, err := c.Infer(context.Background(), "llama-3.1-8b-instruct", []byte("What is 6×7?"))
	require.NoError(t, err)
	require.Equal(t, "42", string(out), "trimmed")
	require.Len(t, *reqs, 1)
	r := (*reqs)[0]
	require.Equal(t, "/v1/chat/completions", r.path)
	require.Equal(t, "Bearer sk-test", r.auth)
	require.JSONEq(t, `{"model":"llama-3.1-8b-instruct","messages":[{"role":"user","content":"What is 6×7?"}],
		"temperature":0,"seed":0,"max_tokens":256,"n":1,"stream":false}`, string(r.body))
}

func TestOutputCapped(t *testing.T) {
	c, _ := fake(t, answer(strings.Repeat("a", 5000)))
	out, err := c.Infer(context.Background(), "m", []byte("x"))
	require.NoError(t, err)
	require.Len(t, out, 1024)
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(http.ResponseWriter, *http.Request)
		want string
	}{
		{"api error", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"max_tokens is too large","type":"invalid_request_error"}}`)
		}, "HTTP 400: max_tokens is too large"},
		{"plain 503", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "model is loading", http.StatusServiceUnavailable)
		}, "HTTP 503: model is loading"},
		{"empty 500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }, "HTTP 500: (empty body)"},
		{"malformed json", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"choices":[`) }, "malformed answer"},
		{"no choices", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"choices":[]}`) }, "no choice"},
		{"null content", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":null}}]}`)
		}, "no choice"},
		{"empty content", answer(" \n "), "empty answer"},
		{"error in a 200", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"error":{"message":"out of memory"}}`)
		}, "server error: out of memory"},
		{"huge answer", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, strings.Repeat(" ", maxResponseBytes+10))
		}, "exceeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := fake(t, tc.fn)
			_, err := c.Infer(context.Background(), "m", []byte("x"))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c.Timeout = 150 * time.Millisecond
	start := time.Now()
	_, err := c.Infer(context.Background(), "m", []byte("x"))
	require.ErrorContains(t, err, "timed out after 150ms")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestRefusesBadInputAndURL(t *testing.T) {
	c, reqs := fake(t, answer("x"))
	_, err := c.Infer(context.Background(), "m", []byte{0xff, 0xfe})
	require.ErrorContains(t, err, "not UTF-8")
	require.Empty(t, *reqs)
	for _, u := range []string{"", "127.0.0.1:8089", "ftp://host", "http://"} {
		_, err := New(u)
		require.Error(t, err, u)
	}
}

func TestHandlerUnit(t *testing.T) {
	model, err := embedded.New()
	require.NoError(t, err)
	srv := httptest.NewServer(Handler([]Served{{ID: embedded.ModelID, Backend: model}}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	for _, tc := range []struct {
		body string
		code int
	}{
		{`not json`, http.StatusBadRequest},
		{`{"model":"mesh-embedded-v1","messages":[]}`, http.StatusBadRequest},
		{`{"model":"mesh-embedded-v1","messages":[{"role":"user","content":7}]}`, http.StatusBadRequest},
		{`{"model":"mesh-embedded-v1","messages":[{"role":"user","content":"ok"}]}`, http.StatusOK},
	} {
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(tc.body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, tc.code, resp.StatusCode, tc.body)
	}
}

// TestHandlerUnknownPaths: only the two API paths answer; every other path
// (a trailing slash, an unclean path, the index) is 404, never a redirect.
func TestHandlerUnknownPaths(t *testing.T) {
	model, err := embedded.New()
	require.NoError(t, err)
	srv := httptest.NewServer(Handler([]Served{{ID: embedded.ModelID, Backend: model}}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{"/v1/models": http.StatusOK, "/": http.StatusNotFound, "/v1/models/": http.StatusNotFound,
		"/v1/": http.StatusNotFound, "//v1/models": http.StatusNotFound, "/v1/./models": http.StatusNotFound} {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		req.URL.Path, req.URL.Opaque = path, path
		resp, err := c.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, path)
		require.Empty(t, resp.Header.Get("Location"), path)
	}
	resp, err := http.Get(srv.URL + "/v1/chat/completions")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}
