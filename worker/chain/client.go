package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Config configures a Client.
type Config struct {
	// GRPCAddr is the node's gRPC address, e.g. 127.0.0.1:9090.
	GRPCAddr string
	ChainID  string
	// Keyring holds the worker key, named KeyName.
	Keyring keyring.Keyring
	KeyName string
	// FeeGranter (mesh1…, optional) pays the worker's fees through x/feegrant.
	FeeGranter string
	// GasPrices (e.g. 0.0025umesh) sets fee = ⌈gas × price⌉; DefaultGasPrices when empty.
	GasPrices string
	// GasAdjustment multiplies the simulated gas; DefaultGasAdjustment when 0.
	GasAdjustment float64
	// RequestTimeout bounds one gRPC call; 10s when 0.
	RequestTimeout time.Duration
	// Backoff is the first retry delay when the node is unreachable (doubled up
	// to MaxBackoff), both for a call and for redialing the node; 250ms and
	// 10s when 0.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts bounds the tries of one call while the node is unreachable; 6 when 0.
	MaxAttempts int
	Logger      *slog.Logger
}

// Client talks to one node over gRPC.
type Client struct {
	cfg       Config
	enc       Encoding
	conn      *grpc.ClientConn
	compute   computetypes.QueryClient
	inference inferencetypes.QueryClient
	auth      authtypes.QueryClient
	txs       txtypes.ServiceClient
	log       *slog.Logger
	addr      string
	addrBytes sdk.AccAddress
	granter   sdk.AccAddress
	gasPrices sdk.DecCoins

	// mu serialises broadcasts: they share the account sequence.
	mu      sync.Mutex
	haveAcc bool
	accNum  uint64
	seq     uint64
}

var _ Chain = (*Client)(nil)

// Dial prepares a client; the connection itself is made lazily (and remade)
// by gRPC, so Dial succeeds while the node is still down.
func Dial(cfg Config) (*Client, error) {
	if cfg.GRPCAddr == "" || cfg.ChainID == "" || cfg.Keyring == nil {
		return nil, errors.New("chain: grpc address, chain id and keyring are required")
	}
	SetSDKConfig()
	if cfg.KeyName == "" {
		cfg.KeyName = KeyName
	}
	if cfg.GasPrices == "" {
		cfg.GasPrices = DefaultGasPrices
	}
	if cfg.GasAdjustment == 0 {
		cfg.GasAdjustment = DefaultGasAdjustment
	}
	if cfg.GasAdjustment < 1 {
		return nil, fmt.Errorf("chain: gas adjustment %v < 1", cfg.GasAdjustment)
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	gasPrices, err := sdk.ParseDecCoins(cfg.GasPrices)
	if err != nil {
		return nil, fmt.Errorf("chain: gas prices %q: %w", cfg.GasPrices, err)
	}
	enc, err := NewEncoding()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, enc: enc, log: cfg.Logger, gasPrices: gasPrices}
	if c.addr, err = KeyAddress(cfg.Keyring, cfg.KeyName); err != nil {
		return nil, err
	}
	if c.addrBytes, err = AddressCodec.StringToBytes(c.addr); err != nil {
		return nil, err
	}
	if cfg.FeeGranter != "" {
		if c.granter, err = AddressCodec.StringToBytes(cfg.FeeGranter); err != nil {
			return nil, fmt.Errorf("chain: fee granter: %w", err)
		}
	}
	c.conn, err = grpc.NewClient(cfg.GRPCAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// gRPC redials a lost node with its own backoff, by default 1 s
		// growing 1.6× per failed dial up to 120 s: a node back after a 20 s
		// restart was redialed 9 s later (longer outages wait longer), while
		// a reveal window is a few blocks. Redial on the client's own
		// schedule (Backoff doubling to MaxBackoff) instead.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{BaseDelay: cfg.Backoff, Multiplier: 2, Jitter: 0.2, MaxDelay: cfg.MaxBackoff},
			// A node that accepts and then hangs (SIGSTOP) holds one dial this long.
			MinConnectTimeout: cfg.RequestTimeout,
		}),
		// gogoproto messages need the SDK's codec, as in the SDK's own client.
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.GRPCCodec())),
	)
	if err != nil {
		return nil, err
	}
	c.compute = computetypes.NewQueryClient(c.conn)
	c.inference = inferencetypes.NewQueryClient(c.conn)
	c.auth = authtypes.NewQueryClient(c.conn)
	c.txs = txtypes.NewServiceClient(c.conn)
	return c, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Address implements Chain.
