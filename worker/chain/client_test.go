package chain_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

const testChainID = "mesh-local-1"

// newClient makes a worker key in a memory keyring, a fake node that knows
// its account, and a client for addr (the node is not served yet).
func newClient(t *testing.T, addr string, mod func(*chain.Config)) (*chain.Client, *chaintest.Node) {
	t.Helper()
	enc, err := chain.NewEncoding()
	require.NoError(t, err)
	kr := keyring.NewInMemory(enc.Codec)
	_, _, err = chain.CreateKey(kr, chain.KeyName)
	require.NoError(t, err)
	cfg := chain.Config{GRPCAddr: addr, ChainID: testChainID, Keyring: kr,
		Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 30, RequestTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := chain.Dial(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	n, err := chaintest.New(testChainID)
	require.NoError(t, err)
	n.AddAccount(c.Address())
	return c, n
}

func listen(t *testing.T) net.Listener {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return lis
}

func served(t *testing.T, mod func(*chain.Config)) (*chain.Client, *chaintest.Node) {
	lis := listen(t)
	c, n := newClient(t, lis.Addr().String(), mod)
	n.Serve(t, lis)
	return c, n
}

func TestQueries(t *testing.T) {
	c, n := served(t, nil)
	ctx := context.Background()
	require.Regexp(t, `^mesh1[0-9a-z]{38}$`, c.Address())
	n.SetHeight(77)
	h, err := c.Height(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(77), h)

	ch, err := c.Challenge(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(1), ch.Epoch)
	require.True(t, ch.Eligible)
	require.Len(t, ch.Seed, 32)
	w, err := c.Worker(ctx)
	require.NoError(t, err)
	require.Equal(t, c.Address(), w.Address)

	res, err := c.TxResult(ctx, "00")
	require.NoError(t, err)
	require.False(t, res.Found)
}

func TestCommitSignsWithFeeGranterAndSimulatedGas(t *testing.T) {
	granter := sdk.AccAddress(make([]byte, 20))
	granterStr, err := chain.AddressCodec.BytesToString(granter)
	require.NoError(t, err)
	c, n := served(t, func(cfg *chain.Config) { cfg.FeeGranter = granterStr })
	ctx := context.Background()

	root := make([]byte, 32)
	hash, err := c.CommitPoC(ctx, 1, root, 10)
	require.NoError(t, err)
	require.Len(t, hash, 64)

	var tx authsigning.Tx
	n.Do(func(n *chaintest.Node) { tx = n.LastTx.(authsigning.Tx) })
	require.Equal(t, []byte(granter), []byte(tx.FeeGranter()))
	require.Equal(t, uint64(chaintest.SimGas*3/2), tx.GetGas())
	require.Equal(t, "375umesh", tx.GetFee().String()) // ⌈150000 × 0.0025⌉
	require.Equal(t, uint64(10), tx.GetTimeoutHeight())
	require.Equal(t, []sdk.Msg{&computetypes.MsgCommitPoC{Worker: c.Address(), Epoch: 1, Root: root}}, tx.GetMsgs())
	require.NotNil(t, n.Commitment(c.Address()))

	res, err := c.TxResult(ctx, hash)
	require.NoError(t, err)
	require.True(t, res.Found)
	require.NoError(t, res.Err)
	require.Equal(t, int64(2), res.Height)

	// A second commit fails in simulation; the error matches the
	// registered one although gRPC carried only its text.
	_, err = c.CommitPoC(ctx, 1, root, 0)
	require.ErrorIs(t, err, computetypes.ErrDuplicateCommit)
	require.NotErrorIs(t, err, computetypes.ErrAlreadyRevealed)
	var simErr *chain.SimulationError
	require.ErrorAs(t, err, &simErr)

	// The next tx still uses the next sequence without asking the node.
	n.SetHeight(11) // reveal window
	_, err = c.RevealPoC(ctx, 1, nil, 0)
	require.ErrorIs(t, err, computetypes.ErrInvalidReveal)
	require.Equal(t, uint64(1), n.Sequence(c.Address()))
}

func TestFailedInBlockReportedByTxResult(t *testing.T) {
	c, n := served(t, nil)
	ctx := context.Background()
	// Included after its timeout height: the block rejects it, the
	// sequence is used anyway.
	n.SetHeight(5)
	hash, err := c.CommitPoC(ctx, 1, make([]byte, 32), 5)
	require.NoError(t, err)
	res, err := c.TxResult(ctx, hash)
	require.NoError(t, err)
	require.True(t, res.Found)
	var txErr *chain.TxError
	require.ErrorAs(t, res.Err, &txErr)
	require.Equal(t, uint32(30), txErr.Code)
	require.Nil(t, n.Commitment(c.Address()))
	_, err = c.CommitPoC(ctx, 1, make([]byte, 32), 0)
	require.NoError(t, err)
	require.Equal(t, uint64(2), n.Sequence(c.Address()))
}

func TestSequenceMismatchRecovers(t *testing.T) {
	c, n := served(t, nil)
	ctx := context.Background()
	_, err := c.CommitPoC(ctx, 1, make([]byte, 32), 0)
	require.NoError(t, err)

	// Another client (the operator's CLI, say) used the key: the chain is
	// two txs ahead. Simulation reports it and the client re-signs.
	n.Do(func(n *chaintest.Node) { n.BumpSequence(c.Address(), 2) })
	n.ClearCommitments()
	_, err = c.CommitPoC(ctx, 1, make([]byte, 32), 0)
	require.NoError(t, err)
	require.Equal(t, uint64(4), n.Sequence(c.Address()))

	// A tx lands between simulation and broadcast: CheckTx reports it.
	n.Do(func(n *chaintest.Node) {
		n.BeforeBroadcast = func(n *chaintest.Node) { n.BumpSequence(c.Address(), 1) }
	})
	n.ClearCommitments()
	_, err = c.CommitPoC(ctx, 1, make([]byte, 32), 0)
	require.NoError(t, err)
	require.Equal(t, uint64(6), n.Sequence(c.Address()))
}

func TestCheckTxErrorsMatchRegisteredErrors(t *testing.T) {
	c, n := served(t, nil)
	n.Do(func(n *chaintest.Node) {
		n.RejectNext = &sdk.TxResponse{Codespace: "sdk", Code: 13, RawLog: "insufficient fees"}
	})
	_, err := c.CommitPoC(context.Background(), 1, make([]byte, 32), 0)
	require.ErrorIs(t, err, sdkerrors.ErrInsufficientFee)
	var txErr *chain.TxError
	require.ErrorAs(t, err, &txErr)
	require.Equal(t, uint32(13), txErr.Code)
	// The rejected tx did not use the sequence.
	_, err = c.CommitPoC(context.Background(), 1, make([]byte, 32), 0)
	require.NoError(t, err)
	require.Equal(t, uint64(1), n.Sequence(c.Address()))
}

func TestMissingAccount(t *testing.T) {
	lis := listen(t)
	c, _ := newClient(t, lis.Addr().String(), nil)
	n, err := chaintest.New(testChainID) // a node that never heard of the worker
	require.NoError(t, err)
	n.Serve(t, lis)
	_, err = c.CommitPoC(context.Background(), 1, make([]byte, 32), 0)
	require.ErrorContains(t, err, "fee grant or a transfer creates it")
}

func TestRetriesWhileNodeUnreachable(t *testing.T) {
	lis := listen(t)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	c, n := newClient(t, addr, nil)

	// The node comes up a little later on the same address.
	go func() {
		time.Sleep(300 * time.Millisecond)
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		n.Serve(t, lis)
	}()
	_, err := c.CommitPoC(context.Background(), 1, make([]byte, 32), 0)
	require.NoError(t, err)
	require.NotNil(t, n.Commitment(c.Address()))
}

func TestUnreachableGivesUp(t *testing.T) {
	lis := listen(t)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	c, _ := newClient(t, addr, func(cfg *chain.Config) { cfg.MaxAttempts = 3 })
	_, err := c.Height(context.Background())
	require.Error(t, err)
	require.True(t, chain.Unreachable(err))
	require.Contains(t, err.Error(), "unreachable after 3 attempts")
}

func TestKeyring(t *testing.T) {
	enc, err := chain.NewEncoding()
	require.NoError(t, err)
	home := t.TempDir()
	kr, err := chain.OpenKeyring(home, keyring.BackendTest, nil, enc.Codec)
	require.NoError(t, err)
	addr, mnemonic, err := chain.CreateKey(kr, chain.KeyName)
	require.NoError(t, err)
	require.Len(t, strings.Fields(mnemonic), 24)
	_, _, err = chain.CreateKey(kr, chain.KeyName)
	require.ErrorContains(t, err, "already exists")

	kr2, err := chain.OpenKeyring(home, keyring.BackendTest, nil, enc.Codec)
	require.NoError(t, err)
	got, err := chain.KeyAddress(kr2, chain.KeyName)
	require.NoError(t, err)
	require.Equal(t, addr, got)
	_, err = chain.OpenKeyring(home, "kwallet", nil, enc.Codec)
	require.Error(t, err)
}
