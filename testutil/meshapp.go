// Package testutil holds fixtures shared by meshd's tests: an app at
// genesis with a validator set, and the location of wasmd's test contracts.
package testutil

import (
	"encoding/json"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/testutil/mock"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/llmesh/mesh/app"
)

// ChainID is the chain-id of in-process test apps.
const ChainID = "mesh-test-1"

// Account is a funded genesis account and its key.
type Account struct {
	PrivKey cryptotypes.PrivKey
	Address sdk.AccAddress
	// Number is the account number assigned at genesis.
	Number uint64
}

// Fixture is a MeshApp after its genesis block, with funded accounts.
type Fixture struct {
	App      *app.MeshApp
	DB       dbm.DB
	Home     string
	ValSet   *cmttypes.ValidatorSet
	Accounts []Account
}

// NewApp builds a MeshApp on db with its home (wasm dir) in home.
func NewApp(db dbm.DB, home string, opts ...func(*baseapp.BaseApp)) *app.MeshApp {
	opts = append([]func(*baseapp.BaseApp){baseapp.SetChainID(ChainID)}, opts...)
	return app.NewMeshApp(log.NewNopLogger(), db, true, simtestutil.NewAppOptionsWithFlagHome(home), nil, opts...)
}

// Setup returns an app with one validator and n accounts holding balance
// umesh each, after InitChain and the first block (committed).
func Setup(t testing.TB, n int, balance sdkmath.Int) *Fixture {
	t.Helper()
	return SetupWithGenesis(t, n, balance, nil)
}

// SetupWithGenesis is Setup with a chance to change the genesis state (module
// params, epochs) before InitChain.
func SetupWithGenesis(t testing.TB, n int, balance sdkmath.Int, mutate func(cdc codec.Codec, gen map[string]json.RawMessage)) *Fixture {
	t.Helper()
	privVal := mock.NewPV()
	pubKey, err := privVal.GetPubKey()
	require.NoError(t, err)
	valSet := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(pubKey, 1)})

	accounts := make([]Account, n)
	genAccs := make([]authtypes.GenesisAccount, n)
	balances := make([]banktypes.Balance, n)
	for i := range accounts {
		priv := secp256k1.GenPrivKey()
		addr := sdk.AccAddress(priv.PubKey().Address())
		accounts[i] = Account{PrivKey: priv, Address: addr, Number: uint64(i)}
		genAccs[i] = authtypes.NewBaseAccount(addr, priv.PubKey(), uint64(i), 0)
		balances[i] = banktypes.Balance{Address: addr.String(), Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, balance))}
	}

	home := t.TempDir()
	db := dbm.NewMemDB()
	meshApp := NewApp(db, home)
	genesis, err := simtestutil.GenesisStateWithValSet(meshApp.AppCodec(), meshApp.DefaultGenesis(), valSet, genAccs, balances...)
	require.NoError(t, err)
	if mutate != nil {
		mutate(meshApp.AppCodec(), genesis)
	}
	stateBytes, err := json.Marshal(genesis)
	require.NoError(t, err)

	_, err = meshApp.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            time.Unix(1_700_000_000, 0).UTC(),
		ConsensusParams: simtestutil.DefaultConsensusParams,
		InitialHeight:   1,
		AppStateBytes:   stateBytes,
	})
	require.NoError(t, err)
	f := &Fixture{App: meshApp, DB: db, Home: home, ValSet: valSet, Accounts: accounts}
	f.NextBlock(t)
	return f
}

// NextBlock finalizes and commits an empty block one second after the last.
func (f *Fixture) NextBlock(t testing.TB, txs ...[]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	height := f.App.LastBlockHeight() + 1
	res, err := f.App.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height:             height,
		Time:               blockTime(height),
		Hash:               f.App.LastCommitID().Hash,
		NextValidatorsHash: f.ValSet.Hash(),
		Txs:                txs,
	})
	require.NoError(t, err)
	_, err = f.App.Commit()
	require.NoError(t, err)
	return res
}

// blockTime is the deterministic time of block height: one block a second.
func blockTime(height int64) time.Time { return time.Unix(1_700_000_000+height, 0).UTC() }

// Ctx returns a read-only context on the last committed state.
func (f *Fixture) Ctx() sdk.Context {
	height := f.App.LastBlockHeight()
	return f.App.NewContextLegacy(true, cmtproto.Header{ChainID: ChainID, Height: height, Time: blockTime(height)})
}

// WasmdTestdata returns the path of a contract shipped with the wasmd Go
// module (x/wasm/keeper/testdata), read from the module cache so that no
// wasm binary is committed here.
func WasmdTestdata(t testing.TB, name string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CosmWasm/wasmd").Output()
	require.NoError(t, err, "locate the wasmd module (is the Go toolchain on PATH?)")
	return filepath.Join(strings.TrimSpace(string(out)), "x", "wasm", "keeper", "testdata", name)
}

// SignTx signs msgs from acc with the given sequence and returns the tx bytes.
// Fees are zero: in-process apps have no minimum gas price.
func (f *Fixture) SignTx(t testing.TB, acc Account, seq uint64, msgs ...sdk.Msg) []byte {
	t.Helper()
	return f.SignTxWithFee(t, acc, seq, sdk.NewCoins(), msgs...)
}

// SignTxWithFee is SignTx paying fee into the fee collector.
func (f *Fixture) SignTxWithFee(t testing.TB, acc Account, seq uint64, fee sdk.Coins, msgs ...sdk.Msg) []byte {
	t.Helper()
	txCfg := f.App.TxConfig()
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(seq))), txCfg, msgs, fee,
		simtestutil.DefaultGenTxGas*10, ChainID, []uint64{acc.Number}, []uint64{seq}, acc.PrivKey)
	require.NoError(t, err)
	bz, err := txCfg.TxEncoder()(tx)
	require.NoError(t, err)
	return bz
}

// RequireTxsOK fails unless every tx result in res has code 0.
func RequireTxsOK(t testing.TB, res *abci.ResponseFinalizeBlock) {
	t.Helper()
	for i, r := range res.TxResults {
		require.Zerof(t, r.Code, "tx %d failed: %s", i, r.Log)
	}
}

// TypedEvent decodes a typed event from a block result, leaving out the
// attributes baseapp adds (mode, msg_index), which are not in the proto.
func TypedEvent(t testing.TB, ev abci.Event) any {
	t.Helper()
	attrs := make([]abci.EventAttribute, 0, len(ev.Attributes))
	for _, a := range ev.Attributes {
		if a.Key != "mode" && a.Key != "msg_index" {
			attrs = append(attrs, a)
		}
	}
	ev.Attributes = attrs
	parsed, err := sdk.ParseTypedEvent(ev)
	require.NoError(t, err)
	return parsed
}

// SetComputeEpoch sets the duration of x/epochs' compute epoch in a genesis
// being built (the fixture makes 1 s blocks, so 10 s is 10 blocks).
func SetComputeEpoch(cdc codec.Codec, gen map[string]json.RawMessage, d time.Duration) {
	var eg epochstypes.GenesisState
	cdc.MustUnmarshalJSON(gen[epochstypes.ModuleName], &eg)
	for i := range eg.Epochs {
		if eg.Epochs[i].Identifier == app.ComputeEpochIdentifier {
			eg.Epochs[i].Duration = d
		}
	}
	gen[epochstypes.ModuleName] = cdc.MustMarshalJSON(&eg)
}