func (c *Client) Address() string { return c.addr }

// Encoding returns the client's codecs.
func (c *Client) Encoding() Encoding { return c.enc }

// Height implements Chain with x/compute's Epoch query, which carries the
// height it was answered at.
func (c *Client) Height(ctx context.Context) (int64, error) {
	res, err := call(ctx, c, "epoch", func(ctx context.Context) (*computetypes.QueryEpochResponse, error) {
		return c.compute.Epoch(ctx, &computetypes.QueryEpochRequest{})
	})
	if err != nil {
		return 0, err
	}
	return res.Height, nil
}

// Challenge implements Chain.
func (c *Client) Challenge(ctx context.Context, epoch int64) (*computetypes.QueryChallengeResponse, error) {
	return call(ctx, c, "challenge", func(ctx context.Context) (*computetypes.QueryChallengeResponse, error) {
		return c.compute.Challenge(ctx, &computetypes.QueryChallengeRequest{Worker: c.addr, Epoch: epoch})
	})
}

// Worker implements Chain.
func (c *Client) Worker(ctx context.Context) (computetypes.Worker, error) {
	res, err := call(ctx, c, "worker", func(ctx context.Context) (*computetypes.QueryWorkerResponse, error) {
		return c.compute.Worker(ctx, &computetypes.QueryWorkerRequest{Address: c.addr})
	})
	if err != nil {
		return computetypes.Worker{}, err
	}
	return res.Worker, nil
}

// TxResult implements Chain.
func (c *Client) TxResult(ctx context.Context, hash string) (TxResult, error) {
	res, err := call(ctx, c, "get tx", func(ctx context.Context) (*txtypes.GetTxResponse, error) {
		return c.txs.GetTx(ctx, &txtypes.GetTxRequest{Hash: hash})
	})
	if status.Code(err) == codes.NotFound {
		return TxResult{}, nil
	}
	if err != nil {
		return TxResult{}, err
	}
	r := res.TxResponse
	if r == nil {
		return TxResult{}, nil
	}
	out := TxResult{Found: true, Height: r.Height}
	if r.Code != 0 {
		out.Err = &TxError{Codespace: r.Codespace, Code: r.Code, Log: r.RawLog}
	}
	return out, nil
}

// Unreachable reports whether err means the node could not be reached (as
// opposed to the node answering with an error).
func Unreachable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// call runs fn with a per-attempt timeout and retries it with exponential
// backoff and jitter while the node is unreachable.
func call[T any](ctx context.Context, c *Client, what string, fn func(context.Context) (T, error)) (T, error) {
	delay := c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		res, err := fn(actx)
		cancel()
		if err == nil || !Unreachable(err) || ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
			if err != nil && ctx.Err() == nil && Unreachable(err) {
				err = fmt.Errorf("%s: node %s unreachable after %d attempts: %w", what, c.cfg.GRPCAddr, attempt, err)
			}
			return res, err
		}
		c.log.Debug("node unreachable, retrying", "call", what, "attempt", attempt, "in", delay, "err", err)
		if !sleep(ctx, delay+rand.N(delay/4+1)) {
			return res, ctx.Err()
		}
		delay = min(2*delay, c.cfg.MaxBackoff)
	}
}

// sleep waits d or until ctx is done, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
