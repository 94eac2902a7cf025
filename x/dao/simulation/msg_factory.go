package simulation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	computesim "github.com/llmesh/mesh/x/compute/simulation"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/dao/keeper"
	"github.com/llmesh/mesh/x/dao/types"
	inferencesim "github.com/llmesh/mesh/x/inference/simulation"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	poolsim "github.com/llmesh/mesh/x/pool/simulation"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardssim "github.com/llmesh/mesh/x/rewards/simulation"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	trainingsim "github.com/llmesh/mesh/x/training/simulation"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// MsgLockFactory locks tokens for voting power: a new lock of at least
// min_lock, or a top-up of an existing one.
func MsgLockFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgLock] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgLock) {
		params := mustParams(ctx, k, reporter)
		from := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(sdk.NewCoin(params.LockDenom, params.MinLock.MulRaw(2))))
		if reporter.IsSkipped() {
			return nil, nil
		}
		r := testData.Rand()
		bal := from.LiquidBalance().AmountOf(params.LockDenom).QuoRaw(2)
		amount := params.MinLock.Add(math.NewInt(r.Int63n(bal.Sub(params.MinLock).Int64() + 1)))
		coin := sdk.NewCoin(params.LockDenom, amount)
		from.LiquidBalance().BlockAmount(coin)
		return []simsx.SimAccount{from}, &types.MsgLock{Owner: from.AddressBech32, Amount: coin, Duration: randomDuration(r, params.MinLockDuration, params.MaxLockDuration)}
	}
}

// MsgExtendLockFactory moves a lock's end later (never earlier).
func MsgExtendLockFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgExtendLock] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgExtendLock) {
		params := mustParams(ctx, k, reporter)
		now := sdk.UnwrapSDKContext(ctx).BlockTime()
		lock, ok := randomLock(ctx, k, testData, func(l types.Lock) bool { return l.End.Sub(now) <= params.MaxLockDuration })
		if !ok {
			reporter.Skip("no lock to extend")
			return nil, nil
		}
		lo := max(params.MinLockDuration, lock.End.Sub(now))
		owner := testData.GetAccount(reporter, lock.Owner)
		return []simsx.SimAccount{owner}, &types.MsgExtendLock{Owner: lock.Owner, Duration: randomDuration(testData.Rand(), lo, params.MaxLockDuration)}
	}
}

// MsgUnlockFactory withdraws an expired lock.
func MsgUnlockFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUnlock] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUnlock) {
		now := sdk.UnwrapSDKContext(ctx).BlockTime()
		lock, ok := randomLock(ctx, k, testData, func(l types.Lock) bool { return !now.Before(l.End) })
		if !ok {
			reporter.Skip("no expired lock")
			return nil, nil
		}
		owner := testData.GetAccount(reporter, lock.Owner)
		return []simsx.SimAccount{owner}, &types.MsgUnlock{Owner: lock.Owner}
	}
}

// MsgDelegateVotesFactory delegates an account's votes to another account.
// Chains longer than the limit and cycles are refused by design
// (ErrDelegationChainLong, ErrDelegationCycle): expected results.
func MsgDelegateVotesFactory(k keeper.Keeper) *simsx.ResultHandlingSimMsgFactory[*types.MsgDelegateVotes] {
	return simsx.NewSimMsgFactoryWithDeliveryResultHandler(func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDelegateVotes, simsx.SimDeliveryResultHandler) {
		from := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		to := testData.AnyAccount(reporter, simsx.ExcludeAccounts(from))
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		if cur, err := k.Delegations.Get(ctx, from.Address); err == nil && sdk.AccAddress(cur).Equals(to.Address) {
			reporter.Skip("already delegates there")
			return nil, nil, nil
		}
		return []simsx.SimAccount{from}, &types.MsgDelegateVotes{Delegator: from.AddressBech32, Delegate: to.AddressBech32}, func(err error) error {
			if errors.Is(err, types.ErrDelegationCycle) || errors.Is(err, types.ErrDelegationChainLong) {
				return nil
			}
			return err
		}
	})
}

