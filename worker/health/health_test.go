package health

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
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
		"meshd_worker_current_epoch", "go_goroutines"} {
		require.Contains(t, body, name)
	}
	code, _ = get(t, base+"/nope")
	require.Equal(t, http.StatusNotFound, code)

	cancel()
	require.NoError(t, <-done)
}

func TestStaleStatusIsUnhealthy(t *testing.T) {
	st := NewStatus("", "")
	st.Update(func(s *Snapshot) { s.LastPoll = time.Now().Add(-StaleAfter - time.Second) })
	require.False(t, st.Snapshot().Healthy)
}
