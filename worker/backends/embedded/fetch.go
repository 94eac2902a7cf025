package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
	"github.com/llmesh/mesh/worker/internal/blobfetch"
)

// loadBlob reads a digest's blob from the cache directory, or fetches it
// from uri, verifies and decodes it, and caches it on disk once it passed
// both checks.
func (b *Backend) loadBlob(ctx context.Context, digest, uri string) (*Weights, error) {
	want, _ := hex.DecodeString(digest)
	path := filepath.Join(b.opts.CacheDir, digest)
	if f, err := os.Open(path); err == nil {
		blob, err := blobfetch.ReadCapped(f, b.opts.MaxBlobBytes)
		_ = f.Close()
		if sum := sha256.Sum256(blob); err == nil && bytes.Equal(sum[:], want) {
			if w, err := ParseBlob(blob); err == nil {
				return w, nil
			}
		}
		// Damaged, or written by something else: fetch it again.
		b.opts.Logger.Warn("discarding a cached weights blob that does not verify", "path", path)
		_ = os.Remove(path)
	}
	if uri == "" {
		return nil, fmt.Errorf("weights %s are not cached and the model has no weights_uri", digest)
	}
	blob, err := b.fetch(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", uri, err)
	}
	if sum := sha256.Sum256(blob); !bytes.Equal(sum[:], want) {
		return nil, fmt.Errorf("%s has SHA-256 %x, not the weights digest %s", uri, sum, digest)
	}
	w, err := ParseBlob(blob)
	if err != nil {
		return nil, fmt.Errorf("weights %s: %w", digest, err)
	}
	// The cache only saves a download: a worker that cannot write it still serves.
	if err := writeCache(b.opts.CacheDir, digest, blob); err != nil {
		b.opts.Logger.Warn("cannot cache a weights blob", "dir", b.opts.CacheDir, "err", err)
	}
	return w, nil
}

// fetch reads at most MaxBlobBytes from the weights URI (http, https, ipfs
// through the gateway, or file:// when allowed).
func (b *Backend) fetch(ctx context.Context, uri string) ([]byte, error) {
	data, _, err := blobfetch.Get(ctx, uri, blobfetch.Options{
		Client: b.opts.HTTPClient, MaxBytes: b.opts.MaxBlobBytes, AllowFile: b.opts.AllowFileURIs, IPFSGateway: b.opts.IPFSGateway,
	})
	return data, err
}

// writeCache stores a verified blob under its digest in the cache dir
// (created if needed), atomically so a crash never leaves a partial blob.
func writeCache(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.WriteBytes(dir, name, 0o600, data)
}
