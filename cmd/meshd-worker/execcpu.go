package main

import (
	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/exec"
)

// execCPUCmd is the exec backend's contract served by the built-in
// backends (poc_gemm with the CPU GEMM, infer with the embedded model): a
// reference implementation for backend authors and the exec backend's
// end-to-end test.
func execCPUCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "exec-cpu",
		Short:  "Answer one exec-backend request (JSON on stdin) with the CPU backend and the embedded model",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			model, err := embedded.New()
			if err != nil {
				return err
			}
			if err := exec.Serve(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cpu.Backend{}, model); err != nil {
				return errSilent // the error is in the JSON answer; exit non-zero
			}
			return nil
		},
	}
}
