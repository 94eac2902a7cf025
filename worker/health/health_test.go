package health

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestServer(t *testing.T) {
	st, m := NewStatus("mesh1abc", "cpu"), NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	addr, done, err := Serve(ctx, "127.0.0.1:0", Handler(st, m), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	base := "http://" + addr.String()

	// No answer from the node yet: unhealthy.
	code, body := get(t, base+"/healthz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	var snap Snapshot
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	require.False(t, snap.Healthy)
	require.Equal(t, "starting", snap.Phase)

	st.Update(func(s *Snapshot) { s.LastHeight, s.CurrentEpoch, s.LastPoll = 42, 7, time.Now() })
	st.SetError(errors.New("node down"))
	m.EpochsPassed.Inc()
	m.ProveDuration.Observe(0.5)
	code, body = get(t, base+"/healthz")
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, json.Unmarshal([]byte(body), &snap))
	require.True(t, snap.Healthy)
	require.Equal(t, int64(42), snap.LastHeight)
	require.Equal(t, "node down", snap.LastError)
	require.Equal(t, "mesh1abc", snap.Address)

	code, body = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, name := range []string{"meshd_worker_epochs_committed_total", "meshd_worker_epochs_revealed_total",
		"meshd_worker_epochs_passed_total 1", "meshd_worker_prove_duration_seconds_count 1", "meshd_worker_node_errors_total",
		"meshd_worker_current_epoch", "meshd_worker_poc_overclaim_total", "go_goroutines"} {
		require.Contains(t, body, name)
	}
	code, _ = get(t, base+"/nope")
	require.Equal(t, http.StatusNotFound, code)

	cancel()
	require.NoError(t, <-done)
}

// rawGet sends path as written (no client-side cleaning) and does not
// follow redirects.
func rawGet(t *testing.T, method, base, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, base, nil)
	require.NoError(t, err)
	req.URL.Path, req.URL.RawPath, req.URL.Opaque = path, "", path
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}

// TestUnknownPathsAre404 sends real HTTP requests: the documented paths
// answer, every other path is 404 (no redirect to a clean path or to a
// directory, no index), a known path with another method 405.
func TestUnknownPathsAre404(t *testing.T) {
	st, m := NewStatus("mesh1abc", "cpu"), NewMetrics()
	st.Update(func(s *Snapshot) { s.LastPoll = time.Now() })
	rt := Handler(st, m)
	rt.Handle("", "/blobs/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "blob "+r.URL.Path)
	}))
	srv := httptest.NewServer(rt)
	defer srv.Close()

	for path, want := range map[string]int{
		"/healthz": http.StatusOK, "/metrics": http.StatusOK, "/blobs/ab12": http.StatusOK,
		"/": http.StatusNotFound, "/index.html": http.StatusNotFound, "/nope": http.StatusNotFound,
		"/healthz/": http.StatusNotFound, "/metrics/x": http.StatusNotFound, "/healthzz": http.StatusNotFound,
		"//healthz": http.StatusNotFound, "/./metrics": http.StatusNotFound, "/x/../healthz": http.StatusNotFound,
		"/blobs": http.StatusNotFound, "/blobs/": http.StatusNotFound, "/debug/pprof/": http.StatusNotFound,
	} {
		resp := rawGet(t, http.MethodGet, srv.URL, path)
		require.Equal(t, want, resp.StatusCode, "GET %s", path)
		require.Empty(t, resp.Header.Get("Location"), "GET %s", path)
	}
	require.Equal(t, http.StatusOK, rawGet(t, http.MethodHead, srv.URL, "/healthz").StatusCode)
	resp := rawGet(t, http.MethodPost, srv.URL, "/metrics")
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	require.Equal(t, http.StatusNotFound, rawGet(t, http.MethodPost, srv.URL, "/nope").StatusCode)
}

func TestStaleStatusIsUnhealthy(t *testing.T) {
	st := NewStatus("", "")
	st.Update(func(s *Snapshot) { s.LastPoll = time.Now().Add(-StaleAfter - time.Second) })
	require.False(t, st.Snapshot().Healthy)
}
