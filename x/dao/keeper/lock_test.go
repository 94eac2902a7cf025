package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/dao/types"
)

// TestLockPower locks amounts for durations and checks the quadratic,
// conviction-weighted power, the escrow and the total.
func TestLockPower(t *testing.T) {
	f := newLockFixture(t)
	for i, tc := range []struct {
		amount int64
		d      time.Duration
		power  int64
	}{
		{1_000_000, lfMinDur, 1000},  // isqrt 1000 × 1×
		{4_000_000, lfMaxDur, 8000},  // isqrt 2000 × 4×
		{10_000, lfDur2x, 200},       // isqrt 100 × 2×
		{lfMinLock, lfDur3x, 93},     // isqrt(1000) = 31 × 3×
		{2_500, 50 * time.Hour, 124}, // 50 × (10000 + 30000 × 49/99 = 24848) / 10000 = 124.24
		{999_999, lfMaxDur, 3996},    // isqrt 999 × 4×
	} {
		owner := f.account(string(rune('a' + i)))
		escrow, total := f.escrow(), f.total()
		lock, power := f.lock(owner, tc.amount, tc.d)
		require.Equal(t, tc.power, power.Int64(), "lock %d", i)
		require.Equal(t, types.Lock{
			Owner: f.bech(owner), Amount: math.NewInt(tc.amount), Duration: tc.d,
			End: lfStart.Add(tc.d), CreatedHeight: 1,
		}, lock)
		stored, err := f.k.Locks.Get(f.ctx, owner)
		require.NoError(t, err)
		require.Equal(t, lock, stored)
		require.Equal(t, tc.power, f.own(owner))
		require.Equal(t, lfFunds-tc.amount, f.balance(owner))
		require.Equal(t, escrow+tc.amount, f.escrow())
		require.Equal(t, total+tc.power, f.total())
	}
	require.Equal(t, int64(1000+8000+200+93+124+3996), f.total())
	require.Equal(t, int64(1_000_000+4_000_000+10_000+lfMinLock+2_500+999_999), f.escrow())

	events := lfEvents[types.EventLocked](f)
	require.Len(t, events, 6)
	require.Equal(t, types.EventLocked{
		Owner: f.bech(lfAddr("b", 1)), Amount: "4000000umesh", End: "2030-01-05T04:00:00Z", Power: "8000",
	}, events[1])

	// Power counts from the next block: the checkpoint is at height 1.
	at1, err := f.k.TotalPowerAt(f.ctx, 1)
	require.NoError(t, err)
	require.True(t, at1.IsZero())
}

