// Package bench compares meshd's block execution with wasmd's app of the
// same SDK version, side by side in one run (`make bench`).
package bench

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil/mock"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	wasmapp "github.com/CosmWasm/wasmd/app"

	meshapp "github.com/llmesh/mesh/app"
)

// abciApp is what the benchmark needs from either app.
type abciApp interface {
	InitChain(*abci.RequestInitChain) (*abci.ResponseInitChain, error)
	FinalizeBlock(*abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error)
	Commit() (*abci.ResponseCommit, error)
	LastBlockHeight() int64
	LastCommitID() storetypes.CommitID
	AppCodec() codec.Codec
	TxConfig() client.TxConfig
	DefaultGenesis() map[string]json.RawMessage
}

const (
	chainID      = "bench-1"
	txsPerBlock  = 100
	benchDenom   = "umesh"
	startBalance = 1_000_000_000_000
)

var constructors = []struct {
	name string
	new  func(db dbm.DB, home string) abciApp
}{
	{"meshd", func(db dbm.DB, home string) abciApp {
		return meshapp.NewMeshApp(log.NewNopLogger(), db, true, simtestutil.NewAppOptionsWithFlagHome(home), nil, baseapp.SetChainID(chainID))
	}},
	{"wasmd", func(db dbm.DB, home string) abciApp {
		return wasmapp.NewWasmApp(log.NewNopLogger(), db, true, simtestutil.NewAppOptionsWithFlagHome(home), nil, baseapp.SetChainID(chainID))
	}},
}

type chain struct {
	app    abciApp
	valSet *cmttypes.ValidatorSet
	keys   []*secp256k1.PrivKey
	addrs  []sdk.AccAddress
	seq    uint64
}

// newChain starts an app on goleveldb with one validator and txsPerBlock
// funded senders, after its genesis block.
func newChain(tb testing.TB, newApp func(dbm.DB, string) abciApp) *chain {
	home := tb.TempDir()
	db, err := dbm.NewGoLevelDB("application", home, nil)
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	a := newApp(db, home)

	pv := mock.NewPV()
	pub, err := pv.GetPubKey()
	require.NoError(tb, err)
	valSet := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(pub, 1)})

	c := &chain{app: a, valSet: valSet}
	genAccs := make([]authtypes.GenesisAccount, txsPerBlock)
	balances := make([]banktypes.Balance, txsPerBlock)
	for i := range genAccs {
		k := secp256k1.GenPrivKey()
		addr := sdk.AccAddress(k.PubKey().Address())
		c.keys, c.addrs = append(c.keys, k), append(c.addrs, addr)
		genAccs[i] = authtypes.NewBaseAccount(addr, k.PubKey(), uint64(i), 0)
		balances[i] = banktypes.Balance{Address: addr.String(), Coins: sdk.NewCoins(sdk.NewInt64Coin(benchDenom, startBalance))}
	}
	gen, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, genAccs, balances...)
	require.NoError(tb, err)
	state, err := json.Marshal(gen)
	require.NoError(tb, err)
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId: chainID, Time: time.Unix(1_700_000_000, 0).UTC(), InitialHeight: 1,
		ConsensusParams: simtestutil.DefaultConsensusParams, AppStateBytes: state,
	})
	require.NoError(tb, err)
	c.finalize(tb, nil)
	return c
}

// block signs one block of bank sends: sender i pays sender i+1.
func (c *chain) block(tb testing.TB) [][]byte {
	txs := make([][]byte, txsPerBlock)
	r := rand.New(rand.NewSource(int64(c.seq)))
	for i := range txs {
		msg := banktypes.NewMsgSend(c.addrs[i], c.addrs[(i+1)%txsPerBlock], sdk.NewCoins(sdk.NewInt64Coin(benchDenom, 1)))
		tx, err := simtestutil.GenSignedMockTx(r, c.app.TxConfig(), []sdk.Msg{msg}, sdk.NewCoins(),
			simtestutil.DefaultGenTxGas, chainID, []uint64{uint64(i)}, []uint64{c.seq}, c.keys[i])
		require.NoError(tb, err)
		txs[i], err = c.app.TxConfig().TxEncoder()(tx)
		require.NoError(tb, err)
	}
	c.seq++
	return txs
}

func (c *chain) finalize(tb testing.TB, txs [][]byte) {
	h := c.app.LastBlockHeight() + 1
	res, err := c.app.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: h, Time: time.Unix(1_700_000_000+h, 0).UTC(), Txs: txs,
		Hash: c.app.LastCommitID().Hash, NextValidatorsHash: c.valSet.Hash(),
	})
	require.NoError(tb, err)
	for _, r := range res.TxResults {
		if r.Code != 0 {
			tb.Fatalf("tx failed: %s", r.Log)
		}
	}
	_, err = c.app.Commit()
	require.NoError(tb, err)
}

// BenchmarkBankSendBlock runs blocks of 100 signed bank sends through
// FinalizeBlock and Commit, on meshd's app and on wasmd's app. One op is
// one block; scripts/bench.sh turns the pair into a throughput ratio.
func BenchmarkBankSendBlock(b *testing.B) {
	for _, ctor := range constructors {
		b.Run(ctor.name, func(b *testing.B) {
			c := newChain(b, ctor.new)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				txs := c.block(b)
				b.StartTimer()
				c.finalize(b, txs)
			}
			b.ReportMetric(float64(b.N*txsPerBlock)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// TestBenchHarness keeps the harness honest in `make test`: both apps
// execute the same signed block and move the same funds.
func TestBenchHarness(t *testing.T) {
	for _, ctor := range constructors {
		t.Run(ctor.name, func(t *testing.T) {
			c := newChain(t, ctor.new)
			c.finalize(t, c.block(t))
			c.finalize(t, c.block(t))
			require.Equal(t, int64(3), c.app.LastBlockHeight(), fmt.Sprint(ctor.name))
		})
	}
}
