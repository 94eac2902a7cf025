package inference_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/inference"
	"github.com/llmesh/mesh/x/inference/types"
)

func TestModuleBasics(t *testing.T) {
	am := inference.AppModule{}
	enc := moduletestutil.MakeTestEncodingConfig(am)
	require.Equal(t, types.ModuleName, am.Name())

	def := am.DefaultGenesis(enc.Codec)
	require.NoError(t, am.ValidateGenesis(enc.Codec, nil, def))
	var gs map[string]any
	require.NoError(t, json.Unmarshal(def, &gs))
	require.Equal(t, "1", gs["next_job_id"])

	bad := []byte(`{"params":{"max_redundancy":0}}`)
	require.Error(t, am.ValidateGenesis(enc.Codec, nil, bad))

	opts := am.AutoCLIOptions()
	require.Equal(t, types.Query_serviceDesc.ServiceName, opts.Query.Service)
	require.Equal(t, types.Msg_serviceDesc.ServiceName, opts.Tx.Service)
	require.NotNil(t, am.GetTxCmd())
	require.Len(t, am.GetTxCmd().Commands(), 4, "request, commit, reveal, request-ibc")
}
