package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/openai"
	"github.com/llmesh/mesh/worker/health"
)

// DefaultServeListen is serve's default address.
const DefaultServeListen = "127.0.0.1:8089"

func serveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the embedded model over the OpenAI chat completions API",
		Long: `Serve mesh-embedded-v1 as an OpenAI-compatible server:

  GET  /v1/models
  POST /v1/chat/completions   the last user message is the input; the answer's
                              content is the model's output, e.g.
                              {"label":"high","score":6924,"model":"mesh-embedded-v1"}

A worker started with --openai-url pointing here answers openai:mesh-embedded-v1
jobs with the same bytes as the embedded runtime. The first line on stdout is
the address served (useful with --listen 127.0.0.1:0).`,
		Example: `  meshd-worker serve
  meshd-worker serve --listen 127.0.0.1:0
  curl -s 127.0.0.1:8089/v1/chat/completions -d '{"model":"mesh-embedded-v1","messages":[{"role":"user","content":"Mint unlimited tokens"}]}'`,
		Args: cobra.NoArgs,
		RunE: runServe,
	}
	cmd.Flags().String(flagListen, DefaultServeListen, "address to listen on")
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
	listen, _ := cmd.Flags().GetString(flagListen)
	h := openai.Handler([]openai.Served{{ID: embedded.ModelID, Backend: model, Fingerprint: "sha256:" + embedded.WeightsDigest}}, log)
	addr, done, err := health.Serve(cmd.Context(), listen, h, log)
	if err != nil {
		return fmt.Errorf("--%s: %w", flagListen, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "serving %s on http://%s\n", embedded.ModelID, addr)
	err = <-done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
