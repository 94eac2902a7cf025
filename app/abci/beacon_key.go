package abci

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BeaconKey is the secret a validator's beacon secrets derive from:
// secret(h) = HMAC-SHA256(key, "mesh/beacon-secret/v1" ‖ LP(chain-id) ‖ be64(h)).
// Derivation (not storage) of the per-height secrets is what lets a
// restarted node reveal the secret it committed before the restart.
type BeaconKey struct{ key [32]byte }

type beaconKeyFile struct {
	Key string `json:"key"`
}

// LoadOrCreateBeaconKey reads the key at path, creating it (mode 0600)
// with fresh randomness if the file does not exist.
func LoadOrCreateBeaconKey(path string) (*BeaconKey, error) {
	bz, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var k BeaconKey
		if _, err := rand.Read(k.key[:]); err != nil {
			return nil, err
		}
		out, _ := json.Marshal(beaconKeyFile{Key: hex.EncodeToString(k.key[:])})
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o600); err != nil {
			return nil, err
		}
		return &k, nil
	}
	if err != nil {
		return nil, err
	}
	var f beaconKeyFile
	if err := json.Unmarshal(bz, &f); err != nil {
		return nil, fmt.Errorf("beacon key %s: %w", path, err)
	}
	raw, err := hex.DecodeString(f.Key)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("beacon key %s: want 32 hex-encoded bytes", path)
	}
	var k BeaconKey
	copy(k.key[:], raw)
	return &k, nil
}

// NewBeaconKey returns a key from raw bytes (tests).
func NewBeaconKey(raw [32]byte) *BeaconKey { return &BeaconKey{key: raw} }

// Secret returns the validator's beacon secret of height h.
func (k *BeaconKey) Secret(chainID string, h int64) []byte {
	mac := hmac.New(sha256.New, k.key[:])
	mac.Write([]byte("mesh/beacon-secret/v1"))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(chainID)))
	mac.Write(n[:])
	mac.Write([]byte(chainID))
	mac.Write(binary.BigEndian.AppendUint64(nil, uint64(h)))
	return mac.Sum(nil)
}
