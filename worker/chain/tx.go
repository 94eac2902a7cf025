package chain

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/grpc/status"

	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// maxSequenceRetries bounds the re-signs after "account sequence mismatch".
const maxSequenceRetries = 3

// CommitPoC implements Chain.
func (c *Client) CommitPoC(ctx context.Context, epoch int64, root []byte, timeoutHeight int64) (string, error) {
	return c.Broadcast(ctx, timeoutHeight, &computetypes.MsgCommitPoC{Worker: c.addr, Epoch: epoch, Root: root})
}

// RevealPoC implements Chain.
func (c *Client) RevealPoC(ctx context.Context, epoch int64, rows []computetypes.RevealedRow, timeoutHeight int64) (string, error) {
	return c.Broadcast(ctx, timeoutHeight, &computetypes.MsgRevealPoC{Worker: c.addr, Epoch: epoch, Rows: rows})
}

// UnjailWorker implements Chain.
func (c *Client) UnjailWorker(ctx context.Context) (string, error) {
	return c.Broadcast(ctx, 0, &computetypes.MsgUnjailWorker{Signer: c.addr, Worker: c.addr})
}

// Broadcast signs msgs with the worker key (SIGN_MODE_DIRECT, fees from the
// fee granter when set, gas = simulated × adjustment) and broadcasts them in
// sync mode. It returns the tx hash once CheckTx accepted the tx, or a
// *TxError. The local sequence is bumped after every accepted tx and
// re-read after a sequence mismatch.
func (c *Client) Broadcast(ctx context.Context, timeoutHeight int64, msgs ...sdk.Msg) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for try := 0; ; try++ {
		hash, err := c.broadcastOnce(ctx, timeoutHeight, msgs)
		if err == nil {
			c.seq++
			return hash, nil
		}
		expected, mismatch := sequenceMismatch(err)
		if !mismatch || try >= maxSequenceRetries {
			return "", err
		}
		if expected >= 0 {
			c.log.Info("account sequence mismatch, re-signing", "had", c.seq, "expected", expected)
			c.seq = uint64(expected)
		} else {
			c.log.Info("account sequence mismatch, re-reading the account", "had", c.seq)
			c.haveAcc = false
		}
	}
}

func (c *Client) broadcastOnce(ctx context.Context, timeoutHeight int64, msgs []sdk.Msg) (string, error) {
	if !c.haveAcc {
		if err := c.loadAccount(ctx); err != nil {
			return "", err
		}
	}
	f := clienttx.Factory{}.
		WithTxConfig(c.enc.TxConfig).
		WithKeybase(c.cfg.Keyring).
		WithFromName(c.cfg.KeyName).
		WithChainID(c.cfg.ChainID).
		WithAccountNumber(c.accNum).
		WithSequence(c.seq).
		WithSignMode(signing.SignMode_SIGN_MODE_DIRECT).
		WithFeeGranter(c.granter).
		WithSimulateAndExecute(true) // simulate with the key's real public key
	if timeoutHeight > 0 {
		f = f.WithTimeoutHeight(uint64(timeoutHeight))
	}
	simTx, err := f.BuildSimTx(msgs...)
	if err != nil {
		return "", err
	}
	sim, err := call(ctx, c, "simulate", func(ctx context.Context) (*txtypes.SimulateResponse, error) {
		return c.txs.Simulate(ctx, &txtypes.SimulateRequest{TxBytes: simTx})
	})
	if err != nil {
		if st, ok := status.FromError(err); ok && !Unreachable(err) {
			return "", &SimulationError{Msg: st.Message()}
		}
		return "", fmt.Errorf("simulate: %w", err)
	}
	if sim.GasInfo == nil {
		return "", errors.New("simulate: no gas info")
	}
	gas := uint64(math.Ceil(float64(sim.GasInfo.GasUsed) * c.cfg.GasAdjustment))
	f = f.WithGas(gas).WithGasPrices(c.cfg.GasPrices)
	builder, err := f.BuildUnsignedTx(msgs...)
	if err != nil {
		return "", err
	}
	if err := clienttx.Sign(ctx, f, c.cfg.KeyName, builder, true); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	txBytes, err := c.enc.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return "", err
	}
	// Re-sending the same bytes after a lost answer is harmless: the node
	// says "tx already in mempool", handled below.
	res, err := call(ctx, c, "broadcast", func(ctx context.Context) (*txtypes.BroadcastTxResponse, error) {
		return c.txs.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: txBytes, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	})
	if err != nil {
		return "", fmt.Errorf("broadcast: %w", err)
	}
	r := res.TxResponse
	if r == nil {
		return "", errors.New("broadcast: empty response")
	}
	if r.Code != 0 {
		txErr := &TxError{Codespace: r.Codespace, Code: r.Code, Log: r.RawLog}
		if errors.Is(txErr, sdkerrors.ErrTxInMempoolCache) {
			return r.TxHash, nil
		}
		return "", txErr
	}
	c.log.Debug("tx accepted", "hash", r.TxHash, "sequence", c.seq, "gas", gas, "fee", builder.GetTx().GetFee())
	return r.TxHash, nil
}

// loadAccount reads the worker's account number and sequence.
func (c *Client) loadAccount(ctx context.Context) error {
	res, err := call(ctx, c, "account", func(ctx context.Context) (*authtypes.QueryAccountInfoResponse, error) {
		return c.auth.AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: c.addr})
	})
	if err != nil {
		return fmt.Errorf("account %s: %w (a fee grant or a transfer creates it)", c.addr, err)
	}
	if res.Info == nil {
		return fmt.Errorf("account %s: empty answer", c.addr)
	}
	c.accNum, c.seq, c.haveAcc = res.Info.AccountNumber, res.Info.Sequence, true
	return nil
}

var expectedSeq = regexp.MustCompile(`account sequence mismatch, expected (\d+)`)

// sequenceMismatch recognises the ante handler's sequence error, whether it
// came back from CheckTx (a *TxError) or from simulation (a gRPC status),
// and returns the sequence the node expects (-1 when it did not say).
func sequenceMismatch(err error) (expected int64, ok bool) {
	if !errors.Is(err, sdkerrors.ErrWrongSequence) && !strings.Contains(err.Error(), "account sequence mismatch") {
		return 0, false
	}
	if m := expectedSeq.FindStringSubmatch(err.Error()); m != nil {
		if n, perr := strconv.ParseInt(m[1], 10, 64); perr == nil {
			return n, true
		}
	}
	return -1, true
}
