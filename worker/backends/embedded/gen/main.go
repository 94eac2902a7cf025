// Command gen trains mesh-embedded-v1 on the built-in data set and writes
// its weights file. Run it from the repository root:
//
//	go run ./worker/backends/embedded/gen            # rewrite the committed file
//	go run ./worker/backends/embedded/gen -check     # verify it instead
//
// Training is integer-only and seeded, so the output is the same file, byte
// for byte, on every machine. After a change to the data set or the
// training, update embedded.WeightsDigest with the SHA-256 it prints.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/llmesh/mesh/worker/backends/embedded/train"
	"github.com/llmesh/mesh/worker/internal/weightsfile"
)

func main() {
	out := flag.String("o", "worker/backends/embedded/mesh-embedded-v1.bin", "weights file to write")
	check := flag.Bool("check", false, "compare with the file instead of writing it")
	flag.Parse()
	if err := run(*out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(path string, check bool) error {
	w, st := train.Train(train.Default, train.Dataset())
	bz, err := w.MarshalBinary()
	if err != nil {
		return err
	}
	fmt.Printf("trained: %s\n", st)
	return weightsfile.WriteOrCheck(path, bz, check, "trained")
}
