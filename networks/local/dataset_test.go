// Package local_test keeps networks/local/training-dataset.json — the
// localnet's x/training dataset, merged into genesis by genesis.jq — equal to
// what the built-in training set produces. Regenerate with
// MESH_UPDATE_DATASET=1 go test ./networks/local/.
package local_test

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	_ "github.com/llmesh/mesh/app" // bech32 prefix mesh
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

const file = "training-dataset.json"

func localnetDataset(t *testing.T) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte("mesh localnet dataset curator"))
	owner := sdk.AccAddress(sum[:20]).String()
	examples := train.Dataset()
	ds := trainingtypes.Dataset{
		Id: 1, Owner: owner, Name: "mesh-proposal-risk",
		Schema:  `{"text":"proposal text","label":"low|medium|high"}`,
		License: "CC0-1.0", Items: uint64(len(examples)), Labels: embedded.Labels[:],
	}
	gs := trainingtypes.GenesisState{
		Params: trainingtypes.DefaultParams(), NextDatasetId: 2, NextItemId: uint64(len(examples)) + 1, NextTaskId: 1,
		Datasets: []trainingtypes.Dataset{ds},
	}
	for i, ex := range examples {
		data, err := federated.ItemData(ex)
		require.NoError(t, err)
		d := sha256.Sum256(data)
		gs.Items = append(gs.Items, trainingtypes.Item{
			Id: uint64(i + 1), DatasetId: 1, Contributor: owner, Digest: d[:], Data: data, Status: trainingtypes.ITEM_STATUS_OPEN,
		})
	}
	require.NoError(t, gs.Validate())
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	bz, err := cdc.MarshalJSON(&gs)
	require.NoError(t, err)
	var full map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(bz, &full))
	out, err := json.MarshalIndent(map[string]json.RawMessage{
		"datasets": full["datasets"], "items": full["items"],
		"next_dataset_id": full["next_dataset_id"], "next_item_id": full["next_item_id"],
	}, "", " ")
	require.NoError(t, err)
	return append(out, '\n')
}

func TestLocalnetDatasetUpToDate(t *testing.T) {
	want := localnetDataset(t)
	if os.Getenv("MESH_UPDATE_DATASET") == "1" {
		require.NoError(t, os.WriteFile(file, want, 0o644))
	}
	got, err := os.ReadFile(file)
	require.NoError(t, err, "run MESH_UPDATE_DATASET=1 go test ./networks/local/")
	require.Equal(t, string(want), string(got), "run MESH_UPDATE_DATASET=1 go test ./networks/local/")
}
