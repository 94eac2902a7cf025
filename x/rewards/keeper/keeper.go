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

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

// Keeper of x/rewards. The module account holds the pot (undistributed
// coins) and what closed epochs still owe (Outstanding); the pot is never
// stored, it is the balance less Outstanding.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	ak           types.AccountKeeper
	bank         types.BankKeeper
	pool         types.PoolKeeper
	authority    string
	feeCollector string

	Schema collections.Schema
	// Params of the module.
	Params collections.Item[types.Params]
	// CurrentEpoch is the open epoch.
	CurrentEpoch collections.Item[uint64]
	// Epochs holds the summary of every epoch, open and closed.
	Epochs collections.Map[uint64, types.EpochSummary]
	// Points holds unclaimed points by (account, epoch, category).
	Points collections.Map[collections.Triple[sdk.AccAddress, uint64, string], uint64]
	// Contributors holds each account's arrival index by (category, account).
	Contributors collections.Map[collections.Pair[string, sdk.AccAddress], uint64]
	// ContributorCount holds the number of contributors by category.
	ContributorCount collections.Map[string, uint64]
	// Outstanding is Σ (reserved − claimed) over closed epochs.
	Outstanding collections.Item[types.Balance]
}

// NewKeeper returns the x/rewards keeper. feeCollector is the module account
// that x/mint mints into and the ante handler collects fees into
// (authtypes.FeeCollectorName). It panics on an invalid authority or on
// missing module accounts: the app is mis-wired and cannot start.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ak types.AccountKeeper, bank types.BankKeeper,
	pool types.PoolKeeper, feeCollector, authority string,
) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid x/rewards authority %q: %w", authority, err))
	}
	for _, name := range []string{types.ModuleName, types.TreasuryModuleName, types.ProtocolFeeAccount, feeCollector} {
		if ak.GetModuleAddress(name) == nil {
			panic(fmt.Errorf("x/rewards: module account %q is not registered", name))
		}
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:          cdc,
		storeService: storeService,
		ak:           ak,
		bank:         bank,
		pool:         pool,
		authority:    authority,
		feeCollector: feeCollector,

		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		CurrentEpoch: collections.NewItem(sb, types.CurrentEpochKey, "current_epoch", collections.Uint64Value),
		Epochs:       collections.NewMap(sb, types.EpochsKey, "epochs", collections.Uint64Key, codec.CollValue[types.EpochSummary](cdc)),
		Points: collections.NewMap(sb, types.PointsKey, "points",
			collections.TripleKeyCodec(sdk.AccAddressKey, collections.Uint64Key, collections.StringKey), collections.Uint64Value),
		Contributors: collections.NewMap(sb, types.ContributorsKey, "contributors",
			collections.PairKeyCodec(collections.StringKey, sdk.AccAddressKey), collections.Uint64Value),
		ContributorCount: collections.NewMap(sb, types.ContributorCountKey, "contributor_count", collections.StringKey, collections.Uint64Value),
		Outstanding:      collections.NewItem(sb, types.OutstandingKey, "outstanding", codec.CollValue[types.Balance](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the account allowed to update params.
func (k Keeper) GetAuthority() string { return k.authority }

// AddressCodec returns the account address codec.
func (k Keeper) AddressCodec() address.Codec { return k.ak.AddressCodec() }

// SetParams validates and stores params.
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}

// UpdateParams is MsgUpdateParams: the authority only, then SetParams and
// EventParamsUpdated.
func (k Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidSigner,
		func() error { return k.SetParams(ctx, p) }, &types.EventParamsUpdated{Authority: authority})
}

// outstanding returns Σ (reserved − claimed) over closed epochs.
func (k Keeper) outstanding(ctx context.Context) (sdk.Coins, error) {
	b, err := k.Outstanding.Get(ctx)
	if err != nil {
		return nil, err
	}
	return b.Coins, nil
}

// Pot returns the undistributed coins: the module balance less Outstanding.
// Should the balance ever be below Outstanding (it cannot through this
// module), the pot is empty rather than negative.
func (k Keeper) Pot(ctx context.Context) (pot, owed sdk.Coins, err error) {
	owed, err = k.outstanding(ctx)
	if err != nil {
		return nil, nil, err
	}
	balance := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(types.ModuleName))
	pot = sdk.NewCoins()
	for _, c := range balance {
		if rest := c.Amount.Sub(owed.AmountOf(c.Denom)); rest.IsPositive() {
			pot = pot.Add(sdk.NewCoin(c.Denom, rest))
		}
	}
	return pot, owed, nil
}

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

func (k Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.ak.AddressCodec(), a) }

func (k Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.ak.AddressCodec(), s, types.ErrInvalidAddress)
}
