package keeper_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// knownModels is a fake x/inference model registry.
type knownModels map[string]bool

func (m knownModels) HasModel(_ context.Context, id string) (bool, error) { return m[id], nil }

// TestUnknownModelRefused: with x/inference's registry wired, registering or
// updating a worker with a model id it does not know is refused and changes
// nothing (issue 17, hostile-input run).
func TestUnknownModelRefused(t *testing.T) {
	f := newFixture(t, smallParams)
	f.k.SetModelRegistry(knownModels{"m1": true, "m2": true})
	require.Panics(t, func() { f.k.SetModelRegistry(knownModels{}) }, "wired once")
	prov, w := addr("prov", 1), addr("work", 1)
	f.addProvider(prov)
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(prov), Worker: f.bech(w)})
	require.NoError(t, err)

	bad := registerMsg(f, prov, w, 1)
	bad.Models = []string{"m1", "no-such-model"}
	before := f.storeDigest()
	_, err = f.msg.RegisterWorker(f.ctx, bad)
	require.ErrorIs(t, err, types.ErrUnknownModel)
	require.Equal(t, before, f.storeDigest())

	_, err = f.msg.RegisterWorker(f.ctx, registerMsg(f, prov, w, 1))
	require.NoError(t, err)
	upd := &types.MsgUpdateWorker{Worker: f.bech(w), Spec: f.worker(w).Spec, Models: []string{"m2", "ghost"}}
	before = f.storeDigest()
	_, err = f.msg.UpdateWorker(f.ctx, upd)
	require.ErrorIs(t, err, types.ErrUnknownModel)
	require.Equal(t, before, f.storeDigest())
	upd.Models = []string{"m2"}
	_, err = f.msg.UpdateWorker(f.ctx, upd)
	require.NoError(t, err)
	require.Equal(t, []string{"m2"}, f.worker(w).Models)
}
