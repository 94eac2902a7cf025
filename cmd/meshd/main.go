// Command meshd is the meshd node and CLI.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/llmesh/mesh/app"
	"github.com/llmesh/mesh/cmd/meshd/cmd"
)

func main() {
	rootCmd := cmd.NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "MESHD", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.OutOrStderr(), "Error:", err)
		os.Exit(1)
	}
}
