package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/app"
	"github.com/llmesh/mesh/testutil"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

func TestDefaultGenesisValidates(t *testing.T) {
	meshApp := testutil.NewApp(dbm.NewMemDB(), t.TempDir())
	cdc := meshApp.AppCodec()
	gen := meshApp.DefaultGenesis()
	require.NoError(t, meshApp.BasicModuleManager.ValidateGenesis(cdc, meshApp.TxConfig(), gen))

	// umesh is the staking, mint and gov deposit denom, with MESH metadata.
	var staking stakingtypes.GenesisState
	cdc.MustUnmarshalJSON(gen[stakingtypes.ModuleName], &staking)
	require.Equal(t, "umesh", staking.Params.BondDenom)

	var mint minttypes.GenesisState
	cdc.MustUnmarshalJSON(gen[minttypes.ModuleName], &mint)
	require.Equal(t, "umesh", mint.Params.MintDenom)

	var gov govv1.GenesisState
	cdc.MustUnmarshalJSON(gen[govtypes.ModuleName], &gov)
	require.Equal(t, "umesh", gov.Params.MinDeposit[0].Denom)
	require.Equal(t, "umesh", gov.Params.ExpeditedMinDeposit[0].Denom)

	var bank banktypes.GenesisState
	cdc.MustUnmarshalJSON(gen[banktypes.ModuleName], &bank)
	require.Len(t, bank.DenomMetadata, 1)
	meta := bank.DenomMetadata[0]
	require.Equal(t, "umesh", meta.Base)
	require.Equal(t, "mesh", meta.Display)
	require.NoError(t, meta.Validate())
	var displayExp uint32
	for _, u := range meta.DenomUnits {
		if u.Denom == meta.Display {
			displayExp = u.Exponent
		}
	}
	require.EqualValues(t, 6, displayExp)

	// The compute epoch that drives proof-of-compute exists.
	var epochsGen epochstypes.GenesisState
	cdc.MustUnmarshalJSON(gen[epochstypes.ModuleName], &epochsGen)
	var found bool
	for _, e := range epochsGen.Epochs {
		if e.Identifier == app.ComputeEpochIdentifier {
			found = true
			require.Equal(t, app.DefaultComputeEpoch, e.Duration)
		}
	}
	require.True(t, found, "compute epoch missing from default genesis")
}

// The module set and store names are consensus-critical: removing or
// renaming one breaks existing chains, so changes must be deliberate.
func TestModulesAndStoreKeysPinned(t *testing.T) {
	meshApp := testutil.NewApp(dbm.NewMemDB(), t.TempDir())

	var modules []string
	for name := range meshApp.ModuleManager.Modules {
		modules = append(modules, name)
	}
	sort.Strings(modules)
	require.Equal(t, []string{
		"07-tendermint", "auth", "authz", "bank", "compute", "consensus", "dao", "distribution", "epochs",
		"evidence", "feegrant", "genutil", "gmp", "gov", "ibc", "ibcinfer", "inference", "interchainaccounts", "mint", "pool", "protocolpool",
		"rewards", "slashing", "staking", "training", "transfer", "upgrade", "vesting", "wasm",
	}, modules)

	var stores []string
	for _, k := range meshApp.GetStoreKeys() {
		stores = append(stores, k.Name())
	}
	require.Equal(t, []string{
		"acc", "authz", "bank", "compute", "consensus", "dao", "distribution", "epochs", "evidence", "feegrant", "gmp", "gov",
		"ibc", "icacontroller", "icahost", "inference", "inferibc", "mint", "pool", "protocolpool", "rewards", "slashing", "staking", "training", "transfer",
		"upgrade", "wasm",
	}, stores)

	// Every module with a block hook is ordered (the manager would panic at
	// construction otherwise); the bank end-blocker runs first (SDK v0.54).
	require.Equal(t, banktypes.ModuleName, meshApp.ModuleManager.OrderEndBlockers[0])
	require.Equal(t, "upgrade", meshApp.ModuleManager.OrderPreBlockers[0])
}

