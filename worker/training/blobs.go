package training

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
	"github.com/llmesh/mesh/worker/internal/blobfetch"
)

// BlobStore keeps blobs (updates and checkpoints) by content: the file
// <dir>/<hex SHA-256> holds the bytes whose SHA-256 is its name. A blob is
// written to a temporary file, fsynced and renamed, so a name never holds
// partial bytes; reads check the hash anyway (a damaged disk is a missing
// blob, not a wrong one).
type BlobStore struct {
	dir string
}

// OpenBlobs opens (creating) a blob store in dir and removes the temporary
// files a crash left.
func OpenBlobs(dir string) (*BlobStore, error) {
	if err := atomicfile.OpenDir(dir); err != nil {
		return nil, err
	}
	return &BlobStore{dir: dir}, nil
}

// Dir is the store's directory.
func (s *BlobStore) Dir() string { return s.dir }

// Put stores data (once) and returns its SHA-256.
func (s *BlobStore) Put(data []byte) ([32]byte, error) {
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	if _, ok, err := s.Get(sum[:]); err == nil && ok {
		return sum, nil
	}
	return sum, atomicfile.WriteBytes(s.dir, name, 0o644, data)
}

// Get returns the blob with SHA-256 digest. found is false when there is
// none; a file whose bytes do not hash to its name is removed and reported
// as not found.
func (s *BlobStore) Get(digest []byte) (data []byte, found bool, err error) {
	if len(digest) != sha256.Size {
		return nil, false, fmt.Errorf("blob digest of %d bytes", len(digest))
	}
	path := filepath.Join(s.dir, hex.EncodeToString(digest))
	data, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], digest) {
		_ = os.Remove(path)
		return nil, false, nil
	}
	return data, true, nil
}

// Has reports whether the blob is stored (without checking its bytes).
func (s *BlobStore) Has(digest []byte) bool {
	if len(digest) != sha256.Size {
		return false
	}
	st, err := os.Stat(filepath.Join(s.dir, hex.EncodeToString(digest)))
	return err == nil && st.Mode().IsRegular()
}

// BlobsPath is the URL path under which blobs are served: BlobsPath + hex.
const BlobsPath = "/blobs/"

// BlobURI is where base serves the blob with digest.
func BlobURI(base string, digest []byte) string {
	return strings.TrimRight(base, "/") + BlobsPath + hex.EncodeToString(digest)
}

// Handler serves GET (and HEAD) /blobs/<hex SHA-256>: the exact bytes, or
// 404 when the store has no such blob (or the name is not a lower-case
// hex SHA-256).
func (s *BlobStore) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, BlobsPath)
		if !ok || !isDigestName(name) {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(s.dir, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		// Content-addressed: the bytes under a name never change.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, "", time.Time{}, f)
	})
}

func isDigestName(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Fetch errors, matched with errors.Is.
var (
	ErrDigestMismatch = errors.New("blob digest mismatch")
	ErrBlobTooLarge   = blobfetch.ErrTooLarge
	ErrBlobNotFound   = blobfetch.ErrNotFound
)

// Fetcher gets blobs by URI and keeps them in a BlobStore. Only the URI's
// own host is contacted (no other network), nothing is accepted whose
// SHA-256 is not the expected digest, and nothing larger than MaxBytes is
// read.
type Fetcher struct {
	Store *BlobStore
	// Client makes the HTTP requests; a client with Timeout and at most 3
	// redirects when nil.
	Client *http.Client
	// Timeout bounds one HTTP fetch when Client is nil; 30s when 0.
	Timeout time.Duration
	// MaxBytes caps a blob; DefaultMaxBlobBytes when 0.
	MaxBytes int64
	// AllowFile accepts file:// URIs (tests, shared disks). Off by default:
	// URIs come from the chain, and a worker must not read its own files
	// (or block on a FIFO) because someone revealed such a URI.
	AllowFile bool
	// IPFSGateway, when set (e.g. http://127.0.0.1:8080), resolves
	// ipfs://<cid>[/path] URIs as GET <gateway>/ipfs/<cid>[/path]; the blob
	// is checked against the digest on chain like any other.
	IPFSGateway string
}

// DefaultMaxBlobBytes caps a fetched blob: a mesh-embedded-v1 checkpoint is
// 262,700 bytes, and 16 MiB leaves room for a 16× larger model.
const DefaultMaxBlobBytes = 16 << 20

// FetchSource says where Fetch found a blob.
type FetchSource string

// Fetch sources.
const (
	FromCache FetchSource = "cache"
	FromHTTP  FetchSource = FetchSource(blobfetch.FromHTTP)
	FromFile  FetchSource = FetchSource(blobfetch.FromFile)
)

// Fetch returns the blob with SHA-256 digest: from the store when it has
// it, else from uri (http, https or, with AllowFile, file), checked and
// then stored.
func (f *Fetcher) Fetch(ctx context.Context, uri string, digest []byte) ([]byte, FetchSource, error) {
	if data, ok, err := f.Store.Get(digest); err != nil {
		return nil, "", err
	} else if ok {
		return data, FromCache, nil
	}
	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBlobBytes
	}
	data, source, err := blobfetch.Get(ctx, uri, blobfetch.Options{
		Client: f.client(), MaxBytes: limit, AllowFile: f.AllowFile, IPFSGateway: f.IPFSGateway,
	})
	src := FetchSource(source)
	if err != nil {
		return nil, "", fmt.Errorf("blob %s: %w", uri, err)
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], digest) {
		return nil, "", fmt.Errorf("blob %s: %w: got %x, want %x", uri, ErrDigestMismatch, sum, digest)
	}
	if _, err := f.Store.Put(data); err != nil {
		return nil, "", err
	}
	return data, src, nil
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Timeout: timeout, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		return nil
	}}
}
