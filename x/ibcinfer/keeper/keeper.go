// Package keeper holds x/ibcinfer's state and logic: it turns an ICS-20
// packet with an inference memo into an x/inference job, and writes the
// packet's acknowledgement when the job ends.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	porttypes "github.com/cosmos/ibc-go/v11/modules/core/05-port/types"

	"github.com/llmesh/mesh/x/ibcinfer/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Keeper of x/ibcinfer. It is used by pointer: the IBC stack sets the
// ICS4Wrapper (the middleware above it, which writes acknowledgements and
// sends packets) after the keeper is built.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	ac           address.Codec
	inference    types.InferenceKeeper
	bank         types.BankKeeper
	transfer     types.TransferKeeper
	ics4         porttypes.ICS4Wrapper
	authority    string

	Schema collections.Schema
	// Params of the module.
	Params collections.Item[types.Params]
	// PendingAcks by job id: packets whose acknowledgement waits for the job.
	PendingAcks collections.Map[uint64, types.PendingAck]
	// Refunds in flight by (channel, sequence) of the refund packet.
	Refunds collections.Map[collections.Pair[string, uint64], types.Refund]
}

// NewKeeper returns the x/ibcinfer keeper. It panics on an invalid
// authority: the app is mis-wired and cannot start.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ac address.Codec,
	inference types.InferenceKeeper, bank types.BankKeeper, transfer types.TransferKeeper, authority string,
) *Keeper {
	if _, err := ac.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid x/ibcinfer authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		cdc:          cdc,
		storeService: storeService,
		ac:           ac,
		inference:    inference,
		bank:         bank,
		transfer:     transfer,
		authority:    authority,

		Params:      collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		PendingAcks: collections.NewMap(sb, types.PendingAcksKey, "pending_acks", collections.Uint64Key, codec.CollValue[types.PendingAck](cdc)),
		Refunds: collections.NewMap(sb, types.RefundsKey, "refunds",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), codec.CollValue[types.Refund](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// SetICS4Wrapper sets the wrapper acknowledgements are written and refunds
// sent through: the middleware above x/ibcinfer on the transfer stack.
func (k *Keeper) SetICS4Wrapper(w porttypes.ICS4Wrapper) { k.ics4 = w }

// GetAuthority returns the account allowed to update params.
func (k *Keeper) GetAuthority() string { return k.authority }

// SetParams validates and stores params.
func (k *Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}

// UpdateParams is MsgUpdateParams: the authority only, then SetParams and
// EventParamsUpdated.
func (k *Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidSigner,
		func() error { return k.SetParams(ctx, p) }, &types.EventParamsUpdated{Authority: authority})
}

// Logger returns the module's logger.
func (k *Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

func (k *Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.ac, a) }

func (k *Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.ac, s, types.ErrInvalidAddress)
}
