package embedded

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/llmesh/mesh/worker/backends"
)

// Defaults for Options.
const (
	// DefaultMaxBlobBytes caps a fetched blob: 64 MiB, some 250 times the
	// mesh-embedded-v1 shape's checkpoint (263 KiB).
	DefaultMaxBlobBytes = 64 << 20
	// DefaultMaxModels is how many fetched models stay decoded in memory.
	DefaultMaxModels = 8
)

// Options configure how a Backend serves models other than ModelID.
type Options struct {
	// CacheDir keeps fetched blobs, one file per digest named by its hex
	// (CacheDirIn(home) for a worker home); DefaultCacheDir() when empty.
	CacheDir string
	// MaxBlobBytes caps a blob, fetched or cached; DefaultMaxBlobBytes when 0.
	MaxBlobBytes int64
	// MaxModels caps the decoded models kept in memory, the least recently
	// used dropped first; DefaultMaxModels when 0.
	MaxModels int
	// HTTPClient fetches http and https URIs; http.DefaultClient when nil
	// (the caller's context bounds each fetch).
	HTTPClient *http.Client
	// AllowFileURIs accepts file:// weights URIs (tests, blobs copied in by
	// hand). Off by default: the URI comes from the chain.
	AllowFileURIs bool
	// IPFSGateway, when set (e.g. http://127.0.0.1:8080), resolves
	// ipfs://<cid>[/path] weights URIs through <gateway>/ipfs/<cid>[/path];
	// the blob is verified against weights_digest like any other.
	IPFSGateway string
	// Logger reports what does not fail a load (a cache write); slog.Default() when nil.
	Logger *slog.Logger
}

// CacheDirIn is the blob cache inside a worker home: <home>/data/models.
func CacheDirIn(home string) string { return filepath.Join(home, "data", "models") }

// DefaultCacheDir is the blob cache of a backend not given one:
// <os.UserCacheDir()>/meshd-worker/models, or <os.TempDir()>/meshd-worker-models
// where the user has no cache directory.
func DefaultCacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "meshd-worker", "models")
	}
	return filepath.Join(os.TempDir(), "meshd-worker-models")
}

// Backend serves runtime int8-embedded: ModelID from the embedded weights,
// and any other model from its weights blob (LoadModel), all with the same
// integer forward pass.
type Backend struct {
	w    *Weights
	opts Options

	mu sync.Mutex
	// cache holds decoded models by digest; lru lists its digests, least
	// recently used first.
	cache map[string]*Weights
	lru   []string
	// loading holds the loads in progress by digest, so concurrent jobs
	// on one model fetch it once.
	loading map[string]*load
	// byID maps the ids of loaded models to their digests, for Infer.
	byID map[string]string
}

// load is one fetch-verify-decode; done closes when w or err is set.
type load struct {
	done chan struct{}
	w    *Weights
	err  error
}

var (
	_ backends.Inference   = (*Backend)(nil)
	_ backends.ModelLoader = (*Backend)(nil)
)

// New loads and verifies the embedded weights; other models are cached in
// DefaultCacheDir().
func New() (*Backend, error) { return NewWithOptions(Options{}) }

