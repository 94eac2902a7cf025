package keeper_test

import (
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/dao/types"
)

// TestDelegateVotes: a delegate's delegated power follows its delegators'
// own power through top-ups, re-delegation and revocation; the history
// answers for past heights.
func TestDelegateVotes(t *testing.T) {
	f := newLockFixture(t)
	a, b, c := f.account("a"), f.account("b"), f.account("c")
	f.lock(a, 1_000_000, lfMinDur) // 1000
	f.lock(b, 4_000_000, lfMaxDur) // 8000
	f.lock(c, 10_000, lfDur2x)     // 200

	f.delegate(a, b)
	f.delegate(c, b)
	require.Equal(t, int64(1200), f.delegated(b))
	require.Equal(t, int64(8000), f.own(b), "own power is unchanged")
	require.Equal(t, int64(9200), f.total(), "delegation does not change the total")
	require.Equal(t, []types.EventDelegated{
		{Delegator: f.bech(a), Delegate: f.bech(b)},
		{Delegator: f.bech(c), Delegate: f.bech(b)},
	}, lfEvents[types.EventDelegated](f))

	f.next(time.Minute) // height 2: a tops up, b's delegated power follows
	f.lock(a, 3_000_000, lfMinDur)
	require.Equal(t, int64(2200), f.delegated(b))

	// Delegating again to the same delegate changes nothing.
	f.requireNoChange(func() error { return f.k.DelegateVotes(f.ctx, a, b) })

	f.next(time.Minute) // height 3: a moves to c
	f.delegate(a, c)
	require.Equal(t, int64(200), f.delegated(b))
	require.Equal(t, int64(2000), f.delegated(c))
	require.Equal(t, []types.EventDelegated{{Delegator: f.bech(a), Delegate: f.bech(c), Previous: f.bech(b)}},
		lfEvents[types.EventDelegated](f))
	has, err := f.k.DelegatorsByDelegate.Has(f.ctx, collections.Join(b, a))
	require.NoError(t, err)
	require.False(t, has)

	f.next(time.Minute) // height 4: a revokes
	require.NoError(t, f.k.UndelegateVotes(f.ctx, a))
	require.Zero(t, f.delegated(c))
	require.Equal(t, []types.EventDelegated{{Delegator: f.bech(a), Delegate: "", Previous: f.bech(c)}},
		lfEvents[types.EventDelegated](f))
	f.requireRejected(types.ErrNoDelegation, func() error { return f.k.UndelegateVotes(f.ctx, a) })
	f.requireRejected(types.ErrSelfDelegation, func() error { return f.k.DelegateVotes(f.ctx, b, b) })

	// History: the delegate and delegated power as of the blocks before each height.
	for h, want := range map[int64]struct {
		delegate sdk.AccAddress
		b, c     int64
	}{
		1: {nil, 0, 0},
		2: {b, 1200, 0},
		3: {b, 2200, 0},
		4: {c, 200, 2000},
		5: {nil, 200, 0},
	} {
		got, err := f.k.DelegateAt(f.ctx, a, h)
		require.NoError(t, err)
		require.Equal(t, want.delegate, got, "height %d", h)
		for _, x := range []struct {
			who  sdk.AccAddress
			want int64
		}{{b, want.b}, {c, want.c}} {
			p, err := f.k.DelegatedPowerAt(f.ctx, x.who, h)
			require.NoError(t, err)
			require.Equal(t, x.want, p.Int64(), "height %d", h)
		}
	}
}

// TestDelegationNotTransitive: a → b → c gives c b's own power, not a's.
func TestDelegationNotTransitive(t *testing.T) {
	f := newLockFixture(t)
	a, b, c := f.account("a"), f.account("b"), f.account("c")
	f.lock(a, 1_000_000, lfMinDur) // 1000
	f.lock(b, 4_000_000, lfMaxDur) // 8000
	f.lock(c, 10_000, lfDur2x)     // 200
	f.delegate(a, b)
	f.delegate(b, c)
	require.Equal(t, int64(1000), f.delegated(b))
	require.Equal(t, int64(8000), f.delegated(c))

	f.next(time.Minute)
	p := f.proposal(0)
	vc := f.vote(c, p.Id, types.VOTE_OPTION_YES)
	require.Equal(t, [2]int64{200, 8000}, [2]int64{vc.OwnPower.Int64(), vc.DelegatedPower.Int64()})
	// b votes itself: its own power leaves c's vote; it carries a's.
	vb := f.vote(b, p.Id, types.VOTE_OPTION_NO)
	require.Equal(t, [2]int64{8000, 1000}, [2]int64{vb.OwnPower.Int64(), vb.DelegatedPower.Int64()})
	require.Equal(t, int64(0), f.getVote(p.Id, c).DelegatedPower.Int64())
	require.Equal(t, [4]int64{200, 9000, 0, 0}, f.tally(p.Id))
}

