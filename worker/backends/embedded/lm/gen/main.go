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
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"

	"github.com/llmesh/mesh/worker/backends/embedded/lm"
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
	sum := sha256.Sum256(bz)
	fmt.Printf("weights: %d bytes, sha256 %s\n", len(bz), hex.EncodeToString(sum[:]))
	if check {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, bz) {
			return fmt.Errorf("%s differs from the built weights", path)
		}
		fmt.Println(path, "is up to date")
		return nil
	}
	if err := os.WriteFile(path, bz, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}
