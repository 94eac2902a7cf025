// Package ibc_test drives two in-process meshd chains with ibc-go's testing
// package (ibctesting) to check meshd's IBC wiring end to end: client,
// connection and channel handshakes, ICS-20 transfers, acknowledgements and
// timeouts all go through MeshApp's real keepers, routers and ante handler.
package ibc_test

import (
	"encoding/json"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"

	ibctesting "github.com/cosmos/ibc-go/v11/testing"

	"github.com/llmesh/mesh/app"
)

// meshAppCreator returns an ibctesting.AppCreator that builds a fresh MeshApp
// on an in-memory DB with its own home directory: wasmvm keeps a lock file
// and a code cache in <home>/wasm, so two chains must not share one. The
// AppCreator signature carries no *testing.T, hence the closure; t.TempDir
// removes the directories when the test ends.
//
// The genesis returned is the app's own default genesis; ibctesting then
// overrides auth, bank and staking with its validators and funded senders
// (10^19 of sdk.DefaultBondDenom, which the app package sets to umesh).
func meshAppCreator(t *testing.T) ibctesting.AppCreator {
	t.Helper()
	return func() (ibctesting.TestingApp, map[string]json.RawMessage) {
		meshApp := app.NewMeshApp(log.NewNopLogger(), dbm.NewMemDB(), true,
			simtestutil.NewAppOptionsWithFlagHome(t.TempDir()), nil)
		return meshApp, meshApp.DefaultGenesis()
	}
}

// setupTransferPath starts two meshd chains and opens an ICS-20 (transfer,
// ics20-1) channel between them. chainA is "meshd" in the tests; chainB plays
// the counterparty chain, which is also a MeshApp so that both ends of every
// packet run meshd's stack.
func setupTransferPath(t *testing.T) (*ibctesting.Coordinator, *ibctesting.TestChain, *ibctesting.TestChain, *ibctesting.Path) {
	t.Helper()
	coord := ibctesting.NewCustomAppCoordinator(t, 2, meshAppCreator(t))
	chainA := coord.GetChain(ibctesting.GetChainID(1))
	chainB := coord.GetChain(ibctesting.GetChainID(2))

	path := ibctesting.NewTransferPath(chainA, chainB)
	path.Setup()
	return coord, chainA, chainB, path
}

// meshAppOf returns the MeshApp behind a test chain.
func meshAppOf(t *testing.T, chain *ibctesting.TestChain) *app.MeshApp {
	t.Helper()
	meshApp, ok := chain.App.(*app.MeshApp)
	require.True(t, ok, "chain %s does not run MeshApp", chain.ChainID)
	return meshApp
}

// requireAmount compares two integer amounts exactly, printing both in full
// on failure (sdkmath.Int values must not be compared with reflect.DeepEqual).
func requireAmount(t *testing.T, want, got sdkmath.Int, what string) {
	t.Helper()
	require.Truef(t, want.Equal(got), "%s: want %s, got %s", what, want, got)
}
