package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/training/types"
)

func TestRegisterDataset(t *testing.T) {
	f := newDataFixture(t)
	alice := dfAddr("alice")

	// An upper-case bech32 address is the same account: state keeps the canonical form.
	res, err := f.msg.RegisterDataset(f.ctx, &types.MsgRegisterDataset{
		Owner: strings.ToUpper(f.bech(alice)), Name: "Sentiment of reviews", Schema: "{\n  \"label\": \"pos|neg\"\n}",
		License: "Apache-2.0 OR MIT", Labels: []string{"pos", "neg"},
	})
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.DatasetId)
	require.Equal(t, types.Dataset{
		Id: 1, Owner: f.bech(alice), Name: "Sentiment of reviews", Schema: "{\n  \"label\": \"pos|neg\"\n}",
		License: "Apache-2.0 OR MIT", Labels: []string{"pos", "neg"},
	}, f.dataset(1))
	require.Equal(t, []types.EventDatasetRegistered{{DatasetId: 1, Owner: f.bech(alice), Name: "Sentiment of reviews"}},
		dfEvents[types.EventDatasetRegistered](f))

	// Without labels any label is allowed; ids follow the sequence.
	require.Equal(t, uint64(2), f.register(alice))
	require.Empty(t, f.dataset(2).Labels)
}

func TestRegisterDatasetRejected(t *testing.T) {
	f := newDataFixture(t)
	owner := f.bech(dfAddr("alice"))
	valid := func() *types.MsgRegisterDataset {
		return &types.MsgRegisterDataset{Owner: owner, Name: "ds", Schema: "s", License: "MIT", Labels: []string{"a", "b"}}
	}
	labels := make([]string, types.MaxDatasetLabels+1)
	for i := range labels {
		labels[i] = "l" + strings.Repeat("x", i)
	}
	for name, tc := range map[string]struct {
		edit func(*types.MsgRegisterDataset)
		want error
	}{
		"bad owner":        {func(m *types.MsgRegisterDataset) { m.Owner = "cosmos1bad" }, types.ErrInvalidAddress},
		"empty owner":      {func(m *types.MsgRegisterDataset) { m.Owner = "" }, types.ErrInvalidAddress},
		"empty name":       {func(m *types.MsgRegisterDataset) { m.Name = "" }, types.ErrInvalidDataset},
		"long name":        {func(m *types.MsgRegisterDataset) { m.Name = strings.Repeat("n", 65) }, types.ErrInvalidDataset},
		"name with tab":    {func(m *types.MsgRegisterDataset) { m.Name = "a\tb" }, types.ErrInvalidDataset},
		"long schema":      {func(m *types.MsgRegisterDataset) { m.Schema = strings.Repeat("s", 1025) }, types.ErrInvalidDataset},
		"bad utf-8 schema": {func(m *types.MsgRegisterDataset) { m.Schema = "\xff" }, types.ErrInvalidDataset},
		"long license":     {func(m *types.MsgRegisterDataset) { m.License = strings.Repeat("l", 129) }, types.ErrInvalidDataset},
		"license newline":  {func(m *types.MsgRegisterDataset) { m.License = "MIT\n" }, types.ErrInvalidDataset},
		"65 labels":        {func(m *types.MsgRegisterDataset) { m.Labels = labels }, types.ErrInvalidDataset},
		"duplicate label":  {func(m *types.MsgRegisterDataset) { m.Labels = []string{"b", "a", "b"} }, types.ErrInvalidDataset},
		"empty label":      {func(m *types.MsgRegisterDataset) { m.Labels = []string{"a", ""} }, types.ErrInvalidDataset},
		"label with space": {func(m *types.MsgRegisterDataset) { m.Labels = []string{"a b"} }, types.ErrInvalidDataset},
		"long label":       {func(m *types.MsgRegisterDataset) { m.Labels = []string{strings.Repeat("x", 65)} }, types.ErrInvalidDataset},
	} {
		msg := valid()
		tc.edit(msg)
		f.requireRejected(tc.want, validated(msg, func() error { _, err := f.msg.RegisterDataset(f.ctx, msg); return err }), name)
		f.requireRejected(tc.want, validated(msg, func() error { _, err := f.k.RegisterDataset(f.ctx, msg); return err }), name+" (keeper)")
	}
	// The bounds themselves are accepted.
	msg := valid()
	msg.Name, msg.Schema, msg.License = strings.Repeat("n", 64), strings.Repeat("s", 1024), strings.Repeat("l", 128)
	msg.Labels = labels[:types.MaxDatasetLabels]
	_, err := f.msg.RegisterDataset(f.ctx, msg)
	require.NoError(t, err)
}

