package embedded

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"sync"
)

// WeightsDigest is the SHA-256 of mesh-embedded-v1.bin, hex: the model's
// weights_digest in x/inference's registry. `go run
// ./worker/backends/embedded/gen` prints it.
const WeightsDigest = "3b7c1609436c21554e536fe8de03642487aa3f953c8706f63989f8678e931a4f"

//go:embed mesh-embedded-v1.bin
var weightsFile []byte

// WeightsFile returns a copy of the embedded weights file.
func WeightsFile() []byte { return bytes.Clone(weightsFile) }

var (
	loadOnce sync.Once
	loaded   *Weights
	loadErr  error
)

// Load returns the embedded weights after checking them against
// WeightsDigest. The result is shared and must not be modified.
func Load() (*Weights, error) {
	loadOnce.Do(func() { loaded, loadErr = parseVerified(weightsFile, WeightsDigest) })
	return loaded, loadErr
}

func parseVerified(file []byte, digest string) (*Weights, error) {
	sum := sha256.Sum256(file)
	if got := hex.EncodeToString(sum[:]); got != digest {
		return nil, fmt.Errorf("embedded: weights digest %s, want %s", got, digest)
	}
	return ParseWeights(file)
}