// TestDelegationCycle: a → b → c, then c → a, c → b and b → a are cycles.
func TestDelegationCycle(t *testing.T) {
	f := newLockFixture(t)
	a, b, c := f.account("a"), f.account("b"), f.account("c")
	f.lock(a, 1_000_000, lfMinDur)
	f.delegate(a, b)
	f.delegate(b, c)
	for _, tc := range []struct{ from, to sdk.AccAddress }{{c, a}, {c, b}, {b, a}} {
		f.requireRejected(types.ErrDelegationCycle, func() error { return f.k.DelegateVotes(f.ctx, tc.from, tc.to) })
	}
	// Moving a's delegation to c keeps the graph acyclic.
	f.delegate(a, c)
	require.Equal(t, int64(1000), f.delegated(c))
	require.Zero(t, f.delegated(b))
}

// TestDelegationChainDepth: a delegate whose chain has MaxDelegationDepth
// links is accepted; one more link is rejected.
func TestDelegationChainDepth(t *testing.T) {
	f := newLockFixture(t)
	n := make([]sdk.AccAddress, types.MaxDelegationDepth+1)
	for i := range n {
		n[i] = lfAddr("chain", i)
	}
	// n[0] → n[1] → … → n[32]: MaxDelegationDepth links, built from the end
	// so that every walk is as long as it can be.
	for i := len(n) - 2; i >= 0; i-- {
		f.delegate(n[i], n[i+1])
	}
	x, y := lfAddr("x", 0), lfAddr("y", 0)
	f.delegate(x, n[0]) // n[0]'s chain: exactly MaxDelegationDepth links
	f.requireRejected(types.ErrDelegationChainLong, func() error { return f.k.DelegateVotes(f.ctx, y, x) })
	// Cutting the chain lets y delegate.
	require.NoError(t, f.k.UndelegateVotes(f.ctx, n[types.MaxDelegationDepth-1]))
	f.delegate(y, x)
}