func TestContributeItem(t *testing.T) {
	f := newDataFixture(t)
	alice, bob := dfAddr("alice"), dfAddr("bob")
	ds := f.register(alice, "cat", "dog")
	other := f.register(alice)

	// Inline: the chain computes the digest.
	data := []byte("a picture of a cat")
	sum := sha256.Sum256(data)
	res, err := f.msg.ContributeItem(f.ctx, &types.MsgContributeItem{Contributor: f.bech(bob), DatasetId: ds, Data: data})
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.ItemId)
	require.Equal(t, types.Item{
		Id: 1, DatasetId: ds, Contributor: f.bech(bob), Digest: sum[:], Data: data, Status: types.ITEM_STATUS_OPEN,
	}, f.item(1))

	// Inline with its digest given too.
	data2 := []byte("a picture of a dog")
	sum2 := sha256.Sum256(data2)
	res, err = f.msg.ContributeItem(f.ctx, &types.MsgContributeItem{Contributor: f.bech(bob), DatasetId: ds, Data: data2, Digest: sum2[:]})
	require.NoError(t, err)
	require.Equal(t, uint64(2), res.ItemId)

	// By URI: the digest as given.
	digest := bytes.Repeat([]byte{7}, 32)
	res, err = f.msg.ContributeItem(f.ctx, &types.MsgContributeItem{
		Contributor: f.bech(alice), DatasetId: ds, Digest: digest, Uri: "ipfs://bafy/3.png",
	})
	require.NoError(t, err)
	require.Equal(t, uint64(3), res.ItemId)
	require.Equal(t, types.Item{
		Id: 3, DatasetId: ds, Contributor: f.bech(alice), Digest: digest, Uri: "ipfs://bafy/3.png", Status: types.ITEM_STATUS_OPEN,
	}, f.item(3))

	// The same bytes in another dataset are another item.
	require.Equal(t, uint64(4), f.contribute(bob, other, "a picture of a cat"))

	require.Equal(t, uint64(3), f.dataset(ds).Items)
	require.Equal(t, uint64(1), f.dataset(other).Items)
	for _, key := range []collections.Pair[uint64, uint64]{collections.Join(ds, uint64(1)), collections.Join(ds, uint64(2)),
		collections.Join(ds, uint64(3)), collections.Join(other, uint64(4))} {
		has, err := f.k.ItemsByDataset.Has(f.ctx, key)
		require.NoError(t, err)
		require.True(t, has, "%v", key)
	}
	id, err := f.k.ItemsByDigest.Get(f.ctx, collections.Join(ds, digest))
	require.NoError(t, err)
	require.Equal(t, uint64(3), id)
	id, err = f.k.ItemsByDigest.Get(f.ctx, collections.Join(other, sum[:]))
	require.NoError(t, err)
	require.Equal(t, uint64(4), id)

	events := dfEvents[types.EventItemContributed](f)
	require.Len(t, events, 4)
	require.Equal(t, types.EventItemContributed{ItemId: 1, DatasetId: ds, Contributor: f.bech(bob), Digest: hex.EncodeToString(sum[:])}, events[0])
	require.Equal(t, types.EventItemContributed{ItemId: 3, DatasetId: ds, Contributor: f.bech(alice), Digest: hex.EncodeToString(digest)}, events[2])
}

func TestContributeItemRejected(t *testing.T) {
	f := newDataFixture(t, func(p *types.Params) { p.MaxInlineItemBytes = 100 })
	bob := f.bech(dfAddr("bob"))
	ds := f.register(dfAddr("alice"))
	inline := []byte("first item")
	sum := sha256.Sum256(inline)
	uriDigest := bytes.Repeat([]byte{9}, 32)
	f.contribute(dfAddr("bob"), ds, string(inline))
	_, err := f.msg.ContributeItem(f.ctx, &types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: uriDigest, Uri: "https://x/9"})
	require.NoError(t, err)
	f.next()

	for name, tc := range map[string]struct {
		msg  types.MsgContributeItem
		want error
	}{
		"bad contributor":  {types.MsgContributeItem{Contributor: "nope", DatasetId: ds, Data: []byte("x")}, types.ErrInvalidAddress},
		"dataset 0":        {types.MsgContributeItem{Contributor: bob, DatasetId: 0, Data: []byte("x")}, types.ErrInvalidItem},
		"unknown dataset":  {types.MsgContributeItem{Contributor: bob, DatasetId: 99, Data: []byte("x")}, types.ErrDatasetNotFound},
		"inline too big":   {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Data: bytes.Repeat([]byte{1}, 101)}, types.ErrInvalidItem},
		"above the bound":  {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Data: make([]byte, types.MaxInlineBound+1)}, types.ErrInvalidItem},
		"digest mismatch":  {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Data: []byte("x"), Digest: uriDigest}, types.ErrInvalidItem},
		"nothing":          {types.MsgContributeItem{Contributor: bob, DatasetId: ds}, types.ErrInvalidItem},
		"short digest":     {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: uriDigest[:31], Uri: "https://x"}, types.ErrInvalidItem},
		"digest, no uri":   {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: bytes.Repeat([]byte{3}, 32)}, types.ErrInvalidItem},
		"uri with space":   {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: bytes.Repeat([]byte{3}, 32), Uri: "https://x y"}, types.ErrInvalidItem},
		"long uri":         {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: bytes.Repeat([]byte{3}, 32), Uri: strings.Repeat("u", 513)}, types.ErrInvalidItem},
		"inline with uri":  {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Data: []byte("y"), Uri: "https://x"}, types.ErrInvalidItem},
		"duplicate inline": {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Data: inline}, types.ErrDuplicateItem},
		"inline, as uri":   {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: sum[:], Uri: "https://elsewhere"}, types.ErrDuplicateItem},
		"uri, as uri":      {types.MsgContributeItem{Contributor: bob, DatasetId: ds, Digest: uriDigest, Uri: "https://other"}, types.ErrDuplicateItem},
	} {
		msg := tc.msg
		f.requireRejected(tc.want, validated(&msg, func() error { _, err := f.msg.ContributeItem(f.ctx, &msg); return err }), name)
		f.requireRejected(tc.want, validated(&msg, func() error { _, err := f.k.ContributeItem(f.ctx, &msg); return err }), name+" (keeper)")
	}
	// max_inline_item_bytes itself is accepted.
	f.contribute(dfAddr("bob"), ds, strings.Repeat("z", 100))
	require.Equal(t, uint64(3), f.dataset(ds).Items)
}
