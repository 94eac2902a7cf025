package keeper_test

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

// TestKeyLayout pins the store layout: changing a prefix or a key encoding
// breaks existing chains and needs a migration.
func TestKeyLayout(t *testing.T) {
	require.Equal(t, []byte{0}, types.ParamsKey.Bytes())
	require.Equal(t, []byte{1}, types.PoolsKey.Bytes())
	require.Equal(t, []byte{2}, types.DelegationsKey.Bytes())
	require.Equal(t, []byte{3}, types.DelegationsByDelegatorKey.Bytes())
	require.Equal(t, []byte{4}, types.UnbondingsKey.Bytes())
	require.Equal(t, []byte{5}, types.UnbondingQueueKey.Bytes())
	require.Equal(t, []byte{6}, types.UnbondingsByProviderKey.Bytes())
	require.Equal(t, []byte{7}, types.UnbondingsByDelegatorKey.Bytes())
	require.Equal(t, []byte{8}, types.NextUnbondingIDKey.Bytes())
	require.Equal(t, []byte{9}, types.EjectionsKey.Bytes())
	require.Equal(t, "pool", types.StoreKey)

	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 10)
	res := f.undelegate(alice, provider, 3) // id 1
	_, err := f.ms.EjectProvider(f.ctx, &types.MsgEjectProvider{Authority: f.authority, Provider: f.str(provider2),
		SlashFraction: math.LegacyZeroDec(), Reason: "test"})
	require.ErrorIs(t, err, types.ErrPoolNotFound)
	f.createPool(provider2, 100_000_000, "0")
	_, err = f.ms.EjectProvider(f.ctx, &types.MsgEjectProvider{Authority: f.authority, Provider: f.str(provider2),
		SlashFraction: math.LegacyZeroDec(), Reason: "test"})
	require.NoError(t, err)

	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	lp := func(a sdk.AccAddress) []byte { return append([]byte{byte(len(a))}, a...) }
	id := binary.BigEndian.AppendUint64(nil, res.UnbondingId)

	kv := f.ctx.KVStore(f.storeKey)
	for name, key := range map[string][]byte{
		"params":                    {0},
		"pool":                      cat([]byte{1}, provider),
		"delegation":                cat([]byte{2}, lp(provider), alice),
		"delegation by delegator":   cat([]byte{3}, lp(alice), provider),
		"unbonding":                 cat([]byte{4}, id),
		"unbonding queue":           cat([]byte{5}, sdk.FormatTimeBytes(res.CompletionTime), id),
		"unbonding by provider":     cat([]byte{6}, lp(provider), id),
		"unbonding by delegator":    cat([]byte{7}, lp(alice), lp(provider), id),
		"next unbonding id":         {8},
		"ejection":                  cat([]byte{9}, provider2),
		"provider's own delegation": cat([]byte{2}, lp(provider), provider),
	} {
		require.True(t, kv.Has(key), "%s: key %X missing", name, key)
	}
	require.Equal(t, binary.BigEndian.AppendUint64(nil, 2), kv.Get([]byte{8}))
}