func TestBlockedAddresses(t *testing.T) {
	blocked := app.BlockedAddresses()
	require.True(t, blocked[authAddr(minttypes.ModuleName)])
	require.True(t, blocked[authAddr(stakingtypes.BondedPoolName)])
	require.True(t, blocked[authAddr(wasmtypes.ModuleName)])
	// Deposits are refunded from the gov account, which may receive funds.
	require.False(t, blocked[authAddr(govtypes.ModuleName)])
	// The DAO treasury receives analysis refunds and donations; its escrow
	// (locks, deposits) and the rewards pot do not take bank sends.
	require.False(t, blocked[authAddr("dao")])
	require.True(t, blocked[authAddr("dao_escrow")])
	require.True(t, blocked[authAddr("rewards")])
}

// A chain runs blocks with transfers, exports its state; a fresh app imports
// the export and holds exactly the same state, and two independent imports
// reach the same app hash after the same next block.
func TestExportImportRoundTrip(t *testing.T) {
	f := testutil.Setup(t, 3, sdkmath.NewInt(1_000_000_000))
	alice, bob, carol := f.Accounts[0], f.Accounts[1], f.Accounts[2]

	// A stored and instantiated contract makes the wasm store part of the round trip.
	code, err := os.ReadFile(testutil.WasmdTestdata(t, "hackatom.wasm"))
	require.NoError(t, err)
	res := f.NextBlock(t, f.SignTx(t, carol, 0, &wasmtypes.MsgStoreCode{Sender: carol.Address.String(), WASMByteCode: code}))
	testutil.RequireTxsOK(t, res)
	initMsg := []byte(`{"verifier":"` + alice.Address.String() + `","beneficiary":"` + bob.Address.String() + `"}`)
	res = f.NextBlock(t, f.SignTx(t, carol, 1, &wasmtypes.MsgInstantiateContract{
		Sender: carol.Address.String(), CodeID: 1, Label: "roundtrip", Msg: initMsg,
		Funds: sdk.NewCoins(sdk.NewInt64Coin("umesh", 100)),
	}))
	testutil.RequireTxsOK(t, res)

	for i := uint64(0); i < 5; i++ {
		res = f.NextBlock(t,
			f.SignTx(t, alice, i, banktypes.NewMsgSend(alice.Address, bob.Address, sdk.NewCoins(sdk.NewInt64Coin("umesh", 1000)))),
			f.SignTx(t, bob, i, banktypes.NewMsgSend(bob.Address, carol.Address, sdk.NewCoins(sdk.NewInt64Coin("umesh", 7)))),
		)
		testutil.RequireTxsOK(t, res)
	}
	ctxA := f.Ctx()
	require.Equal(t, sdkmath.NewInt(1_000_000_035-100), f.App.BankKeeper.GetBalance(ctxA, carol.Address, "umesh").Amount)
	require.Equal(t, sdkmath.NewInt(1_000_004_965), f.App.BankKeeper.GetBalance(ctxA, bob.Address, "umesh").Amount)

	exported, err := f.App.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	require.Equal(t, f.App.LastBlockHeight()+1, exported.Height)

	// Import into a fresh app and compare every store with the original.
	appB := testutil.NewApp(dbm.NewMemDB(), t.TempDir())
	ctxB := appB.NewNextBlockContext(cmtproto.Header{Height: f.App.LastBlockHeight(), ChainID: testutil.ChainID})
	_, err = appB.InitChainer(ctxB, &abci.RequestInitChain{AppStateBytes: exported.AppState})
	require.NoError(t, err)
	require.NoError(t, appB.StoreConsensusParams(ctxB, exported.ConsensusParams))

	requireStoresEqual(t, f.App, ctxA, appB, ctxB)
	require.Equal(t, sdkmath.NewInt(1_000_000_035-100), appB.BankKeeper.GetBalance(ctxB, carol.Address, "umesh").Amount)

	// Two independent imports of the export reach the same app hash.
	hashes := make([][]byte, 2)
	for i := range hashes {
		imp := testutil.NewApp(dbm.NewMemDB(), t.TempDir())
		_, err := imp.InitChain(&abci.RequestInitChain{
			ChainId:         testutil.ChainID,
			Time:            time.Unix(1_800_000_000, 0).UTC(),
			InitialHeight:   exported.Height,
			ConsensusParams: &exported.ConsensusParams,
			AppStateBytes:   exported.AppState,
		})
		require.NoError(t, err)
		res, err := imp.FinalizeBlock(&abci.RequestFinalizeBlock{
			Height:             exported.Height,
			Time:               time.Unix(1_800_000_001, 0).UTC(),
			NextValidatorsHash: f.ValSet.Hash(),
		})
		require.NoError(t, err)
		_, err = imp.Commit()
		require.NoError(t, err)
		require.Equal(t, res.AppHash, imp.LastCommitID().Hash)
		hashes[i] = res.AppHash

		// The imported chain exports again, and its export is a valid genesis.
		again, err := imp.ExportAppStateAndValidators(false, nil, nil)
		require.NoError(t, err)
		var state map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(again.AppState, &state))
		require.NoError(t, imp.BasicModuleManager.ValidateGenesis(imp.AppCodec(), imp.TxConfig(), state))
	}
	require.NotEmpty(t, hashes[0])
	require.Equal(t, hashes[0], hashes[1])
}