// NewWithOptions is New with o.
func NewWithOptions(o Options) (*Backend, error) {
	w, err := Load()
	if err != nil {
		return nil, err
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.MaxBlobBytes <= 0 {
		o.MaxBlobBytes = DefaultMaxBlobBytes
	}
	if o.MaxModels <= 0 {
		o.MaxModels = DefaultMaxModels
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Backend{w: w, opts: o, cache: map[string]*Weights{}, loading: map[string]*load{}, byID: map[string]string{}}, nil
}

// CacheDir is where fetched blobs are kept.
func (b *Backend) CacheDir() string { return b.opts.CacheDir }

// Name implements backends.Inference.
func (*Backend) Name() string { return "embedded" }

// Infer implements backends.Inference: the classification of input as
// Result.OutputFor formats it, for ModelID or a model LoadModel loaded (and
// still in memory). It takes microseconds and ignores ctx.
func (b *Backend) Infer(_ context.Context, model string, input []byte) ([]byte, error) {
	w := b.w
	if model != ModelID {
		b.mu.Lock()
		if d := b.byID[model]; d != WeightsDigest {
			w = b.cache[d]
		}
		b.mu.Unlock()
		if w == nil {
			return nil, fmt.Errorf("embedded backend serves %s and the models it loaded, not %q", ModelID, model)
		}
	}
	return w.Classify(input).OutputFor(model), nil
}

// LoadModel implements backends.ModelLoader. ModelID, and any model whose
// digest is WeightsDigest, is served from the embedded weights (ModelID
// with another digest is refused: this worker would disagree with the
// registry). Any other model is read from the cache directory or fetched
// from m.WeightsURI (http, https; file when allowed), at most MaxBlobBytes,
// checked against m.WeightsDigest and decoded by ParseBlob; a blob that
// fails either check is neither kept nor remembered, so the next call
// fetches again.
func (b *Backend) LoadModel(ctx context.Context, m backends.ModelSpec) (backends.Inference, error) {
	digest := strings.ToLower(m.WeightsDigest)
	if m.ID == ModelID || digest == WeightsDigest {
		// Other weights would give other outputs, and a deterministic model's
		// dissenters are slashed: refuse rather than answer.
		if digest != "" && digest != WeightsDigest {
			return nil, fmt.Errorf("model %s has weights digest %s on chain, this worker embeds %s: upgrade meshd-worker",
				m.ID, m.WeightsDigest, WeightsDigest)
		}
		b.remember(m.ID, WeightsDigest)
		return model{id: m.ID, w: b.w}, nil
	}
	if sum, err := hex.DecodeString(digest); err != nil || len(sum) != 32 {
		return nil, fmt.Errorf("model %s: weights digest %q is not a hex SHA-256", m.ID, m.WeightsDigest)
	}
	w, err := b.weights(ctx, digest, m.WeightsURI)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.ID, err)
	}
	b.remember(m.ID, digest)
	return model{id: m.ID, w: w}, nil
}

func (b *Backend) remember(id, digest string) {
	b.mu.Lock()
	b.byID[id] = digest
	b.mu.Unlock()
}

// weights returns the decoded model of a digest: from memory, from the load
// another job started, or loaded now.
func (b *Backend) weights(ctx context.Context, digest, uri string) (*Weights, error) {
	if digest == WeightsDigest {
		return b.w, nil
	}
	b.mu.Lock()
	if w, ok := b.cache[digest]; ok {
		b.touch(digest)
		b.mu.Unlock()
		return w, nil
	}
	l, running := b.loading[digest]
	if !running {
		l = &load{done: make(chan struct{})}
		b.loading[digest] = l
	}
	b.mu.Unlock()
	if running {
		select {
		case <-l.done:
			return l.w, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l.w, l.err = b.loadBlob(ctx, digest, uri)
	b.mu.Lock()
	delete(b.loading, digest)
	if l.err == nil {
		b.cache[digest] = l.w
		b.touch(digest)
		for len(b.lru) > b.opts.MaxModels {
			delete(b.cache, b.lru[0])
			b.lru = b.lru[1:]
		}
	}
	b.mu.Unlock()
	close(l.done)
	return l.w, l.err
}

// touch moves digest to the most recently used end; b.mu is held.
func (b *Backend) touch(digest string) {
	for i, d := range b.lru {
		if d == digest {
			b.lru = append(b.lru[:i], b.lru[i+1:]...)
			break
		}
	}
	b.lru = append(b.lru, digest)
}

// model serves one model's weights under its id.
type model struct {
	id string
	w  *Weights
}

func (model) Name() string { return "embedded" }

func (m model) Infer(_ context.Context, id string, input []byte) ([]byte, error) {
	if id != m.id {
		return nil, fmt.Errorf("embedded backend loaded for %s, not %q", m.id, id)
	}
	return m.w.Classify(input).OutputFor(m.id), nil
}
