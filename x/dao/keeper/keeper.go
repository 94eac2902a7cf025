package keeper

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log/v2"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Keeper of x/dao.
//
// Voting power is snapshotted with checkpoints, as in OpenZeppelin's
// ERC20Votes: every change of an account's own power, of a delegate's
// delegated power, of the total power and of an account's delegate writes
// the new value under (account, height). The value at a proposal's snapshot
// is the last checkpoint strictly below its submit height: one reverse seek,
// whatever the number of locks.
type Keeper struct {
	cdc          codec.Codec
	storeService corestore.KVStoreService
	ak           types.AccountKeeper
	bank         types.BankKeeper
	inference    types.InferenceKeeper
	router       types.MessageRouter
	authority    string

	Schema collections.Schema
	// Params of the module.
	Params collections.Item[types.Params]
	// NextProposalID is the id of the next proposal.
	NextProposalID collections.Sequence
	// Locks by owner.
	Locks collections.Map[sdk.AccAddress, types.Lock]
	// Delegations: delegator → delegate (address bytes) in force.
	Delegations collections.Map[sdk.AccAddress, []byte]
	// DelegatorsByDelegate indexes Delegations by (delegate, delegator).
	DelegatorsByDelegate collections.KeySet[collections.Pair[sdk.AccAddress, sdk.AccAddress]]
	// Proposals by id.
	Proposals collections.Map[uint64, types.Proposal]
	// Votes by (proposal, voter).
	Votes collections.Map[collections.Pair[uint64, sdk.AccAddress], types.Vote]
	// OwnPower checkpoints: (account, height) → own lock power from that height.
	OwnPower collections.Map[collections.Pair[sdk.AccAddress, int64], math.Int]
	// DelegatedPower checkpoints: (delegate, height) → Σ own power of its delegators.
	DelegatedPower collections.Map[collections.Pair[sdk.AccAddress, int64], math.Int]
	// TotalPower checkpoints: height → Σ own power of all locks.
	TotalPower collections.Map[int64, math.Int]
	// DelegationHistory checkpoints: (delegator, height) → delegate (empty = none).
	DelegationHistory collections.Map[collections.Pair[sdk.AccAddress, int64], []byte]
	// Overrides: (proposal, delegate) → own power of delegators that voted themselves.
	Overrides collections.Map[collections.Pair[uint64, sdk.AccAddress], math.Int]
	// VotingQueue: (voting_end, id) of proposals in VOTING.
	VotingQueue collections.KeySet[collections.Pair[time.Time, uint64]]
	// ExecutionQueue: (expiry, id) of PASSED proposals.
	ExecutionQueue collections.KeySet[collections.Pair[time.Time, uint64]]
	// AnalysisJobs: x/inference job id → proposal id.
	AnalysisJobs collections.Map[uint64, uint64]
}

// NewKeeper returns the x/dao keeper. router executes passed proposals'
// messages (the app's MsgServiceRouter); inference opens analysis jobs (nil
// disables analysis). authority may update the x/dao params: the DAO module
// account itself, so only a passed proposal can. It panics on a bad
// authority or missing module accounts (the app is mis-wired).
func NewKeeper(cdc codec.Codec, storeService corestore.KVStoreService, ak types.AccountKeeper, bank types.BankKeeper,
	inference types.InferenceKeeper, router types.MessageRouter, authority string,
) Keeper {
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Errorf("invalid x/dao authority %q: %w", authority, err))
	}
	for _, name := range []string{types.ModuleName, types.EscrowAccount} {
		if ak.GetModuleAddress(name) == nil {
			panic(fmt.Errorf("x/dao: module account %q is not registered", name))
		}
	}
	sb := collections.NewSchemaBuilder(storeService)
	addrHeight := collections.PairKeyCodec(sdk.AccAddressKey, collections.Int64Key)
	intValue := sdk.IntValue
	k := Keeper{
		cdc: cdc, storeService: storeService, ak: ak, bank: bank, inference: inference, router: router, authority: authority,

		Params:         collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		NextProposalID: collections.NewSequence(sb, types.NextProposalIDKey, "next_proposal_id"),
		Locks:          collections.NewMap(sb, types.LocksKey, "locks", sdk.AccAddressKey, codec.CollValue[types.Lock](cdc)),
		Delegations:    collections.NewMap(sb, types.DelegationsKey, "delegations", sdk.AccAddressKey, collections.BytesValue),
		DelegatorsByDelegate: collections.NewKeySet(sb, types.DelegatorsByDelegateKey, "delegators_by_delegate",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey)),
		Proposals: collections.NewMap(sb, types.ProposalsKey, "proposals", collections.Uint64Key, codec.CollValue[types.Proposal](cdc)),
		Votes: collections.NewMap(sb, types.VotesKey, "votes",
			collections.PairKeyCodec(collections.Uint64Key, sdk.AccAddressKey), codec.CollValue[types.Vote](cdc)),
		OwnPower:          collections.NewMap(sb, types.OwnPowerKey, "own_power", addrHeight, intValue),
		DelegatedPower:    collections.NewMap(sb, types.DelegatedPowerKey, "delegated_power", addrHeight, intValue),
		TotalPower:        collections.NewMap(sb, types.TotalPowerKey, "total_power", collections.Int64Key, intValue),
		DelegationHistory: collections.NewMap(sb, types.DelegationHistoryKey, "delegation_history", addrHeight, collections.BytesValue),
		Overrides: collections.NewMap(sb, types.OverridesKey, "overrides",
			collections.PairKeyCodec(collections.Uint64Key, sdk.AccAddressKey), intValue),
		VotingQueue: collections.NewKeySet(sb, types.VotingQueueKey, "voting_queue",
			collections.PairKeyCodec(sdk.TimeKey, collections.Uint64Key)),
		ExecutionQueue: collections.NewKeySet(sb, types.ExecutionQueueKey, "execution_queue",
			collections.PairKeyCodec(sdk.TimeKey, collections.Uint64Key)),
		AnalysisJobs: collections.NewMap(sb, types.AnalysisJobsKey, "analysis_jobs", collections.Uint64Key, collections.Uint64Value),
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

