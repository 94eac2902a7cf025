package atomicfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// envelope is the file every checksummed JSON record is kept in: the record
// and the SHA-256 of its compact JSON.
type envelope struct {
	Record json.RawMessage `json:"record"`
	SHA256 []byte          `json:"sha256"`
}

// WriteRecord writes v to dir/name as JSON in an envelope with its SHA-256,
// indented for people, through Write (mode 0600).
func WriteRecord(dir, name string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	env, err := json.MarshalIndent(envelope{Record: body, SHA256: sum[:]}, "", "  ")
	if err != nil {
		return err
	}
	return WriteBytes(dir, name, 0o600, env)
}

// ReadRecord reads into v what WriteRecord wrote to dir/name; found is false
// when there is no such file. A file that fails its checks is an error that
// wraps corrupt and names the file what.
func ReadRecord(dir, name string, corrupt error, what string, v any) (found bool, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return false, fmt.Errorf("%w: %s: %v", corrupt, what, err)
	}
	// The file is indented for people; the checksum is over the compact body.
	var body bytes.Buffer
	if err := json.Compact(&body, env.Record); err != nil {
		return false, fmt.Errorf("%w: %s: %v", corrupt, what, err)
	}
	if sum := sha256.Sum256(body.Bytes()); !bytes.Equal(sum[:], env.SHA256) {
		return false, fmt.Errorf("%w: %s checksum", corrupt, what)
	}
	if err := json.Unmarshal(env.Record, v); err != nil {
		return false, fmt.Errorf("%w: %s body", corrupt, what)
	}
	return true, nil
}