// Zero-height export (used for chain restarts) prepares state without error.
func TestExportForZeroHeight(t *testing.T) {
	f := testutil.Setup(t, 1, sdkmath.NewInt(1_000_000))
	f.NextBlock(t)
	exported, err := f.App.ExportAppStateAndValidators(true, nil, nil)
	require.NoError(t, err)
	require.Zero(t, exported.Height)
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(exported.AppState, &state))
	require.NoError(t, f.App.BasicModuleManager.ValidateGenesis(f.App.AppCodec(), f.App.TxConfig(), state))
}

func authAddr(module string) string { return authtypes.NewModuleAddress(module).String() }

// networks/chain-registry (the localnet) and networks/testnet/chain-registry
// describe the chains to wallets and relayers; they must agree with the
// app's constants, and the testnet's with its ceremony's chain id.
func TestChainRegistryMatchesApp(t *testing.T) {
	testnetEnv, err := os.ReadFile("../networks/testnet/testnet.env")
	require.NoError(t, err)
	m := regexp.MustCompile(`TESTNET_CHAIN_ID=\$\{TESTNET_CHAIN_ID:-([^}]+)\}`).FindSubmatch(testnetEnv)
	require.NotNil(t, m, "testnet.env sets TESTNET_CHAIN_ID")
	for dir, chainID := range map[string]string{
		"../networks/chain-registry":         app.LocalChainID,
		"../networks/testnet/chain-registry": string(m[1]),
	} {
		t.Run(dir, func(t *testing.T) { checkChainRegistry(t, dir, chainID) })
	}
}

