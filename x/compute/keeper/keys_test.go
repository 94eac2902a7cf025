package keeper_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// The store layout is consensus state: changing a prefix or a key encoding
// breaks existing chains. This test pins it.
func TestKeyLayoutPinned(t *testing.T) {
	require.Equal(t, []byte{0}, types.ParamsKey.Bytes())
	require.Equal(t, []byte{1}, types.WorkersKey.Bytes())
	require.Equal(t, []byte{2}, types.WorkersByProviderKey.Bytes())
	require.Equal(t, []byte{3}, types.AuthorizationsKey.Bytes())
	require.Equal(t, []byte{4}, types.ProviderUnitsKey.Bytes())
	require.Equal(t, []byte{5}, types.EpochKey.Bytes())
	require.Equal(t, []byte{6}, types.SettlingKey.Bytes())
	require.Equal(t, []byte{7}, types.CommitmentsKey.Bytes())
	require.Equal(t, []byte{8}, types.TombstonesKey.Bytes())
	require.Equal(t, []byte{11}, types.ChallengedKey.Bytes())
	require.Equal(t, []byte{12}, types.WorkersByModelKey.Bytes())

	f := newFixture(t, smallParams)
	f.block(true, nil)
	prov, w, w2 := addr("prov", 1), addr("work", 1), addr("work", 2)
	f.register(prov, w, 1)
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(prov), Worker: f.bech(w2)})
	require.NoError(t, err)
	f.nextEpoch()
	f.block(false, func() { require.NoError(t, (&prover{addr: w}).commit(f)) })
	f.block(true, nil) // epoch 2 → settling

	lp := func(a []byte) []byte { return append([]byte{byte(len(a))}, a...) }
	cat := func(parts ...[]byte) string { return hex.EncodeToString(bytes.Join(parts, nil)) }
	epoch2 := []byte{0x80, 0, 0, 0, 0, 0, 0, 2} // Int64Key: big-endian, sign bit flipped
	want := []string{
		cat([]byte{0}),                       // params
		cat([]byte{1}, w),                    // worker
		cat([]byte{2}, lp(prov), w),          // provider index
		cat([]byte{3}, lp(prov), w2),         // authorization
		cat([]byte{4}, prov),                 // provider units
		cat([]byte{5}),                       // current epoch
		cat([]byte{6}, epoch2),               // settling epoch 2
		cat([]byte{7}, epoch2, w),            // commitment (epoch 2, worker)
		cat([]byte{12}, []byte("m1\x00"), w), // model index (StringKey: bytes, 0x00)
		cat([]byte{12}, []byte("m2\x00"), w),
	}
	var got []string
	it := f.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()).KVStore(f.key).Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		got = append(got, hex.EncodeToString(it.Key()))
	}
	require.Equal(t, want, got)
}
