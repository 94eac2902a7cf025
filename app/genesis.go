package app

import (
	"encoding/json"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/epochs"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	ica "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts"
	icagenesistypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/genesis/types"

	daotypes "github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
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
// all read the basic manager. So does the ICA host allow list (meshICABasic).

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

// ICAHostAllowMessages is the ICA host allow list of a new meshd chain: the
// messages a remote controller (a DAO or a wallet on another chain) needs to
// use meshd through its interchain account, and nothing else. ibc-go's
// default, "*", would also let a controller run messages meant for node
// operators and workers (x/compute, x/staking, x/wasm …) from an account that
// no key on meshd controls.
//
// The list is a starting point, not a constant of the chain: the ICA host
// params stay governance-settable through ibc-go's
// /ibc.applications.interchain_accounts.host.v1.MsgUpdateParams signed by
// the x/gov authority (the ICA host keeper is built with govAuthority()).
// The v2 upgrade writes this list on a chain still at "*" (app/upgrades/v2).
func ICAHostAllowMessages() []string {
	return []string{
		// x/inference: request a job; max_fee is escrowed from the interchain account.
		sdk.MsgTypeURL(&inferencetypes.MsgRequestInference{}),
		// x/pool: bond tokens into a provider's pool ...
		sdk.MsgTypeURL(&pooltypes.MsgDelegate{}),
		// ... and unbond them (paid out to the interchain account at completion) ...
		sdk.MsgTypeURL(&pooltypes.MsgUndelegate{}),
		// ... and claim the pool rewards earned meanwhile.
		sdk.MsgTypeURL(&pooltypes.MsgClaim{}),
		// x/bank: move tokens off the interchain account.
		sdk.MsgTypeURL(&banktypes.MsgSend{}),
		// x/dao: lock MESH for voting power ...
		sdk.MsgTypeURL(&daotypes.MsgLock{}),
		// ... extend the lock and take the MESH back when it ends ...
		sdk.MsgTypeURL(&daotypes.MsgExtendLock{}),
		sdk.MsgTypeURL(&daotypes.MsgUnlock{}),
		// ... and vote on DAO proposals with it.
		sdk.MsgTypeURL(&daotypes.MsgVote{}),
	}
}

// meshICABasic is interchain accounts' basic module with the host allow list
// of ICAHostAllowMessages in its default genesis instead of "*".
type meshICABasic struct{ ica.AppModuleBasic }

// DefaultGenesis returns ibc-go's default ICA genesis with meshd's host allow list.
func (meshICABasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gen := icagenesistypes.DefaultGenesis()
	gen.HostGenesisState.Params.AllowMessages = ICAHostAllowMessages()
	return cdc.MustMarshalJSON(gen)
}
