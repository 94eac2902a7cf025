// Package chain is meshd-worker's only way to the chain: a gRPC client that
// queries x/compute, x/inference, x/training, auth and the tx service, and
// signs and broadcasts the worker's transactions. It never imports a keeper
// or the app: the codec is built here from the SDK's std types, auth,
// feegrant and the x/compute, x/inference and x/training types.
package chain

import (
	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"
	sdk "github.com/cosmos/cosmos-sdk/types"
	signingtypes "github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	"github.com/cosmos/cosmos-sdk/x/tx/signing"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// meshd's address prefixes (DESIGN.md §1), kept here because off-chain code
// does not import app/.
const (
	Bech32PrefixAccAddr  = "mesh"
	Bech32PrefixAccPub   = Bech32PrefixAccAddr + sdk.PrefixPublic
	Bech32PrefixValAddr  = Bech32PrefixAccAddr + sdk.PrefixValidator + sdk.PrefixOperator
	Bech32PrefixValPub   = Bech32PrefixValAddr + sdk.PrefixPublic
	Bech32PrefixConsAddr = Bech32PrefixAccAddr + sdk.PrefixValidator + sdk.PrefixConsensus
	Bech32PrefixConsPub  = Bech32PrefixConsAddr + sdk.PrefixPublic

	// DefaultGasPrices matches a new meshd node's minimum gas prices.
	DefaultGasPrices = "0.0025umesh"
	// DefaultGasAdjustment multiplies the simulated gas.
	DefaultGasAdjustment = 1.5
	// KeyName is the worker key's name in its keyring.
	KeyName = "worker"
)

// AddressCodec encodes account addresses with meshd's prefix, independently
// of the SDK's global config.
var AddressCodec = address.NewBech32Codec(Bech32PrefixAccAddr)

// SetSDKConfig points the SDK's global address config at meshd's prefixes;
// the binary calls it first thing so that every sdk.AccAddress prints as
// mesh1… (the tx builder formats the fee granter that way). Dial calls it
// too; it is a no-op once set.
func SetSDKConfig() {
	cfg := sdk.GetConfig()
	if cfg.GetBech32AccountAddrPrefix() == Bech32PrefixAccAddr {
		return
	}
	cfg.SetBech32PrefixForAccount(Bech32PrefixAccAddr, Bech32PrefixAccPub)
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
}

// Encoding is the worker's codec set.
type Encoding struct {
	InterfaceRegistry codectypes.InterfaceRegistry
	Codec             *codec.ProtoCodec
	TxConfig          client.TxConfig
}

// NewEncoding builds the registry (std + auth + feegrant + x/compute +
// x/inference + x/training) and a SIGN_MODE_DIRECT tx config.
func NewEncoding() (Encoding, error) {
	ir, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          AddressCodec,
			ValidatorAddressCodec: address.NewBech32Codec(Bech32PrefixValAddr),
		},
	})
	if err != nil {
		return Encoding{}, err
	}
	std.RegisterInterfaces(ir)
	authtypes.RegisterInterfaces(ir)
	feegrant.RegisterInterfaces(ir)
	computetypes.RegisterInterfaces(ir)
	inferencetypes.RegisterInterfaces(ir)
	trainingtypes.RegisterInterfaces(ir)
	cdc := codec.NewProtoCodec(ir)
	txCfg := authtx.NewTxConfig(cdc, []signingtypes.SignMode{signingtypes.SignMode_SIGN_MODE_DIRECT})
	return Encoding{InterfaceRegistry: ir, Codec: cdc, TxConfig: txCfg}, nil
}