// TestLockTopUpAndExtend: a top-up adds to the amount and keeps the longer
// duration and later end; an extension moves the end; changes in one block
// leave one checkpoint.
func TestLockTopUpAndExtend(t *testing.T) {
	f := newLockFixture(t)
	a := f.account("a")
	_, p := f.lock(a, 1_000_000, lfDur2x)
	require.Equal(t, int64(2000), p.Int64())

	f.next(time.Hour) // height 2
	// A shorter top-up keeps the 34h duration and end: 2000 × 2×.
	lock, p := f.lock(a, 3_000_000, lfMinDur)
	require.Equal(t, int64(4000), p.Int64())
	require.Equal(t, lfDur2x, lock.Duration)
	require.Equal(t, lfStart.Add(lfDur2x), lock.End)
	require.Equal(t, int64(1), lock.CreatedHeight)
	// A top-up below min_lock is fine: only a new lock must reach it.
	lock, p = f.lock(a, 1, lfMinDur)
	require.Equal(t, "4000001", lock.Amount.String())
	require.Equal(t, int64(4000), p.Int64())

	// Extending to 100h from now: 4×.
	lock, p, err := f.k.ExtendLock(f.ctx, a, lfMaxDur)
	require.NoError(t, err)
	require.Equal(t, int64(8000), p.Int64())
	require.Equal(t, lfMaxDur, lock.Duration)
	require.Equal(t, lfStart.Add(time.Hour+lfMaxDur), lock.End)

	// One checkpoint per block: heights 1 and 2.
	requireCheckpoints(t, f, a, map[int64]int64{1: 2000, 2: 8000})
	at2, err := f.k.OwnPowerAt(f.ctx, a, 2)
	require.NoError(t, err)
	require.Equal(t, int64(2000), at2.Int64(), "the value before block 2")
	require.Equal(t, int64(8000), f.total())
	require.Equal(t, int64(4_000_001), f.escrow())

	f.next(time.Hour) // height 3, start + 2h
	// Shortening is rejected; extending to the same end is accepted.
	f.requireRejected(types.ErrInvalidDuration, func() error {
		_, _, err := f.k.ExtendLock(f.ctx, a, lfMaxDur-2*time.Hour)
		return err
	}, "shorten")
	lock, p, err = f.k.ExtendLock(f.ctx, a, lfMaxDur-time.Hour)
	require.NoError(t, err)
	require.Equal(t, lfStart.Add(time.Hour+lfMaxDur), lock.End)
	require.Equal(t, int64(8000), p.Int64())
	requireCheckpoints(t, f, a, map[int64]int64{1: 2000, 2: 8000})

	// After the end, a top-up relocks from now for its own duration: the
	// old 4× conviction does not carry over to a short re-lock.
	f.next(2 * lfMaxDur)
	lock, p = f.lock(a, 1000, lfMinDur)
	require.Equal(t, f.ctx.BlockTime().Add(lfMinDur), lock.End)
	require.Equal(t, lfMinDur, lock.Duration)
	require.Equal(t, int64(2000), p.Int64(), "isqrt(4001001) = 2000 at 1×")
	// While it runs, a longer extension raises the multiplier again.
	lock, p, err = f.k.ExtendLock(f.ctx, a, lfMaxDur)
	require.NoError(t, err)
	require.Equal(t, lfMaxDur, lock.Duration)
	require.Equal(t, int64(8000), p.Int64())
}

// requireCheckpoints requires a's own-power checkpoints to be want (height → power).
func requireCheckpoints(t *testing.T, f *lockFixture, a sdk.AccAddress, want map[int64]int64) {
	t.Helper()
	got := map[int64]int64{}
	it, err := f.k.OwnPower.Iterate(f.ctx, collections.NewPrefixedPairRange[sdk.AccAddress, int64](a))
	require.NoError(t, err)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		kv, err := it.KeyValue()
		require.NoError(t, err)
		got[kv.Key.K2()] = kv.Value.Int64()
	}
	require.Equal(t, want, got)
}

// TestLockErrors: every rejected lock, extension or unlock leaves balances
// and state as they were.
func TestLockErrors(t *testing.T) {
	f := newLockFixture(t)
	a, b := f.account("a"), f.account("b")
	lockErr := func(owner sdk.AccAddress, coin sdk.Coin, d time.Duration) func() error {
		return func() error { _, _, err := f.k.Lock(f.ctx, owner, coin, d); return err }
	}
	extendErr := func(owner sdk.AccAddress, d time.Duration) func() error {
		return func() error { _, _, err := f.k.ExtendLock(f.ctx, owner, d); return err }
	}
	unlockErr := func(owner sdk.AccAddress) func() error {
		return func() error { _, err := f.k.Unlock(f.ctx, owner); return err }
	}
	umesh := func(n int64) sdk.Coin { return sdk.NewInt64Coin(lfDenom, n) }

	f.requireRejected(types.ErrInvalidAmount, lockErr(a, sdk.NewInt64Coin("uatom", 1_000_000), lfMinDur), "wrong denom")
	f.requireRejected(types.ErrInvalidAmount, lockErr(a, umesh(0), lfMinDur), "zero")
	f.requireRejected(types.ErrLockTooSmall, lockErr(a, umesh(lfMinLock-1), lfMinDur), "below min_lock")
	f.requireRejected(types.ErrInvalidDuration, lockErr(a, umesh(lfMinLock), lfMinDur-1), "below min duration")
	f.requireRejected(types.ErrInvalidDuration, lockErr(a, umesh(lfMinLock), lfMaxDur+1), "above max duration")
	f.requireRejected(sdkerrors.ErrInsufficientFunds, lockErr(a, umesh(lfFunds+1), lfMinDur), "more than the balance")
	f.requireRejected(types.ErrLockNotFound, extendErr(a, lfMaxDur), "extend without lock")
	f.requireRejected(types.ErrLockNotFound, unlockErr(a), "unlock without lock")

	f.lock(a, 1_000_000, lfDur2x)
	f.requireRejected(sdkerrors.ErrInsufficientFunds, lockErr(a, umesh(lfFunds), lfMinDur), "top-up above the balance")
	f.requireRejected(types.ErrInvalidDuration, extendErr(a, lfMinDur), "shorten")
	f.requireRejected(types.ErrInvalidDuration, extendErr(a, lfMaxDur+1), "extend above max")
	f.requireRejected(types.ErrLockNotExpired, unlockErr(a), "unlock at once")

	f.next(lfDur2x - time.Nanosecond)
	f.requireRejected(types.ErrLockNotExpired, unlockErr(a), "unlock 1ns before the end")
	require.Equal(t, int64(lfFunds-1_000_000), f.balance(a))
	require.Equal(t, int64(1_000_000), f.escrow())

	f.next(time.Nanosecond)
	coin, err := f.k.Unlock(f.ctx, a)
	require.NoError(t, err)
	require.Equal(t, umesh(1_000_000), coin)
	f.requireRejected(types.ErrLockNotFound, unlockErr(a), "unlock twice")
	require.Equal(t, int64(lfFunds), f.balance(a))
	require.Equal(t, int64(lfFunds), f.balance(b))
	require.Zero(t, f.escrow())
}

