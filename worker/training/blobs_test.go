package training

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/internal/atomicfile"
)

func TestBlobStoreAndServer(t *testing.T) {
	s, err := OpenBlobs(t.TempDir())
	require.NoError(t, err)
	data := bytes.Repeat([]byte("checkpoint "), 1000)
	digest, err := s.Put(data)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(data), digest)
	name := hex.EncodeToString(digest[:])
	onDisk, err := os.ReadFile(filepath.Join(s.Dir(), name))
	require.NoError(t, err)
	require.Equal(t, data, onDisk, "stored under its hex SHA-256")
	_, err = s.Put(data) // again: a no-op
	require.NoError(t, err)
	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")

	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, []byte) {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, body
	}
	code, body := get("/blobs/" + name)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, data, body, "exact bytes")
	require.Equal(t, srv.URL+"/blobs/"+name, BlobURI(srv.URL+"/", digest[:]))

	other := sha256.Sum256([]byte("absent"))
	for _, path := range []string{"/blobs/" + hex.EncodeToString(other[:]), "/blobs/" + strings.ToUpper(name),
		"/blobs/../" + name, "/blobs/", "/blobs/xyz", "/healthz"} {
		code, _ := get(path)
		require.Equal(t, http.StatusNotFound, code, path)
	}
	res, err := http.Post(srv.URL+"/blobs/"+name, "text/plain", nil)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)

	// A damaged file is a missing blob (and is removed).
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), name), []byte("damaged"), 0o644))
	_, found, err := s.Get(digest[:])
	require.NoError(t, err)
	require.False(t, found)
	require.False(t, s.Has(digest[:]))
}

