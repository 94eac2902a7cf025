package app

import (
	"os"
	"path/filepath"

	sdk "github.com/cosmos/cosmos-sdk/types"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"
)

const (
	// AppName is the name baseapp reports and the CLI uses.
	AppName = "meshd"

	// Bech32Prefix is the human-readable part of every meshd account address.
	Bech32Prefix = "mesh"

	// BondDenom is the base denomination of MESH (1 MESH = 10^6 umesh).
	BondDenom = "umesh"
	// DisplayDenom is the denomination wallets show.
	DisplayDenom = "mesh"
	// DenomExponent is the number of decimals between DisplayDenom and BondDenom.
	DenomExponent = 6

	// LocalChainID is the chain-id of the single-node development network.
	LocalChainID = "mesh-local-1"

	// DefaultMinGasPrices is written into a new node's app.toml.
	DefaultMinGasPrices = "0.0025" + BondDenom
)

// Bech32 prefixes derived from Bech32Prefix, following the SDK convention.
var (
	Bech32PrefixAccAddr  = Bech32Prefix
	Bech32PrefixAccPub   = Bech32Prefix + sdk.PrefixPublic
	Bech32PrefixValAddr  = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixOperator
	Bech32PrefixValPub   = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixOperator + sdk.PrefixPublic
	Bech32PrefixConsAddr = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixConsensus
	Bech32PrefixConsPub  = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixConsensus + sdk.PrefixPublic
)

// DefaultNodeHome is where meshd keeps its config and data unless --home says otherwise.
var DefaultNodeHome = defaultNodeHome()

func defaultNodeHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".meshd"
	}
	return filepath.Join(home, ".meshd")
}

// SetAddressConfig sets the global SDK config to meshd's bech32 prefixes.
// It is idempotent so that tests and the CLI may both call it; the first
// caller that seals the config wins.
func SetAddressConfig() {
	cfg := sdk.GetConfig()
	if cfg.GetBech32AccountAddrPrefix() == Bech32PrefixAccAddr {
		return
	}
	cfg.SetBech32PrefixForAccount(Bech32PrefixAccAddr, Bech32PrefixAccPub)
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
	// Contract addresses are 32 bytes; accounts 20. wasmd's verifier accepts both.
	cfg.SetAddressVerifier(wasmtypes.VerifyAddressLen())
}

func init() {
	SetAddressConfig()
	sdk.DefaultBondDenom = BondDenom
}
