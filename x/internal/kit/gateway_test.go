package kit_test

import (
	"testing"

	golangproto "github.com/golang/protobuf/proto" //nolint:staticcheck // the registry grpc-gateway v1 reads
	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/internal/kit"
)

// TestRegisterGatewayEnum: a registered enum resolves by name in the
// registry the REST gateway reads; a second registration panics.
func TestRegisterGatewayEnum(t *testing.T) {
	values := map[string]int32{"KIT_TEST_UNSPECIFIED": 0, "KIT_TEST_ONE": 1}
	require.Nil(t, golangproto.EnumValueMap("mesh.kittest.v1.Status"))
	kit.RegisterGatewayEnum("mesh.kittest.v1.Status", values)
	require.Equal(t, values, golangproto.EnumValueMap("mesh.kittest.v1.Status"))
	require.Panics(t, func() { kit.RegisterGatewayEnum("mesh.kittest.v1.Status", values) })
}
