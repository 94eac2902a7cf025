package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
)

// loadBlob reads a digest's blob from the cache directory, or fetches it
// from uri, verifies and decodes it, and caches it on disk once it passed
// both checks.
func (b *Backend) loadBlob(ctx context.Context, digest, uri string) (*Weights, error) {
	want, _ := hex.DecodeString(digest)
	path := filepath.Join(b.opts.CacheDir, digest)
	if f, err := os.Open(path); err == nil {
		blob, err := readAtMost(f, b.opts.MaxBlobBytes)
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

// fetch reads at most MaxBlobBytes from an http(s) URI (or a file:// one
// when allowed).
func (b *Backend) fetch(ctx context.Context, uri string) ([]byte, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, err
	}
	limit := b.opts.MaxBlobBytes
	switch u.Scheme {
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, err
		}
		resp, err := b.opts.HTTPClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("HTTP %s", resp.Status)
		}
		if resp.ContentLength > limit {
			return nil, fmt.Errorf("blob of %d bytes exceeds %d", resp.ContentLength, limit)
		}
		return readAtMost(resp.Body, limit)
	case "ipfs":
		if b.opts.IPFSGateway == "" || u.Host == "" {
			return nil, errors.New("ipfs URIs need an IPFS gateway (--ipfs-gateway) and a CID")
		}
		return b.fetch(ctx, strings.TrimRight(b.opts.IPFSGateway, "/")+"/ipfs/"+u.Host+u.EscapedPath())
	case "file":
		if !b.opts.AllowFileURIs {
			return nil, errors.New("file URIs are not allowed")
		}
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readAtMost(f, limit)
	}
	return nil, fmt.Errorf("unsupported URI scheme %q (http, https, ipfs)", u.Scheme)
}

func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("blob exceeds %d bytes", limit)
	}
	return b, nil
}

// writeCache stores a verified blob under its digest in the cache dir
// (created if needed), atomically so a crash never leaves a partial blob.
func writeCache(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.WriteBytes(dir, name, 0o600, data)
}
