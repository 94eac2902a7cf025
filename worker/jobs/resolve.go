package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Backends are the worker's inference backends, one per runtime kind; a
// nil one means models of that kind are not served.
type Backends struct {
	// Embedded answers "int8-embedded": mesh-embedded-v1 (with the
	// registered weights digest), and any other model by its weights when
	// it is a backends.ModelLoader.
	Embedded backends.Inference
	// OpenAI answers "openai:<served-name>", called with the served name.
	OpenAI backends.Inference
	// Exec answers "exec:<name>", called with the model id.
	Exec backends.Inference
	// LM, when set, answers the "int8-embedded" model LMID (the embedded
	// generative model, mesh-lm-v1): VERIFY jobs' generation and scoring.
	LM   backends.Generative
	LMID string
}

// Resolve picks the backend for a registered model and the name to call
// it with.
func (b Backends) Resolve(m inferencetypes.Model) (backends.Inference, string, error) {
	rt := m.Runtime
	switch {
	case rt == inferencetypes.RuntimeInt8Embedded && b.LM != nil && m.Id == b.LMID:
		return b.LM, m.Id, nil
	case rt == inferencetypes.RuntimeInt8Embedded:
		if b.Embedded == nil {
			return nil, "", errors.New("runtime int8-embedded is not served by this worker")
		}
		if m.Id != embedded.ModelID {
			loader, ok := b.Embedded.(backends.ModelLoader)
			if !ok {
				return nil, "", fmt.Errorf("runtime int8-embedded: this worker embeds %s, not %s", embedded.ModelID, m.Id)
			}
			if m.WeightsDigest == "" {
				return nil, "", fmt.Errorf("model %s has no weights digest on chain", m.Id)
			}
			return loadThenInfer{loader: loader, spec: backends.ModelSpec{ID: m.Id, WeightsDigest: m.WeightsDigest,
				WeightsURI: m.WeightsUri}}, m.Id, nil
		}
		// Other weights would give other outputs, and a deterministic model's
		// dissenters are slashed: refuse rather than answer.
		if m.WeightsDigest != "" && !strings.EqualFold(m.WeightsDigest, embedded.WeightsDigest) {
			return nil, "", fmt.Errorf("model %s has weights digest %s on chain, this worker embeds %s: upgrade meshd-worker",
				m.Id, m.WeightsDigest, embedded.WeightsDigest)
		}
		return b.Embedded, m.Id, nil
	case strings.HasPrefix(rt, inferencetypes.RuntimeOpenAIPrefix):
		if b.OpenAI == nil {
			return nil, "", fmt.Errorf("runtime %s needs --openai-url", rt)
		}
		return b.OpenAI, strings.TrimPrefix(rt, inferencetypes.RuntimeOpenAIPrefix), nil
	case strings.HasPrefix(rt, inferencetypes.RuntimeExecPrefix):
		if b.Exec == nil {
			return nil, "", fmt.Errorf("runtime %s needs --exec-cmd", rt)
		}
		return b.Exec, m.Id, nil
	}
	return nil, "", fmt.Errorf("unknown runtime %q", rt)
}

// loadThenInfer loads a model's weights (fetched once, then cached by the
// backend) in the inference goroutine, so a download never holds up the
// loop and a failed one is retried like any backend error.
type loadThenInfer struct {
	loader backends.ModelLoader
	spec   backends.ModelSpec
}

func (l loadThenInfer) Name() string { return l.loader.Name() }

func (l loadThenInfer) Infer(ctx context.Context, model string, input []byte) ([]byte, error) {
	be, err := l.loader.LoadModel(ctx, l.spec)
	if err != nil {
		return nil, err
	}
	return be.Infer(ctx, model, input)
}

// jobInput returns a job's input: inline, checked against its digest.
func jobInput(j *inferencetypes.Job) ([]byte, error) {
	if len(j.Input) == 0 && j.InputUri != "" {
		return nil, fmt.Errorf("input given by URI (%s): only inline inputs are supported", j.InputUri)
	}
	if len(j.InputDigest) > 0 {
		if sum := sha256.Sum256(j.Input); !bytes.Equal(sum[:], j.InputDigest) {
			return nil, errors.New("inline input does not match its input_digest")
		}
	}
	return j.Input, nil
}

// finishOutput checks a backend's output against what a reveal can carry
// and, for MEDIAN jobs, puts the number in the canonical form the chain
// parses (ASCII decimal int64: "-12", never "+12" or " 12").
func finishOutput(mode inferencetypes.ConsensusMode, out []byte) ([]byte, error) {
	if mode == inferencetypes.CONSENSUS_MODE_MEDIAN {
		v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("MEDIAN job: output %q is not a decimal int64", truncate(out, 64))
		}
		out = inferencetypes.FormatMedianOutput(v)
	}
	switch {
	case len(out) == 0:
		return nil, errors.New("empty output (an empty output cannot be revealed inline)")
	case len(out) > backends.MaxOutputBytes:
		return nil, fmt.Errorf("output of %d bytes exceeds %d", len(out), backends.MaxOutputBytes)
	}
	return out, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
