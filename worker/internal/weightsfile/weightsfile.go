// Package weightsfile is what the embedded models' generators share: print
// a weights file's size and digest, then write it or check the committed
// one against it.
package weightsfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
)

// WriteOrCheck prints bz's size and SHA-256, then writes it to path, or
// with check compares it with the file there; how says how bz was made
// ("trained", "built") for the mismatch error.
func WriteOrCheck(path string, bz []byte, check bool, how string) error {
	sum := sha256.Sum256(bz)
	fmt.Printf("weights: %d bytes, sha256 %s\n", len(bz), hex.EncodeToString(sum[:]))
	if check {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, bz) {
			return fmt.Errorf("%s differs from the %s weights", path, how)
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
