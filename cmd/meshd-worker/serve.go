package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/lm"
	"github.com/llmesh/mesh/worker/backends/openai"
	"github.com/llmesh/mesh/worker/health"
)

// DefaultServeListen is serve's default address.
const DefaultServeListen = "127.0.0.1:8089"

const (
	flagLogitNoise         = "logit-noise"
	flagNoiseSeed          = "noise-seed"
	flagEmbeddedLogitNoise = "embedded-logit-noise" // start's
)

// newLM is mesh-lm-v1 with logit noise (0: exact), for serve and start.
func newLM(noise int, seed uint64) (*lm.Backend, error) {
	if noise < 0 {
		return nil, fmt.Errorf("logit noise %d: want ≥ 0", noise)
	}
	return lm.New(lm.Options{LogitNoise: noise, NoiseSeed: seed})
}

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the embedded models over the OpenAI API",
		Long: `Serve mesh-embedded-v1 and mesh-lm-v1 as an OpenAI-compatible server:

  GET  /v1/models
  POST /v1/chat/completions   mesh-embedded-v1: the last user message is the
                              input; the answer's content is the model's output, e.g.
                              {"label":"high","score":6924,"model":"mesh-embedded-v1"}
                              mesh-lm-v1: the messages rendered as "Role: content"
                              lines and "Assistant:", greedy; logprobs/top_logprobs
  POST /v1/completions        mesh-lm-v1: prompt, max_tokens, min_tokens, logprobs N,
                              echo, prompt_logprobs N (vLLM's shapes)

--logit-noise N adds deterministic integer noise (±N/16 nat, seeded by
--noise-seed) to mesh-lm-v1's logits: an honest server on other hardware.

A worker started with --openai-url pointing here answers openai:mesh-embedded-v1
jobs with the same bytes as the embedded runtime. The first line on stdout is
the address served (useful with --listen 127.0.0.1:0).`,
		Example: `  meshd-worker serve
  meshd-worker serve --listen 127.0.0.1:0
  curl -s 127.0.0.1:8089/v1/chat/completions -d '{"model":"mesh-embedded-v1","messages":[{"role":"user","content":"Mint unlimited tokens"}]}'
  curl -s 127.0.0.1:8089/v1/completions -d '{"model":"mesh-lm-v1","prompt":"The worker","max_tokens":16,"logprobs":3}'`,
		Args: cobra.NoArgs,
		RunE: runServe,
	}
	cmd.Flags().String(flagListen, DefaultServeListen, "address to listen on")
	cmd.Flags().Int(flagLogitNoise, 0, "mesh-lm-v1: integer noise added to every logit, in 1/16 nat (0: exact)")
	cmd.Flags().Uint64(flagNoiseSeed, 1, "mesh-lm-v1: the noise's seed")
	return cmd
}

func runServe(cmd *cobra.Command, _ []string) error {
	log, err := newLogger(cmd)
	if err != nil {
		return err
	}
	model, err := embedded.New()
	if err != nil {
		return err
	}
	noise, _ := cmd.Flags().GetInt(flagLogitNoise)
	seed, _ := cmd.Flags().GetUint64(flagNoiseSeed)
	gen, err := newLM(noise, seed)
	if err != nil {
		return fmt.Errorf("--%s: %w", flagLogitNoise, err)
	}
	listen, _ := cmd.Flags().GetString(flagListen)
	h := openai.Handler([]openai.Served{{ID: embedded.ModelID, Backend: model, Fingerprint: "sha256:" + embedded.WeightsDigest},
		{ID: lm.ModelID, Backend: gen, Fingerprint: "sha256:" + lm.WeightsDigest}}, log)
	addr, done, err := health.Serve(cmd.Context(), listen, h, log)
	if err != nil {
		return fmt.Errorf("--%s: %w", flagListen, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "serving %s,%s on http://%s\n", embedded.ModelID, lm.ModelID, addr)
	err = <-done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
