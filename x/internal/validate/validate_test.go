package validate

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRules(t *testing.T) {
	require.True(t, Printable("a b", true))
	require.False(t, Printable("a b", false))
	require.False(t, Printable("a\tb", true))
	require.NoError(t, ModelID("mesh-embedded-v1"))
	require.Error(t, ModelID(""))
	require.Error(t, ModelID("has space"))
	require.Error(t, ModelID(string(make([]byte, MaxModelIDLength+1))))
	require.Equal(t, -1, FirstDuplicate([]string{"a", "b"}))
	require.Equal(t, 2, FirstDuplicate([]string{"a", "b", "b"}))
	require.Error(t, Address("notanaddress"))
}