// MsgUndelegateVotesFactory takes a delegation back.
func MsgUndelegateVotesFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUndelegateVotes] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUndelegateVotes) {
		var delegators []sdk.AccAddress
		_ = k.Delegations.Walk(ctx, nil, func(d sdk.AccAddress, _ []byte) (bool, error) {
			if testData.HasAccount(d.String()) {
				delegators = append(delegators, d)
			}
			return false, nil
		})
		if len(delegators) == 0 {
			reporter.Skip("no delegation")
			return nil, nil
		}
		from := testData.GetAccountbyAccAddr(reporter, delegators[testData.Rand().Intn(len(delegators))])
		return []simsx.SimAccount{from}, &types.MsgUndelegateVotes{Delegator: from.AddressBech32}
	}
}

// MsgSubmitProposalFactory submits a proposal of one or two messages x/dao
// governs, with at least min_deposit.
func MsgSubmitProposalFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgSubmitProposal] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSubmitProposal) {
		params := mustParams(ctx, k, reporter)
		need := params.MinDeposit.Add(sdk.NewCoin(params.LockDenom, math.OneInt()))
		from := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(need.Add(need...)...))
		if reporter.IsSkipped() {
			return nil, nil
		}
		r := testData.Rand()
		n := 1 + r.Intn(int(min(params.MaxMessages, 2)))
		anys := make([]*codectypes.Any, 0, n)
		for range n {
			msg := ProposalMsg(r, k.TreasuryAddress(), params.LockDenom, testData.AnyAccount(reporter).AddressBech32)
			a, err := codectypes.NewAnyWithValue(msg)
			if err != nil {
				reporter.Skipf("pack: %s", err)
				return nil, nil
			}
			anys = append(anys, a)
		}
		deposit := params.MinDeposit
		if r.Intn(2) == 0 {
			deposit = deposit.Add(sdk.NewCoin(params.LockDenom, math.NewInt(1+r.Int63n(1000))))
		}
		for _, c := range deposit {
			from.LiquidBalance().BlockAmount(c)
		}
		return []simsx.SimAccount{from}, &types.MsgSubmitProposal{
			Proposer: from.AddressBech32,
			Title:    fmt.Sprintf("Simulated proposal %s", r.StringN(6)),
			Summary:  "A proposal of the simulation.",
			Messages: anys,
			Deposit:  deposit,
		}
	}
}

// ProposalMsg is a message signed by the DAO account (authority): a
// randomized params change of one of the six custom modules, or a payment
// from the treasury (which fails at execution if the treasury is short:
// the proposal then ends FAILED, as designed).
func ProposalMsg(r *simsx.XRand, authority sdk.AccAddress, denom, recipient string) sdk.Msg {
	auth := authority.String()
	switch r.Intn(7) {
	case 0:
		return &types.MsgUpdateParams{Authority: auth, Params: RandomParams(r.Rand, denom)}
	case 1:
		return &pooltypes.MsgUpdateParams{Authority: auth, Params: poolsim.RandomParams(r.Rand, denom)}
	case 2:
		return &computetypes.MsgUpdateParams{Authority: auth, Params: computesim.RandomParams(r.Rand)}
	case 3:
		return &inferencetypes.MsgUpdateParams{Authority: auth, Params: inferencesim.RandomParams(r.Rand)}
	case 4:
		return &rewardstypes.MsgUpdateParams{Authority: auth, Params: rewardssim.RandomParams(r.Rand)}
	case 5:
		return &trainingtypes.MsgUpdateParams{Authority: auth, Params: trainingsim.RandomParams(r.Rand, denom)}
	default:
		return banktypes.NewMsgSend(authority, sdk.MustAccAddressFromBech32(recipient), sdk.NewCoins(sdk.NewInt64Coin(denom, 1+r.Int63n(1000))))
	}
}

