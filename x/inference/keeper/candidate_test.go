package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestRegisterCandidateModel: a model registered by another module (a
// finished training task) is always a CANDIDATE, passes the checks of
// MsgRegisterModel, emits the registration event, and serves no request
// until the authority promotes it.
func TestRegisterCandidateModel(t *testing.T) {
	f := newFixture(t, nil)
	f.next()
	m := testModel("mesh-embedded-v1-t1", true)
	m.WeightsDigest = strings.Repeat("ab", 32)
	m.WeightsUri = "ipfs://checkpoint"
	m.Status = types.MODEL_STATUS_ACTIVE // forced to CANDIDATE
	require.NoError(t, f.k.RegisterCandidateModel(f.ctx, m))

	got, err := f.k.GetModel(f.ctx, m.Id)
	require.NoError(t, err)
	want := m
	want.Status = types.MODEL_STATUS_CANDIDATE
	require.Equal(t, want, got)
	evs := f.events("mesh.inference.v1.EventModelRegistered")
	require.Len(t, evs, 1)
	require.Equal(t, m.Id, attr(evs[0], "model_id"))
	require.Equal(t, "MODEL_STATUS_CANDIDATE", attr(evs[0], "status"))

	// A CANDIDATE model takes no request.
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	msg := f.requestMsg(requester)
	msg.ModelId = m.Id
	f.requireRejected(types.ErrModelNotActive, func() error { _, err := f.msg.RequestInference(f.ctx, msg); return err })

	// The same errors as MsgRegisterModel: a taken id, an invalid model.
	f.requireRejected(types.ErrModelExists, func() error { return f.k.RegisterCandidateModel(f.ctx, m) }, "taken id")
	f.requireRejected(types.ErrModelExists, func() error { return f.k.RegisterCandidateModel(f.ctx, testModel(modelID, true)) }, "existing active model")
	for name, mutate := range map[string]func(*types.Model){
		"bad runtime": func(m *types.Model) { m.Runtime = "cuda" },
		"bad digest":  func(m *types.Model) { m.WeightsDigest = "ABCD" },
		"no price":    func(m *types.Model) { m.Prices = sdk.Coins{sdk.NewInt64Coin(denom, 0)} },
		"long id":     func(m *types.Model) { m.Id = strings.Repeat("x", types.MaxModelIDLength+1) },
		"uri space":   func(m *types.Model) { m.WeightsUri = "ipfs:// x" },
	} {
		bad := testModel("candidate-2", false)
		mutate(&bad)
		f.requireRejected(types.ErrInvalidModel, func() error { return f.k.RegisterCandidateModel(f.ctx, bad) }, name)
	}

	// The authority promotes it; then it serves requests.
	got.Status = types.MODEL_STATUS_ACTIVE
	_, err = f.msg.UpdateModel(f.ctx, &types.MsgUpdateModel{Authority: f.authority, Model: got})
	require.NoError(t, err)
	for range 3 {
		f.addWorker(m.Id)
	}
	_, err = f.msg.RequestInference(f.ctx, msg)
	require.NoError(t, err)
}