// TestUnlock: an ended lock keeps its power until it is unlocked; unlocking
// returns the tokens and drops the power, the total and the delegate's power.
func TestUnlock(t *testing.T) {
	f := newLockFixture(t)
	a, b := f.account("a"), f.account("b")
	f.lock(a, 1_000_000, lfMinDur)
	f.lock(b, 4_000_000, lfMaxDur)
	f.delegate(a, b)

	f.next(2 * lfMinDur) // a's lock has ended
	require.Equal(t, int64(1000), f.own(a), "an ended lock keeps its power until unlocked")
	require.Equal(t, int64(9000), f.total())
	require.Equal(t, int64(1000), f.delegated(b))
	prop := f.proposal(0)
	require.Equal(t, "9000", prop.TotalPower.String())

	coin, err := f.k.Unlock(f.ctx, a)
	require.NoError(t, err)
	require.Equal(t, "1000000umesh", coin.String())
	require.Equal(t, int64(lfFunds), f.balance(a))
	require.Equal(t, int64(4_000_000), f.escrow())
	_, err = f.k.Locks.Get(f.ctx, a)
	require.ErrorIs(t, err, collections.ErrNotFound)
	require.Zero(t, f.own(a))
	require.Equal(t, int64(8000), f.total())
	require.Zero(t, f.delegated(b))
	require.Equal(t, []types.EventUnlocked{{Owner: f.bech(a), Amount: "1000000umesh"}}, lfEvents[types.EventUnlocked](f))

	// The proposal submitted in the unlock block still counts the lock:
	// a's vote takes its 1000 back from its delegate b.
	v := f.vote(a, prop.Id, types.VOTE_OPTION_NO)
	require.Equal(t, int64(1000), v.OwnPower.Int64())
	v = f.vote(b, prop.Id, types.VOTE_OPTION_YES)
	require.Equal(t, int64(8000), v.OwnPower.Int64())
	require.Zero(t, v.DelegatedPower.Int64())
	require.Equal(t, [4]int64{8000, 1000, 0, 0}, f.tally(prop.Id))

	// A later proposal does not.
	f.next(time.Minute)
	later := f.proposal(0)
	require.Equal(t, "8000", later.TotalPower.String())
	f.requireRejected(types.ErrNoVotingPower, func() error {
		_, err := f.k.CastVote(f.ctx, a, later.Id, types.VOTE_OPTION_YES)
		return err
	})
}

