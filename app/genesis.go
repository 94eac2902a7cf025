package app

import (
	"encoding/json"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"
)

const (
	// ComputeEpochIdentifier is the x/epochs epoch that drives proof-of-compute.
	ComputeEpochIdentifier = "compute"
	// DefaultComputeEpoch is the compute epoch's duration in the default
	// genesis; the localnet shortens it (networks/local/genesis.jq).
	DefaultComputeEpoch = 10 * time.Minute
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

// meshEpochsBasic is x/epochs' basic module with the compute epoch added to
// its default genesis.
type meshEpochsBasic struct{ epochs.AppModule }

// DefaultGenesis returns the SDK's default epochs plus the compute epoch.
func (meshEpochsBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gen := epochstypes.DefaultGenesis()
	gen.Epochs = append(gen.Epochs, epochstypes.NewGenesisEpochInfo(ComputeEpochIdentifier, DefaultComputeEpoch))
	return cdc.MustMarshalJSON(gen)
}
