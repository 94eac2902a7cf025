package ibc_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/llmesh/mesh/testutil"
)

// TestIBCAppParamsAtGenesis pins the IBC application params a fresh meshd
// starts with: ICS-20 can send and receive, and interchain accounts can be
// both hosted here and controlled from here. A genesis that disabled any of
// them would make the chain silently refuse transfers or ICA packets.
func TestIBCAppParamsAtGenesis(t *testing.T) {
	f := testutil.Setup(t, 1, sdkmath.NewInt(1_000_000))
	ctx := f.Ctx()

	transferParams := f.App.TransferKeeper.GetParams(ctx)
	require.True(t, transferParams.SendEnabled, "ICS-20 send must be enabled")
	require.True(t, transferParams.ReceiveEnabled, "ICS-20 receive must be enabled")

	hostParams := f.App.ICAHostKeeper.GetParams(ctx)
	require.True(t, hostParams.HostEnabled, "ICA host must be enabled")
	// The allow list is meshd's (app.ICAHostAllowMessages), not ibc-go's "*";
	// an empty one would reject every message. Pinned by type URL.
	require.Equal(t, []string{"/mesh.inference.v1.MsgRequestInference", "/mesh.pool.v1.MsgDelegate", "/mesh.pool.v1.MsgUndelegate", "/mesh.pool.v1.MsgClaim", "/cosmos.bank.v1beta1.MsgSend", "/mesh.dao.v1.MsgLock", "/mesh.dao.v1.MsgExtendLock", "/mesh.dao.v1.MsgUnlock", "/mesh.dao.v1.MsgVote"}, hostParams.AllowMessages, "ICA host allow list")

	require.True(t, f.App.ICAControllerKeeper.GetParams(ctx).ControllerEnabled, "ICA controller must be enabled")
}