func checkChainRegistry(t *testing.T, dir, chainID string) {
	var chain struct {
		ChainName    string `json:"chain_name"`
		ChainID      string `json:"chain_id"`
		Bech32Prefix string `json:"bech32_prefix"`
		DaemonName   string `json:"daemon_name"`
		Fees         struct {
			FeeTokens []struct {
				Denom string `json:"denom"`
			} `json:"fee_tokens"`
		} `json:"fees"`
		Staking struct {
			StakingTokens []struct {
				Denom string `json:"denom"`
			} `json:"staking_tokens"`
		} `json:"staking"`
	}
	bz, err := os.ReadFile(filepath.Join(dir, "chain.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(bz, &chain))
	require.Equal(t, chainID, chain.ChainID)
	require.Equal(t, app.Bech32Prefix, chain.Bech32Prefix)
	require.Equal(t, app.AppName, chain.DaemonName)
	require.Equal(t, app.BondDenom, chain.Fees.FeeTokens[0].Denom)
	require.Equal(t, app.BondDenom, chain.Staking.StakingTokens[0].Denom)

	var assets struct {
		ChainName string `json:"chain_name"`
		Assets    []struct {
			Base       string `json:"base"`
			Display    string `json:"display"`
			Symbol     string `json:"symbol"`
			DenomUnits []struct {
				Denom    string `json:"denom"`
				Exponent uint32 `json:"exponent"`
			} `json:"denom_units"`
		} `json:"assets"`
	}
	bz, err = os.ReadFile(filepath.Join(dir, "assetlist.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(bz, &assets))
	require.Equal(t, chain.ChainName, assets.ChainName)
	meta := app.MeshDenomMetadata()
	asset := assets.Assets[0]
	require.Equal(t, meta.Base, asset.Base)
	require.Equal(t, meta.Display, asset.Display)
	require.Equal(t, meta.Symbol, asset.Symbol)
	require.Len(t, asset.DenomUnits, len(meta.DenomUnits))
	for i, u := range meta.DenomUnits {
		require.Equal(t, u.Denom, asset.DenomUnits[i].Denom)
		require.Equal(t, u.Exponent, asset.DenomUnits[i].Exponent)
	}
}

// importExportSkip are the prefixes the SDK's import/export test skips:
// queues and per-block bookkeeping rebuilt by the modules, not exported.
var importExportSkip = map[string][][]byte{
	stakingtypes.StoreKey: {
		stakingtypes.UnbondingQueueKey, stakingtypes.RedelegationQueueKey, stakingtypes.ValidatorQueueKey,
		stakingtypes.HistoricalInfoKey, stakingtypes.UnbondingIDKey, stakingtypes.UnbondingIndexKey,
		stakingtypes.UnbondingTypeKey, stakingtypes.ValidatorUpdatesKey,
	},
	authzkeeper.StoreKey:   {authzkeeper.GrantQueuePrefix},
	feegrant.StoreKey:      {feegrant.FeeAllowanceQueueKeyPrefix},
	slashingtypes.StoreKey: {slashingtypes.ValidatorMissedBlockBitmapKeyPrefix},
	wasmtypes.StoreKey:     {wasmtypes.TXCounterPrefix},
	// The joins of the last block (the simulator delivers its txs after
	// EndBlock, so the next EndBlock prunes them): a round drawn at a later
	// height never looks at them, and an import has none.
	trainingtypes.StoreKey: {trainingtypes.RecentJoinsKey},
}

// requireStoresEqual requires every KV store of b (imported from a's
// export) to equal a's, key for key, but for importExportSkip's prefixes; a
// store that differs is shown through a's store decoders.
func requireStoresEqual(tb testing.TB, a *app.MeshApp, ctxA sdk.Context, b *app.MeshApp, ctxB sdk.Context) {
	tb.Helper()
	compared := 0
	for _, key := range a.GetStoreKeys() {
		kv, ok := key.(*storetypes.KVStoreKey)
		if !ok {
			continue
		}
		diffA, diffB := simtestutil.DiffKVStores(ctxA.KVStore(kv), ctxB.KVStore(b.GetKey(kv.Name())), importExportSkip[kv.Name()])
		if len(diffA) > 0 || len(diffB) > 0 {
			require.Failf(tb, "store differs after import", "%s: %s", kv.Name(),
				simtestutil.GetSimulationLog(kv.Name(), a.SimulationManager().StoreDecoders, diffA, diffB))
		}
		compared++
	}
	require.Equal(tb, len(app.StoreKeys()), compared)
}
