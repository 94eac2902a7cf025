package training

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// ipfs://<cid> URIs resolve through the configured gateway and are checked
// against the digest on chain like http ones; without a gateway they fail.
func TestFetchIPFSThroughGateway(t *testing.T) {
	blob := []byte("a training checkpoint")
	digest := sha256.Sum256(blob)
	var asked string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Path
		_, _ = w.Write(blob)
	}))
	defer gw.Close()

	store, err := OpenBlobs(t.TempDir())
	require.NoError(t, err)
	f := &Fetcher{Store: store, IPFSGateway: gw.URL + "/"}
	got, src, err := f.Fetch(context.Background(), "ipfs://bafybeigdyrzt/ckpt.bin", digest[:])
	require.NoError(t, err)
	require.Equal(t, blob, got)
	require.Equal(t, FromHTTP, src)
	require.Equal(t, "/ipfs/bafybeigdyrzt/ckpt.bin", asked)

	other := sha256.Sum256([]byte("something else"))
	_, _, err = f.Fetch(context.Background(), "ipfs://bafybeigdyrzt", other[:])
	require.ErrorIs(t, err, ErrDigestMismatch)

	store2, err := OpenBlobs(t.TempDir())
	require.NoError(t, err)
	_, _, err = (&Fetcher{Store: store2}).Fetch(context.Background(), "ipfs://bafybeigdyrzt", digest[:])
	require.ErrorContains(t, err, "--ipfs-gateway")
}
