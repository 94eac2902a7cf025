package app

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// GenesisState is the app state of a genesis file: module name → raw JSON.
type GenesisState map[string]json.RawMessage

// Default genesis denoms: staking, mint and gov take sdk.DefaultBondDenom,
// which this package sets to umesh in init (config.go); the bank module's
// default genesis is overridden below to carry the MESH metadata. Both reach
// `meshd init`, `testnet init-files` and DefaultGenesis alike because they
// all read the basic manager.

// MeshDenomMetadata is the bank metadata of MESH: wallets show `mesh` with
// 6 decimals while the chain counts in `umesh`.
func MeshDenomMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: "The native staking, fee and governance token of meshd.",
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"micromesh"}},
			{Denom: "mmesh", Exponent: 3, Aliases: []string{"millimesh"}},
			{Denom: DisplayDenom, Exponent: DenomExponent},
		},
		Base:    BondDenom,
		Display: DisplayDenom,
		Name:    "Mesh",
		Symbol:  "MESH",
	}
}

// meshBankBasic is x/bank's basic module with MESH metadata in its default genesis.
type meshBankBasic struct{ bank.AppModuleBasic }

// DefaultGenesis returns bank's default genesis plus the MESH denom metadata.
func (meshBankBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gen := banktypes.DefaultGenesisState()
	gen.DenomMetadata = []banktypes.Metadata{MeshDenomMetadata()}
	return cdc.MustMarshalJSON(gen)
}