func TestFetch(t *testing.T) {
	ctx := context.Background()
	remote, err := OpenBlobs(t.TempDir())
	require.NoError(t, err)
	data := bytes.Repeat([]byte{1, 2, 3}, 5000)
	digest, err := remote.Put(data)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/blobs/", remote.Handler())
	// /wrong/<hex> serves other bytes under the name; /stream/ a body of
	// unknown length; /big/ declares it is too large.
	mux.HandleFunc("/wrong/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("not the blob")) })
	mux.HandleFunc("/stream/", func(w http.ResponseWriter, _ *http.Request) {
		for range 20 {
			_, _ = w.Write(make([]byte, 1024))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/boom/", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	newFetcher := func(mod func(*Fetcher)) *Fetcher {
		s, err := OpenBlobs(t.TempDir())
		require.NoError(t, err)
		f := &Fetcher{Store: s}
		if mod != nil {
			mod(f)
		}
		return f
	}

	f := newFetcher(nil)
	uri := BlobURI(srv.URL, digest[:])
	got, src, err := f.Fetch(ctx, uri, digest[:])
	require.NoError(t, err)
	require.Equal(t, FromHTTP, src)
	require.Equal(t, data, got)
	require.True(t, f.Store.Has(digest[:]), "cached")
	got, src, err = f.Fetch(ctx, "http://127.0.0.1:1/blobs/unreachable", digest[:])
	require.NoError(t, err)
	require.Equal(t, FromCache, src, "the cache answers first, whatever the URI")
	require.Equal(t, data, got)

	f = newFetcher(nil)
	_, _, err = f.Fetch(ctx, srv.URL+"/wrong/"+hex.EncodeToString(digest[:]), digest[:])
	require.ErrorIs(t, err, ErrDigestMismatch)
	require.False(t, f.Store.Has(digest[:]), "nothing kept")

	absent := sha256.Sum256([]byte("absent"))
	_, _, err = f.Fetch(ctx, BlobURI(srv.URL, absent[:]), absent[:])
	require.ErrorIs(t, err, ErrBlobNotFound)
	_, _, err = f.Fetch(ctx, srv.URL+"/boom/x", absent[:])
	require.ErrorContains(t, err, "500")

	small := newFetcher(func(f *Fetcher) { f.MaxBytes = 10_000 })
	_, _, err = small.Fetch(ctx, uri, digest[:])
	require.ErrorIs(t, err, ErrBlobTooLarge, "Content-Length over the cap")
	_, _, err = small.Fetch(ctx, srv.URL+"/stream/x", absent[:])
	require.ErrorIs(t, err, ErrBlobTooLarge, "a body of unknown length cut at the cap")
	exact := newFetcher(func(f *Fetcher) { f.MaxBytes = int64(len(data)) })
	_, _, err = exact.Fetch(ctx, uri, digest[:])
	require.NoError(t, err, "a blob of exactly the cap")

	// file:// only when allowed; other schemes never.
	path := filepath.Join(t.TempDir(), "blob")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, _, err = newFetcher(nil).Fetch(ctx, "file://"+path, digest[:])
	require.ErrorContains(t, err, "not allowed")
	got, src, err = newFetcher(func(f *Fetcher) { f.AllowFile = true }).Fetch(ctx, "file://"+path, digest[:])
	require.NoError(t, err)
	require.Equal(t, FromFile, src)
	require.Equal(t, data, got)
	_, _, err = newFetcher(func(f *Fetcher) { f.AllowFile = true }).Fetch(ctx, "file://"+t.TempDir(), digest[:])
	require.ErrorContains(t, err, "regular file")
	for _, bad := range []string{"ftp://127.0.0.1/x", "http:///nohost", "::"} {
		_, _, err = newFetcher(nil).Fetch(ctx, bad, digest[:])
		require.Error(t, err, bad)
	}
}

func TestRecords(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenRecords(dir)
	require.NoError(t, err)
	_, found, err := r.Update(1, 1)
	require.NoError(t, err)
	require.False(t, found)

	rec := UpdateRecord{TaskID: 1, Round: 2, Digest: []byte{1}, Salt: []byte{2}, Commitment: []byte{3}, Samples: 9, Loss: 8}
	require.NoError(t, r.SaveUpdate(rec))
	got, found, err := r.Update(1, 2)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, rec.Commitment, got.Commitment)
	require.False(t, got.CreatedAt.IsZero())
	require.NoError(t, r.SaveAggregate(AggregateRecord{TaskID: 1, Round: 3, Digest: []byte{4}}))
	require.NoError(t, r.SaveUpdate(UpdateRecord{TaskID: 1, Round: 3}))
	require.NoError(t, r.SaveJoin(JoinRecord{TaskID: 1, Tx: "AB"}))
	require.NoError(t, r.SaveJoin(JoinRecord{TaskID: 7}))
	tasks, err := r.Tasks()
	require.NoError(t, err)
	require.ElementsMatch(t, []uint64{1, 7}, tasks)

	// A record whose checksum fails is an error, not a record.
	path := filepath.Join(dir, "update-1-2.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, bytes.Replace(raw, []byte(`"samples": 9`), []byte(`"samples": 10`), 1), 0o600))
	_, found, err = r.Update(1, 2)
	require.ErrorIs(t, err, ErrCorrupt)
	require.False(t, found)
	// A record renamed to another round is refused.
	require.NoError(t, os.Rename(filepath.Join(dir, "update-1-3.json"), filepath.Join(dir, "update-1-4.json")))
	_, _, err = r.Update(1, 4)
	require.ErrorIs(t, err, ErrCorrupt)

	// Prune keeps the rounds from keepFrom and the join record; 0 removes all.
	require.NoError(t, r.Prune(1, 3))
	_, found, _ = r.Aggregate(1, 3)
	require.True(t, found)
	_, found, _ = r.Join(1)
	require.True(t, found)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, r.Prune(1, 0))
	tasks, err = r.Tasks()
	require.NoError(t, err)
	require.Equal(t, []uint64{7}, tasks)

	// A crash mid-write leaves a temporary file, removed at open.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "join-9.json"+atomicfile.TmpMarker+"123"), []byte("{"), 0o600))
	_, err = OpenRecords(dir)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "join-9.json"+atomicfile.TmpMarker+"123"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