// TestSnapshotIgnoresLaterLocks: locks made, topped up or extended in or
// after a proposal's submission block do not change its votes; a new locker
// has no power on it.
func TestSnapshotIgnoresLaterLocks(t *testing.T) {
	f := newLockFixture(t)
	a, b, c, d, e := f.account("a"), f.account("b"), f.account("c"), f.account("d"), f.account("e")
	for _, x := range []sdk.AccAddress{a, b, c} {
		f.lock(x, 1_000_000, lfMinDur) // 1000 each
	}

	f.next(time.Minute) // height 2: submission block
	p := f.proposal(0)
	require.Equal(t, int64(2), p.SubmitHeight)
	require.Equal(t, "3000", p.TotalPower.String())
	f.lock(a, 3_000_000, lfMinDur) // → 2000
	_, np, err := f.k.ExtendLock(f.ctx, b, lfMaxDur)
	require.NoError(t, err)
	require.Equal(t, int64(4000), np.Int64())
	f.lock(d, 1_000_000, lfMinDur) // new in the submission block

	f.next(time.Minute)            // height 3
	f.lock(e, 1_000_000, lfMinDur) // new after it
	f.lock(c, 3_000_000, lfMinDur) // topped up after it
	for _, x := range []sdk.AccAddress{d, e} {
		f.requireRejected(types.ErrNoVotingPower, func() error {
			_, err := f.k.CastVote(f.ctx, x, p.Id, types.VOTE_OPTION_YES)
			return err
		}, "new locker")
	}
	for _, x := range []sdk.AccAddress{a, b, c} {
		v := f.vote(x, p.Id, types.VOTE_OPTION_YES)
		require.Equal(t, int64(1000), v.OwnPower.Int64(), "the snapshot value counts, not the new one")
	}
	require.Equal(t, [4]int64{3000, 0, 0, 0}, f.tally(p.Id))

	// A proposal submitted now sees height-2 changes but not height-3 ones.
	p2 := f.proposal(0)
	require.Equal(t, "8000", p2.TotalPower.String()) // a 2000 + b 4000 + c 1000 + d 1000
	for x, want := range map[string]int64{"a": 2000, "b": 4000, "c": 1000, "d": 1000} {
		v := f.vote(lfAddr(x, 1), p2.Id, types.VOTE_OPTION_NO)
		require.Equal(t, want, v.OwnPower.Int64(), x)
	}
	f.requireRejected(types.ErrNoVotingPower, func() error {
		_, err := f.k.CastVote(f.ctx, e, p2.Id, types.VOTE_OPTION_YES)
		return err
	})
}

// TestQueryLocks: Lock and Locks, with pagination and errors.
func TestQueryLocks(t *testing.T) {
	f := newLockFixture(t)
	a, b, c := f.account("a"), f.account("b"), f.account("c")
	la, _ := f.lock(a, 1_000_000, lfMinDur)
	lb, _ := f.lock(b, 4_000_000, lfMaxDur)
	lc, _ := f.lock(c, 10_000, lfDur2x)

	res, err := f.q.Lock(f.ctx, &types.QueryLockRequest{Owner: f.bech(b)})
	require.NoError(t, err)
	require.Equal(t, lb, res.Lock)
	require.Equal(t, "8000", res.Power.String())

	_, err = f.q.Lock(f.ctx, &types.QueryLockRequest{Owner: f.bech(f.account("none"))})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.q.Lock(f.ctx, &types.QueryLockRequest{Owner: "cosmos1bad"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.q.Lock(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	page1, err := f.q.Locks(f.ctx, &types.QueryLocksRequest{Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, []types.Lock{la, lb}, page1.Locks, "by owner address")
	require.Equal(t, uint64(3), page1.Pagination.Total)
	require.NotEmpty(t, page1.Pagination.NextKey)
	page2, err := f.q.Locks(f.ctx, &types.QueryLocksRequest{Pagination: &query.PageRequest{Key: page1.Pagination.NextKey}})
	require.NoError(t, err)
	require.Equal(t, []types.Lock{lc}, page2.Locks)
	require.Empty(t, page2.Pagination.NextKey)
	_, err = f.q.Locks(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}
