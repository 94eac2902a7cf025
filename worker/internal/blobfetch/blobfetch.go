// Package blobfetch reads a content-addressed blob named by a URI from the
// chain (a training update or checkpoint, a model's weights): http(s),
// ipfs://<cid> through a configured gateway, or file:// when allowed, with a
// size cap. The caller checks the bytes against the digest on chain.
package blobfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Errors a fetch can match with errors.Is.
var (
	ErrNotFound = errors.New("blob not found")
	ErrTooLarge = errors.New("blob too large")
)

// Source says how a blob was read.
type Source string

// Sources.
const (
	FromHTTP Source = "http" // http, https, or ipfs through the gateway
	FromFile Source = "file"
)

// Options of a fetch.
type Options struct {
	// Client makes the HTTP requests (required for http, https and ipfs).
	Client *http.Client
	// MaxBytes caps the blob (required, > 0).
	MaxBytes int64
	// AllowFile accepts file:// URIs (tests, shared disks). URIs come from
	// the chain: a worker must not read its own files (or block on a FIFO)
	// because someone published such a URI.
	AllowFile bool
	// IPFSGateway, when set (e.g. http://127.0.0.1:8080), resolves
	// ipfs://<cid>[/path] as GET <gateway>/ipfs/<cid>[/path].
	IPFSGateway string
}

// Get reads the blob at uri.
func Get(ctx context.Context, uri string, o Options) ([]byte, Source, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, "", err
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, "", errors.New("no host")
		}
		data, err := getHTTP(ctx, o, u.String())
		return data, FromHTTP, err
	case "ipfs":
		gw, err := IPFSGatewayURL(o.IPFSGateway, u)
		if err != nil {
			return nil, "", err
		}
		data, err := getHTTP(ctx, o, gw)
		return data, FromHTTP, err
	case "file":
		if !o.AllowFile {
			return nil, "", errors.New("file URIs are not allowed")
		}
		data, err := getFile(u.Path, o.MaxBytes)
		return data, FromFile, err
	}
	return nil, "", fmt.Errorf("scheme %q is not http, https, ipfs or file", u.Scheme)
}

// IPFSGatewayURL maps ipfs://<cid>[/path] to <gateway>/ipfs/<cid>[/path]. It
// fails when no gateway is configured (--ipfs-gateway).
func IPFSGatewayURL(gateway string, u *url.URL) (string, error) {
	if gateway == "" {
		return "", errors.New("ipfs URIs need --ipfs-gateway")
	}
	if u.Host == "" {
		return "", errors.New("ipfs URI without a CID")
	}
	return strings.TrimRight(gateway, "/") + "/ipfs/" + u.Host + u.EscapedPath(), nil
}

func getHTTP(ctx context.Context, o Options, uri string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	res, err := o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: HTTP %s", ErrNotFound, res.Status)
	case res.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP %s", res.Status)
	case res.ContentLength > o.MaxBytes:
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrTooLarge, res.ContentLength, o.MaxBytes)
	}
	return ReadCapped(res.Body, o.MaxBytes)
}

func getFile(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return ReadCapped(fh, limit)
}

// ReadCapped reads r to its end, failing with ErrTooLarge past limit bytes.
func ReadCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: exceeds %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}
