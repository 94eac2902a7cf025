package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/rewards/types"
)

// testKeyring returns an in-memory keyring holding one key, "provider-2".
func testKeyring(t *testing.T, cdc codec.Codec) (keyring.Keyring, string) {
	t.Helper()
	kr := keyring.NewInMemory(cdc)
	rec, _, err := kr.NewMnemonic("provider-2", keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	require.NoError(t, err)
	addr, err := rec.GetAddress()
	require.NoError(t, err)
	return kr, addr.String()
}

func TestResolveAccount(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	kr, keyAddr := testKeyring(t, enc.Codec)
	other := sdk.AccAddress("alice_______________").String()
	withKeyring := client.Context{}.WithKeyring(kr)

	for _, tc := range []struct {
		name    string
		ctx     client.Context
		args    []string
		from    string
		want    string
		wantErr string
	}{
		{name: "address argument, not in the keyring", ctx: withKeyring, args: []string{other}, want: other},
		{name: "address argument without a keyring", ctx: client.Context{}, args: []string{other}, want: other},
		{name: "key name argument", ctx: withKeyring, args: []string{"provider-2"}, want: keyAddr},
		{name: "--from key name", ctx: withKeyring, from: "provider-2", want: keyAddr},
		{name: "--from address", ctx: withKeyring, from: other, want: other},
		{name: "default key of client.toml", ctx: withKeyring.WithKeyringDefaultKeyName("provider-2"), want: keyAddr},
		{name: "argument wins over the default key", ctx: withKeyring.WithKeyringDefaultKeyName("provider-2"), args: []string{other}, want: other},
		{name: "unknown key name", ctx: withKeyring, args: []string{"bob"}, wantErr: `"bob" is neither a bech32 address nor a key in the keyring`},
		{name: "key name without a keyring", ctx: client.Context{}, args: []string{"provider-2"}, wantErr: "no keyring is open"},
		{name: "nothing given", ctx: withKeyring, wantErr: "no account: give an address or key name, or --from"},
		{name: "argument and --from", ctx: withKeyring, args: []string{other}, from: "provider-2", wantErr: "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveAccount(tc.ctx, tc.args, tc.from)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// fakeQuery answers Pending with a fixed response and records the request.
type fakeQuery struct {
	types.UnimplementedQueryServer
	got *types.QueryPendingRequest
}

func (f *fakeQuery) Pending(_ context.Context, req *types.QueryPendingRequest) (*types.QueryPendingResponse, error) {
	f.got = req
	return &types.QueryPendingResponse{
		Amount:       sdk.NewCoins(sdk.NewInt64Coin("umesh", 1234)),
		Epochs:       2,
		CurrentEpoch: 5,
		OpenPoints:   []types.CategoryPoints{{Category: types.CategoryPoC, Points: 1500}},
		ToPool:       true,
	}, nil
}

// TestPendingCmd runs the real command against an in-process gRPC server
// (no network): the key name given as --from becomes the queried address
// and the response is printed.
func TestPendingCmd(t *testing.T) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	kr, keyAddr := testKeyring(t, enc.Codec)
	grpcCodec := codec.NewProtoCodec(enc.InterfaceRegistry).GRPCCodec()

	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(grpc.ForceServerCodec(grpcCodec))
	fake := &fakeQuery{}
	types.RegisterQueryServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(grpcCodec)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	run := func(args ...string) (string, error) {
		out := &bytes.Buffer{}
		clientCtx := client.Context{}.WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
			WithKeyring(kr).WithGRPCClient(conn).WithOutput(out)
		cmd := NewPendingCmd()
		cmd.SetArgs(args)
		cmd.SetOut(out)
		cmd.SetErr(out)
		ctx := context.WithValue(context.Background(), client.ClientContextKey, &clientCtx)
		err := cmd.ExecuteContext(ctx)
		return out.String(), err
	}

	out, err := run("--from", "provider-2", "-o", "json")
	require.NoError(t, err)
	require.Equal(t, keyAddr, fake.got.Account)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Equal(t, []any{map[string]any{"denom": "umesh", "amount": "1234"}}, res["amount"])
	require.Equal(t, "5", res["current_epoch"])
	require.Equal(t, true, res["to_pool"])

	other := sdk.AccAddress("alice_______________").String()
	_, err = run(other, "-o", "json")
	require.NoError(t, err)
	require.Equal(t, other, fake.got.Account)

	fake.got = nil
	_, err = run("-o", "json")
	require.ErrorContains(t, err, "no account")
	require.Nil(t, fake.got, "nothing queried without an account")

	_, err = run(other, other)
	require.Error(t, err, "at most one argument")
}
