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
	// An enabled host with an empty allowlist would reject every message.
	require.NotEmpty(t, hostParams.AllowMessages, "ICA host allowlist")

	require.True(t, f.App.ICAControllerKeeper.GetParams(ctx).ControllerEnabled, "ICA controller must be enabled")
}
