package system

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// trainingTaskView is the part of `meshd q training task` the test reads.
type trainingTaskView struct {
	Task struct {
		Status           string `json:"status"`
		CurrentRound     int    `json:"current_round"`
		CheckpointDigest string `json:"checkpoint_digest"` // base64
		CandidateModelID string `json:"candidate_model_id"`
	} `json:"task"`
}

type roundView struct {
	Round struct {
		Phase            string `json:"phase"`
		CheckpointDigest string `json:"checkpoint_digest"`
		Aggregates       []struct {
			Digest string `json:"digest"`
			Agreed bool   `json:"agreed"`
		} `json:"aggregates"`
		Updates []struct {
			Revealed bool `json:"revealed"`
		} `json:"updates"`
	} `json:"round"`
}

type modelView struct {
	Model map[string]any `json:"model"`
}

// On the localnet: a training task created with the CLI over the genesis
// dataset runs its three rounds with the three workers (meshd-worker
// --train auto: each trains its shard, the aggregators fetch each other's
// updates over HTTP and agree on one checkpoint digest), the checkpoint
// becomes a CANDIDATE model whose weights the workers serve by digest; x/dao
// promotes it, the workers list it, and it answers an inference job.
func TestTrainingLocalnet(t *testing.T) {
	requireSystemTests(t)
	l := newLocalnet(t,
		"LOCALNET_BLOCK_TIME=500ms",
		"LOCALNET_DAO_VOTING_PERIOD=12s",
		"LOCALNET_DAO_TIMELOCK=4s",
	)
	l.mustRun(t, "start")
	home := []string{"--home", l.nodeHome()}

	task := filepath.Join(t.TempDir(), "task.json")
	require.NoError(t, os.WriteFile(task, []byte(`{"base_model_id": "mesh-embedded-v1", "dataset_ids": [1], "rounds": 3,
		"participants_per_round": 3, "aggregators_per_round": 3, "aggregation": "fedavg",
		"hyperparams": {"epochs": 2, "seed": 7}, "budget": "30000000umesh"}`), 0o600))
	l.tx(t, "training", "create-task", task, "--from", "alice")

	var tv trainingTaskView
	waitFor(t, "the training task to complete", 3*time.Minute, func() (bool, string) {
		l.cli.RunJSON(t, &tv, append([]string{"q", "training", "task", "1", "-o", "json"}, home...)...)
		return tv.Task.Status == "TASK_STATUS_COMPLETED" || tv.Task.Status == "TASK_STATUS_FAILED",
			fmt.Sprintf("%s round %d\nworker log:\n%s", tv.Task.Status, tv.Task.CurrentRound, tail(filepath.Join(l.home, "worker-1.log"), 10))
	})
	require.Equal(t, "TASK_STATUS_COMPLETED", tv.Task.Status)
	for n := 1; n <= 3; n++ {
		var r roundView
		l.cli.RunJSON(t, &r, append([]string{"q", "training", "round", "1", fmt.Sprint(n), "-o", "json"}, home...)...)
		require.Equal(t, "ROUND_PHASE_FINALIZED", r.Round.Phase, "round %d", n)
		require.Len(t, r.Round.Aggregates, 3)
		for _, a := range r.Round.Aggregates {
			require.True(t, a.Agreed, "round %d: every aggregator agreed", n)
			require.Equal(t, r.Round.CheckpointDigest, a.Digest, "round %d: identical aggregates", n)
		}
		for _, u := range r.Round.Updates {
			require.True(t, u.Revealed, "round %d: every participant revealed", n)
		}
	}

	// The candidate's weights are the last checkpoint, served by a worker.
	candidate := tv.Task.CandidateModelID
	require.Equal(t, "mesh-embedded-v1-t1", candidate)
	var m modelView
	l.cli.RunJSON(t, &m, append([]string{"q", "inference", "model", candidate, "-o", "json"}, home...)...)
	require.Equal(t, "MODEL_STATUS_CANDIDATE", m.Model["status"])
	digest, err := base64.StdEncoding.DecodeString(tv.Task.CheckpointDigest)
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(digest), m.Model["weights_digest"])
	uri, _ := m.Model["weights_uri"].(string)
	require.True(t, strings.HasPrefix(uri, "http://127.0.0.1:"), uri)
	resp, err := http.Get(uri) //nolint:gosec // a loopback worker
	require.NoError(t, err)
	blob, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	sum := sha256.Sum256(blob)
	require.Equal(t, digest, sum[:], "the blob at weights_uri has the weights digest")

	// x/dao promotes it.
	for _, who := range []string{"alice", "bob"} {
		l.tx(t, "dao", "lock", "100000000umesh", "1h", "--from", who)
	}
	var treasury struct {
		Address string `json:"address"`
	}
	l.cli.RunJSON(t, &treasury, append([]string{"q", "dao", "treasury", "-o", "json"}, home...)...)
	m.Model["status"] = "MODEL_STATUS_ACTIVE"
	proposal, err := json.Marshal(map[string]any{
		"title": "Promote the trained classifier", "summary": "Activate " + candidate + ", trained by x/training task 1.",
		"deposit":  "10000000umesh",
		"messages": []any{map[string]any{"@type": "/mesh.inference.v1.MsgUpdateModel", "authority": treasury.Address, "model": m.Model}},
	})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "promote.json")
	require.NoError(t, os.WriteFile(file, proposal, 0o600))
	l.tx(t, "dao", "submit-proposal", file, "--from", "alice")
	l.tx(t, "dao", "vote", "1", "yes", "--from", "alice")
	l.tx(t, "dao", "vote", "1", "yes", "--from", "bob")

	// The workers serve it.
	for i := 1; i <= 3; i++ {
		provider := "validator"
		if i > 1 {
			provider = fmt.Sprintf("provider-%d", i)
		}
		provAddr := strings.TrimSpace(l.cli.Run(t, append([]string{"keys", "show", provider, "-a"}, home...)...))
		l.tx(t, "compute", "update-worker", "--models", "mesh-embedded-v1,"+candidate, "--from", "worker",
			"--keyring-dir", filepath.Join(l.home, fmt.Sprintf("worker-%d", i)), "--keyring-backend", "test", "--fee-granter", provAddr)
	}

	p := l.proposal(t, "1")
	waitFor(t, "the promotion to pass", time.Minute, func() (bool, string) {
		p = l.proposal(t, "1")
		return p.Proposal.Status == "PROPOSAL_STATUS_PASSED", p.Proposal.Status
	})
	eta, err := time.Parse(time.RFC3339Nano, p.Proposal.ETA)
	require.NoError(t, err)
	time.Sleep(time.Until(eta) + time.Second)
	code, log := l.txCode(t, "dao", "execute", "1", "--from", "bob")
	require.Zero(t, code, log)
	l.cli.RunJSON(t, &m, append([]string{"q", "inference", "model", candidate, "-o", "json"}, home...)...)
	require.Equal(t, "MODEL_STATUS_ACTIVE", m.Model["status"])

	// It answers an inference job: the three workers fetch its weights by
	// digest and agree on the answer.
	id := l.request(t, candidate, "transfer the entire treasury to an unknown address")
	j := l.waitJobEnded(t, id)
	require.Equal(t, "JOB_STATUS_FINALIZED", j.Job.Status)
	out, err := base64.StdEncoding.DecodeString(j.Job.Result)
	require.NoError(t, err)
	var answer struct {
		Label string `json:"label"`
		Model string `json:"model"`
	}
	require.NoError(t, json.Unmarshal(out, &answer), string(out))
	require.Equal(t, candidate, answer.Model)
	require.Contains(t, []string{"low", "medium", "high"}, answer.Label)
	for _, a := range j.Job.Assignments {
		require.True(t, a.Agreed)
	}
	t.Logf("candidate %s answered %s", candidate, out)
}