// MsgVoteFactory votes on an open proposal (or vetoes one in its timelock)
// with an account that has power at its snapshot: checked by a dry run of
// the real keeper's CastVote.
func MsgVoteFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgVote] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgVote) {
		now := sdk.UnwrapSDKContext(ctx).BlockTime()
		var open []types.Proposal
		_ = k.Proposals.Walk(ctx, nil, func(_ uint64, p types.Proposal) (bool, error) {
			if (p.Status == types.PROPOSAL_STATUS_VOTING && now.Before(p.VotingEnd)) || (p.Status == types.PROPOSAL_STATUS_PASSED && now.Before(p.Eta)) {
				open = append(open, p)
			}
			return false, nil
		})
		if len(open) == 0 {
			reporter.Skip("no proposal open for votes")
			return nil, nil
		}
		r := testData.Rand()
		p := open[r.Intn(len(open))]
		option := types.VoteOption(1 + r.Intn(len(types.VoteOption_name)-1))
		if p.Status == types.PROPOSAL_STATUS_PASSED {
			option = types.VOTE_OPTION_VETO
		}
		var voters []sdk.AccAddress
		_ = k.Locks.Walk(ctx, nil, func(owner sdk.AccAddress, _ types.Lock) (bool, error) {
			voters = append(voters, owner)
			return false, nil
		})
		_ = k.Delegations.Walk(ctx, nil, func(_ sdk.AccAddress, delegate []byte) (bool, error) {
			voters = append(voters, delegate)
			return false, nil
		})
		r.Shuffle(len(voters), func(i, j int) { voters[i], voters[j] = voters[j], voters[i] })
		for _, v := range voters {
			if !testData.HasAccount(v.String()) {
				continue
			}
			cc, _ := sdk.UnwrapSDKContext(ctx).CacheContext()
			if _, err := k.CastVote(cc, v, p.Id, option); err != nil {
				continue
			}
			acc := testData.GetAccountbyAccAddr(reporter, v)
			return []simsx.SimAccount{acc}, &types.MsgVote{Voter: acc.AddressBech32, ProposalId: p.Id, Option: option}
		}
		reporter.Skip("no account with power may vote")
		return nil, nil
	}
}

// MsgExecuteProposalFactory executes a passed proposal between its ETA and
// its expiry, sent by any account.
func MsgExecuteProposalFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgExecuteProposal] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgExecuteProposal) {
		now := sdk.UnwrapSDKContext(ctx).BlockTime()
		var ready []uint64
		_ = k.Proposals.Walk(ctx, nil, func(id uint64, p types.Proposal) (bool, error) {
			if p.Status == types.PROPOSAL_STATUS_PASSED && !now.Before(p.Eta) && now.Before(p.Expiry) {
				ready = append(ready, id)
			}
			return false, nil
		})
		if len(ready) == 0 {
			reporter.Skip("no proposal to execute")
			return nil, nil
		}
		from := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		return []simsx.SimAccount{from}, &types.MsgExecuteProposal{Executor: from.AddressBech32, ProposalId: ready[testData.Rand().Intn(len(ready))]}
	}
}

func mustParams(ctx context.Context, k keeper.Keeper, reporter simsx.SimulationReporter) types.Params {
	p, err := k.Params.Get(ctx)
	if err != nil {
		reporter.Skipf("params: %s", err)
	}
	return p
}

func randomLock(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, keep func(types.Lock) bool) (types.Lock, bool) {
	var locks []types.Lock
	_ = k.Locks.Walk(ctx, nil, func(_ sdk.AccAddress, l types.Lock) (bool, error) {
		if testData.HasAccount(l.Owner) && keep(l) {
			locks = append(locks, l)
		}
		return false, nil
	})
	if len(locks) == 0 {
		return types.Lock{}, false
	}
	return locks[testData.Rand().Intn(len(locks))], true
}

// randomDuration is a whole number of minutes in [lo, hi].
func randomDuration(r *simsx.XRand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	d := lo + time.Duration(r.Int63n(int64(hi-lo)/int64(time.Minute)+1))*time.Minute
	return min(d, hi)
}
