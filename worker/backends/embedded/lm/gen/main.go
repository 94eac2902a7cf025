// Command gen builds mesh-lm-v1's weights file from its corpus. Run it
// from the repository root:
//
//	go run ./worker/backends/embedded/lm/gen          # rewrite the committed file
//	go run ./worker/backends/embedded/lm/gen -check   # verify it instead
//
// After a change to the corpus or to lm.Build, update lm.WeightsDigest
// with the SHA-256 it prints.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/llmesh/mesh/worker/backends/embedded/lm"
	"github.com/llmesh/mesh/worker/internal/weightsfile"
)

func main() {
	corpus := flag.String("corpus", "worker/backends/embedded/lm/corpus.txt", "corpus, one sequence per line")
	out := flag.String("o", "worker/backends/embedded/lm/mesh-lm-v1.bin", "weights file to write")
	check := flag.Bool("check", false, "compare with the file instead of writing it")
	flag.Parse()
	if err := run(*corpus, *out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(corpusPath, path string, check bool) error {
	corpus, err := os.ReadFile(corpusPath)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root or pass -corpus)", err)
	}
	bz, err := lm.Build(corpus).MarshalBinary()
	if err != nil {
		return err
	}
	return weightsfile.WriteOrCheck(path, bz, check, "built")
}
