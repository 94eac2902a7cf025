package main

import (
	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/training"
)

// execTrainCmd is the exec trainer's contract served by the built-in CPU
// trainer (federated's fixed-point arithmetic): a reference for trainer
// authors and the exec trainer's end-to-end test.
func execTrainCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "exec-train",
		Short:  "Answer one exec-trainer request (JSON on stdin; op train or aggregate) with the built-in CPU trainer",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := training.ServeExec(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout()); err != nil {
				return errSilent // the error is in the JSON answer; exit non-zero
			}
			return nil
		},
	}
}