// TestQueryDelegation: an account's delegate and a page of its delegators.
func TestQueryDelegation(t *testing.T) {
	f := newLockFixture(t)
	a, b, c, d, e := f.account("a"), f.account("b"), f.account("c"), f.account("d"), f.account("e")
	f.delegate(a, d)
	f.delegate(b, d)
	f.delegate(c, d)
	f.delegate(d, e)

	res, err := f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: f.bech(d),
		Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, f.bech(e), res.Delegate)
	require.Equal(t, []string{f.bech(a), f.bech(b)}, res.Delegators)
	require.Equal(t, uint64(3), res.Pagination.Total)
	res, err = f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: f.bech(d),
		Pagination: &query.PageRequest{Key: res.Pagination.NextKey}})
	require.NoError(t, err)
	require.Equal(t, []string{f.bech(c)}, res.Delegators)

	res, err = f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: f.bech(b)})
	require.NoError(t, err)
	require.Equal(t, f.bech(d), res.Delegate)
	require.Empty(t, res.Delegators)

	res, err = f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: f.bech(f.account("f"))})
	require.NoError(t, err)
	require.Equal(t, "", res.Delegate)
	require.Empty(t, res.Delegators)

	_, err = f.q.Delegation(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: "nope"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

// TestQueryPower: now, and for a proposal (snapshot less overrides).
func TestQueryPower(t *testing.T) {
	f := newLockFixture(t)
	a, b, c := f.account("a"), f.account("b"), f.account("c")
	f.lock(a, 1_000_000, lfMinDur) // 1000
	f.lock(b, 4_000_000, lfMaxDur) // 8000
	f.lock(c, 10_000, lfDur2x)     // 200
	f.delegate(a, b)
	f.delegate(c, b)

	f.next(time.Minute)
	p := f.proposal(0)
	f.lock(a, 3_000_000, lfMinDur) // now 2000; 1000 at the snapshot
	f.vote(a, p.Id, types.VOTE_OPTION_NO)

	power := func(who sdk.AccAddress, id uint64) *types.QueryPowerResponse {
		t.Helper()
		res, err := f.q.Power(f.ctx, &types.QueryPowerRequest{Account: f.bech(who), ProposalId: id})
		require.NoError(t, err)
		return res
	}
	want := func(own, delegated int64, delegate string) *types.QueryPowerResponse {
		return &types.QueryPowerResponse{Own: math.NewInt(own), Delegated: math.NewInt(delegated),
			Total: math.NewInt(own + delegated), Delegate: delegate}
	}
	require.Equal(t, want(8000, 2200, ""), power(b, 0))
	require.Equal(t, want(8000, 200, ""), power(b, p.Id), "a voted itself: its 1000 is not b's")
	require.Equal(t, want(2000, 0, f.bech(b)), power(a, 0))
	require.Equal(t, want(1000, 0, f.bech(b)), power(a, p.Id))

	_, err := f.q.Power(f.ctx, &types.QueryPowerRequest{Account: f.bech(a), ProposalId: 99})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.q.Power(f.ctx, &types.QueryPowerRequest{Account: ""})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.q.Power(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

// TestPowerCheckpointsConsistent runs random locks, top-ups, extensions,
// unlocks and (re/un)delegations over many blocks, several per block, and
// checks at every height that the total power is the sum of the own powers
// and each delegated power the sum of its delegators' own powers.
func TestPowerCheckpointsConsistent(t *testing.T) {
	f := newLockFixture(t)
	rng := rand.New(rand.NewSource(7))
	accounts := make([]sdk.AccAddress, 8)
	for i := range accounts {
		accounts[i] = f.account(string(rune('a' + i)))
	}
	pick := func() sdk.AccAddress { return accounts[rng.Intn(len(accounts))] }
	dur := func() time.Duration { return lfMinDur + time.Duration(rng.Int63n(int64(lfMaxDur-lfMinDur)+1)) }
	const blocks = 150
	var done [6]int // successful calls by kind
	for blk := 0; blk < blocks; blk++ {
		for op := rng.Intn(4); op >= 0; op-- {
			x := pick()
			var err error
			kind := rng.Intn(6)
			switch kind {
			case 0, 1:
				_, _, err = f.k.Lock(f.ctx, x, sdk.NewInt64Coin(lfDenom, lfMinLock+rng.Int63n(2_000_000)), dur())
			case 2:
				_, _, err = f.k.ExtendLock(f.ctx, x, dur())
			case 3:
				_, err = f.k.Unlock(f.ctx, x)
			case 4:
				err = f.k.DelegateVotes(f.ctx, x, pick())
			case 5:
				err = f.k.UndelegateVotes(f.ctx, x)
			}
			// Rejections are expected (not expired, cycle, …) and change nothing.
			if err == nil {
				done[kind]++
			}
		}
		f.next(time.Duration(rng.Int63n(int64(20 * time.Hour))))
	}
	for h := int64(1); h <= f.height()+1; h++ {
		total := math.ZeroInt()
		delegated := map[string]math.Int{}
		for _, x := range accounts {
			own, err := f.k.OwnPowerAt(f.ctx, x, h)
			require.NoError(t, err)
			total = total.Add(own)
			d, err := f.k.DelegateAt(f.ctx, x, h)
			require.NoError(t, err)
			if d != nil {
				delegated[string(d)] = own.Add(mapGet(delegated, string(d)))
			}
		}
		got, err := f.k.TotalPowerAt(f.ctx, h)
		require.NoError(t, err)
		require.Equal(t, total.String(), got.String(), "total at height %d", h)
		for _, x := range accounts {
			dp, err := f.k.DelegatedPowerAt(f.ctx, x, h)
			require.NoError(t, err)
			require.Equal(t, mapGet(delegated, string(x)).String(), dp.String(), "delegated power of %s at %d", x, h)
		}
	}
	require.Positive(t, f.total(), "the run ends with locks")
	for kind, n := range done {
		require.GreaterOrEqual(t, n, 5, "successful calls of kind %d", kind)
	}
}

func mapGet(m map[string]math.Int, k string) math.Int {
	if v, ok := m[k]; ok {
		return v
	}
	return math.ZeroInt()
}
