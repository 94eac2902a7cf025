package openapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocumentMatchesProtos: mesh.openapi.json has exactly the GET routes of
// proto/mesh/*/v1/query.proto, so a new or renamed query that was not
// followed by `make openapi` fails here, not in a user's browser.
func TestDocumentMatchesProtos(t *testing.T) {
	var doc struct {
		Info  struct{ Version string }
		Paths map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(MeshJSON, &doc))
	require.Equal(t, "v1", doc.Info.Version)

	files, err := filepath.Glob("../../proto/mesh/*/v1/query.proto")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	route := regexp.MustCompile(`option \(google\.api\.http\)\.get = "([^"]+)"`)
	var want []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range route.FindAllSubmatch(b, -1) {
			want = append(want, string(m[1]))
		}
	}
	got := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		got = append(got, p)
	}
	sort.Strings(want)
	sort.Strings(got)
	require.Equal(t, want, got, "docs/openapi/mesh.openapi.json is stale: run `make openapi`")
}