// TreasuryAddress is the DAO module account.
func (k Keeper) TreasuryAddress() sdk.AccAddress { return k.ak.GetModuleAddress(types.ModuleName) }

// SetParams validates and stores params.
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}

// UpdateParams is MsgUpdateParams: the authority check, the lock_denom
// check, SetParams, the event.
func (k Keeper) UpdateParams(ctx context.Context, authority string, p types.Params) error {
	return kit.UpdateParams(ctx, k.authority, authority, types.ErrInvalidSigner,
		func() error { return k.setParamsKeepingLockDenom(ctx, p) }, &types.EventParamsUpdated{Authority: authority})
}

// setParamsKeepingLockDenom is SetParams, refused if lock_denom changes while
// locks exist.
func (k Keeper) setParamsKeepingLockDenom(ctx context.Context, p types.Params) error {
	// Locks do not record their denom: Unlock pays lock_denom, so changing
	// it while locks exist would pay them out of other escrowed tokens.
	old, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if p.LockDenom != old.LockDenom {
		it, err := k.Locks.Iterate(ctx, nil)
		if err != nil {
			return err
		}
		exists := it.Valid()
		it.Close()
		if exists {
			return errorsmod.Wrapf(types.ErrInvalidParams, "lock_denom cannot change from %s while locks exist", old.LockDenom)
		}
	}
	return k.SetParams(ctx, p)
}

// ---------------------------------------------------------------------------
// Checkpoints

// latestBelow returns the value of the last checkpoint of account strictly
// below height, or zero / nil if there is none.
func latestBelow[V any](ctx context.Context, m collections.Map[collections.Pair[sdk.AccAddress, int64], V],
	account sdk.AccAddress, height int64, zero V,
) (V, error) {
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, int64](account).EndExclusive(height).Descending()
	it, err := m.Iterate(ctx, rng)
	if err != nil {
		return zero, err
	}
	defer it.Close()
	if !it.Valid() {
		return zero, nil
	}
	return it.Value()
}

// OwnPowerAt is account's own lock power as of the blocks before height.
func (k Keeper) OwnPowerAt(ctx context.Context, account sdk.AccAddress, height int64) (math.Int, error) {
	return latestBelow(ctx, k.OwnPower, account, height, math.ZeroInt())
}

// DelegatedPowerAt is the own power of account's delegators as of the blocks before height.
func (k Keeper) DelegatedPowerAt(ctx context.Context, account sdk.AccAddress, height int64) (math.Int, error) {
	return latestBelow(ctx, k.DelegatedPower, account, height, math.ZeroInt())
}

// DelegateAt is account's delegate as of the blocks before height (nil: none).
func (k Keeper) DelegateAt(ctx context.Context, account sdk.AccAddress, height int64) (sdk.AccAddress, error) {
	bz, err := latestBelow(ctx, k.DelegationHistory, account, height, []byte(nil))
	if len(bz) == 0 {
		return nil, err
	}
	return bz, err
}

// TotalPowerAt is the total own power of all locks as of the blocks before height.
func (k Keeper) TotalPowerAt(ctx context.Context, height int64) (math.Int, error) {
	it, err := k.TotalPower.Iterate(ctx, new(collections.Range[int64]).EndExclusive(height).Descending())
	if err != nil {
		return math.ZeroInt(), err
	}
	defer it.Close()
	if !it.Valid() {
		return math.ZeroInt(), nil
	}
	return it.Value()
}

// currentBlock is the height new checkpoints are written under.
func currentBlock(ctx context.Context) int64 { return sdk.UnwrapSDKContext(ctx).BlockHeight() }

// ---------------------------------------------------------------------------
// Helpers

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger { return kit.Logger(ctx, types.ModuleName) }

func (k Keeper) addrString(a sdk.AccAddress) string { return kit.AddrString(k.ak.AddressCodec(), a) }

func (k Keeper) addrBytes(s string) (sdk.AccAddress, error) {
	return kit.AddrBytes(k.ak.AddressCodec(), s, types.ErrInvalidAddress)
}

// StableError is the text of err that x/dao stores in state (a failed
// proposal's result, an analysis error): the codespace, code and description
// of the registered error at its root, e.g. "sdk/5: insufficient funds".
// Wrapping messages are left out: handlers format them freely (an address
// codec error formatted with %v carries the file and line it was created at,
// which differ between builds) and state must be identical on every node.
// The full text goes to the node's log.
func StableError(err error) string {
	var root *errorsmod.Error
	if errors.As(err, &root) {
		return fmt.Sprintf("%s/%d: %s", root.Codespace(), root.ABCICode(), root.Error())
	}
	if msg := err.Error(); strings.HasPrefix(msg, "panic: ") || strings.Contains(msg, "no handler") {
		return msg // built here from plain strings
	}
	return "unregistered error"
}
