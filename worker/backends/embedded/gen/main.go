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
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"

	"github.com/llmesh/mesh/worker/backends/embedded/train"
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
	sum := sha256.Sum256(bz)
	fmt.Printf("trained: %s\nweights: %d bytes, sha256 %s\n", st, len(bz), hex.EncodeToString(sum[:]))
	if check {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, bz) {
			return fmt.Errorf("%s differs from the trained weights", path)
		}
		fmt.Println(path, "is up to date")
		return nil
	}
	if err := os.WriteFile(path, bz, 0o644); err != nil {
		return fmt.Errorf("%w (run from the repository root or pass -o)", err)
	}
	fmt.Println("wrote", path)
	return nil
}
