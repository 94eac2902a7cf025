package keeper_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training/types"
)

// dfSetup registers a dataset of labels cat, dog and bird, contributed to by
// carol, and funds alice, bob, dave and erin with dfFunds each.
func dfSetup(f *dataFixture) (ds uint64, carol, alice, bob, dave, erin sdk.AccAddress) {
	carol = dfAddr("carol")
	alice, bob, dave, erin = f.account("alice"), f.account("bob"), f.account("dave"), f.account("erin")
	ds = f.register(carol, "cat", "dog", "bird")
	return ds, carol, alice, bob, dave, erin
}

func (f *dataFixture) annotation(item uint64, a sdk.AccAddress) (types.Annotation, bool) {
	f.t.Helper()
	ann, err := f.k.Annotations.Get(f.ctx, collections.Join(item, a))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Annotation{}, false
	}
	require.NoError(f.t, err)
	return ann, true
}

func TestAnnotateRejected(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, alice, bob, dave, erin := dfSetup(f)
	item := f.contribute(carol, ds, "item 1")
	final := f.contribute(carol, ds, "item 2")
	f.annotate(alice, item, "cat")
	f.annotate(alice, final, "cat")
	f.annotate(bob, final, "cat")
	f.annotate(dave, final, "dog")
	require.Equal(t, types.ITEM_STATUS_LABELED, f.item(final).Status)
	poor := dfAddr("poor")
	f.fund(poor, dfStake-1)
	f.next()

	for name, tc := range map[string]struct {
		msg  types.MsgAnnotate
		want error
	}{
		"bad annotator":   {types.MsgAnnotate{Annotator: "x", ItemId: item, Label: "cat"}, types.ErrInvalidAddress},
		"item 0":          {types.MsgAnnotate{Annotator: f.bech(bob), ItemId: 0, Label: "cat"}, types.ErrInvalidItem},
		"unknown item":    {types.MsgAnnotate{Annotator: f.bech(bob), ItemId: 99, Label: "cat"}, types.ErrItemNotFound},
		"own item":        {types.MsgAnnotate{Annotator: f.bech(carol), ItemId: item, Label: "cat"}, types.ErrOwnItem},
		"twice":           {types.MsgAnnotate{Annotator: f.bech(alice), ItemId: item, Label: "dog"}, types.ErrAlreadyAnnotated},
		"not in the list": {types.MsgAnnotate{Annotator: f.bech(bob), ItemId: item, Label: "horse"}, types.ErrInvalidLabel},
		"empty label":     {types.MsgAnnotate{Annotator: f.bech(bob), ItemId: item, Label: ""}, types.ErrInvalidLabel},
		"label w/ space":  {types.MsgAnnotate{Annotator: f.bech(bob), ItemId: item, Label: "c at"}, types.ErrInvalidLabel},
		"final item":      {types.MsgAnnotate{Annotator: f.bech(erin), ItemId: final, Label: "cat"}, types.ErrItemFinal},
		"too few funds":   {types.MsgAnnotate{Annotator: f.bech(poor), ItemId: item, Label: "cat"}, sdkerrors.ErrInsufficientFunds},
		"no account":      {types.MsgAnnotate{Annotator: f.bech(dfAddr("nobody")), ItemId: item, Label: "cat"}, sdkerrors.ErrInsufficientFunds},
	} {
		msg := tc.msg
		f.requireRejected(tc.want, validated(&msg, func() error { _, err := f.msg.Annotate(f.ctx, &msg); return err }), name)
		f.requireRejected(tc.want, validated(&msg, func() error { _, _, err := f.k.Annotate(f.ctx, &msg); return err }), name+" (keeper)")
	}
	require.Equal(t, int64(dfStake-1), f.balance(poor))
	require.Equal(t, int64(dfStake), f.escrow(), "alice's stake on the open item")
}

func TestAnnotateMajority(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, alice, bob, dave, _ := dfSetup(f)
	item := f.contribute(carol, ds, "a cat")
	supply := f.supply()
	f.next()

	// Each label escrows the stake until the item is final.
	require.Equal(t, &types.MsgAnnotateResponse{}, f.annotate(alice, item, "cat"))
	require.Equal(t, int64(dfFunds-dfStake), f.balance(alice))
	require.Equal(t, int64(dfStake), f.escrow())
	ann, ok := f.annotation(item, alice)
	require.True(t, ok)
	require.Equal(t, types.Annotation{ItemId: item, Annotator: f.bech(alice), Label: "cat", Stake: sdk.NewInt64Coin(dfDenom, dfStake)}, ann)
	require.Equal(t, uint32(1), f.item(item).Annotations)
	require.Equal(t, types.ITEM_STATUS_OPEN, f.item(item).Status)

	require.Equal(t, &types.MsgAnnotateResponse{}, f.annotate(dave, item, "dog"))
	require.Equal(t, int64(2*dfStake), f.escrow())
	require.Empty(t, f.rewards.calls)

	// The third label settles the item: cat has 2 of 3.
	require.Equal(t, &types.MsgAnnotateResponse{Final: true, Label: "cat"}, f.annotate(bob, item, "cat"))
	got := f.item(item)
	require.Equal(t, types.ITEM_STATUS_LABELED, got.Status)
	require.Equal(t, "cat", got.Label)
	require.Equal(t, uint32(3), got.Annotations)

	// Every stake is back (dave's first strike costs nothing), nothing burned.
	for _, a := range []sdk.AccAddress{alice, bob, dave} {
		require.Equal(t, int64(dfFunds), f.balance(a), f.bech(a))
		_, ok := f.annotation(item, a)
		require.False(t, ok, "annotation of %s not removed", f.bech(a))
	}
	require.Zero(t, f.escrow())
	require.Equal(t, supply, f.supply())

	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(alice), Agreed: 1}, f.stats(alice))
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(bob), Agreed: 1}, f.stats(bob))
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(dave), Disagreed: 1, Strikes: 1}, f.stats(dave))

	// data_points_per_label to each agreeing annotator, in address order.
	require.Equal(t, []dfPoints{
		{category: rewardstypes.CategoryData, account: alice, points: 1000},
		{category: rewardstypes.CategoryData, account: bob, points: 1000},
	}, f.rewards.calls)

	require.Equal(t, []types.EventAnnotated{
		{ItemId: item, Annotator: f.bech(alice), Label: "cat"},
		{ItemId: item, Annotator: f.bech(dave), Label: "dog"},
		{ItemId: item, Annotator: f.bech(bob), Label: "cat"},
	}, dfEvents[types.EventAnnotated](f))
	require.Equal(t, []types.EventItemFinalized{{ItemId: item, Status: types.ITEM_STATUS_LABELED, Label: "cat", Agreed: 2}},
		dfEvents[types.EventItemFinalized](f))
}

// At max_disagreements strikes, ⌊stake × annotation_slash_bps / 10000⌋ is
// burned and the rest returned; the strikes start again.
func TestAnnotateSlash(t *testing.T) {
	const stake = 1_000_001
	f := newDataFixture(t, func(p *types.Params) {
		p.AnnotationStake = sdk.NewInt64Coin(dfDenom, stake)
		p.AnnotationSlashBps = 3333
		p.MaxDisagreements = 3
	})
	ds, carol, alice, bob, dave, _ := dfSetup(f)
	supply := f.supply()

	for i, data := range []string{"one", "two", "three", "four"} {
		f.next()
		item := f.contribute(carol, ds, data)
		f.annotate(alice, item, "cat")
		f.annotate(dave, item, "dog")
		f.annotate(bob, item, "cat")
		require.Equal(t, "cat", f.item(item).Label)
		ev := dfEvents[types.EventItemFinalized](f)
		require.Len(t, ev, 1)
		require.Zero(t, f.escrow())
		switch i {
		case 0, 1:
			require.Equal(t, int64(dfFunds), f.balance(dave))
			require.Equal(t, types.AnnotatorStats{Annotator: f.bech(dave), Disagreed: uint64(i + 1), Strikes: uint32(i + 1)}, f.stats(dave))
			require.Zero(t, ev[0].Slashed)
		case 2:
			// 1_000_001 × 3333 / 10000 = 333_300.33…: 333_300 burned, 666_701 returned.
			require.Equal(t, int64(dfFunds-333_300), f.balance(dave))
			require.Equal(t, supply-333_300, f.supply())
			require.Equal(t, types.AnnotatorStats{Annotator: f.bech(dave), Disagreed: 3, Slashed: 1}, f.stats(dave))
			require.Equal(t, types.EventItemFinalized{ItemId: item, Status: types.ITEM_STATUS_LABELED, Label: "cat", Agreed: 2, Slashed: 1}, ev[0])
		case 3:
			// A new strike after the slash costs nothing.
			require.Equal(t, int64(dfFunds-333_300), f.balance(dave))
			require.Equal(t, supply-333_300, f.supply())
			require.Equal(t, types.AnnotatorStats{Annotator: f.bech(dave), Disagreed: 4, Strikes: 1, Slashed: 1}, f.stats(dave))
		}
	}
	require.Equal(t, int64(dfFunds), f.balance(alice))
	require.Equal(t, int64(dfFunds), f.balance(bob))
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(alice), Agreed: 4}, f.stats(alice))
	require.Len(t, f.rewards.calls, 8)
}

// A slash of 10000 bps burns the whole stake: nothing is returned.
func TestAnnotateSlashWholeStake(t *testing.T) {
	f := newDataFixture(t, func(p *types.Params) { p.AnnotationSlashBps = 10_000; p.MaxDisagreements = 1 })
	ds, carol, alice, bob, dave, _ := dfSetup(f)
	supply := f.supply()
	item := f.contribute(carol, ds, "x")
	f.annotate(alice, item, "cat")
	f.annotate(bob, item, "cat")
	f.annotate(dave, item, "bird")
	require.Equal(t, int64(dfFunds-dfStake), f.balance(dave))
	require.Equal(t, supply-dfStake, f.supply())
	require.Zero(t, f.escrow())
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(dave), Disagreed: 1, Slashed: 1}, f.stats(dave))
}

// Three different labels of three: no strict majority, the item is DISPUTED,
// every stake is returned, no stats move and nobody earns points.
func TestAnnotateTie(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, alice, bob, dave, _ := dfSetup(f)
	item := f.contribute(carol, ds, "unclear")
	supply := f.supply()
	f.next()

	f.annotate(alice, item, "cat")
	f.annotate(bob, item, "dog")
	require.Equal(t, &types.MsgAnnotateResponse{Final: true}, f.annotate(dave, item, "bird"))

	got := f.item(item)
	require.Equal(t, types.ITEM_STATUS_DISPUTED, got.Status)
	require.Empty(t, got.Label)
	for _, a := range []sdk.AccAddress{alice, bob, dave} {
		require.Equal(t, int64(dfFunds), f.balance(a))
		has, err := f.k.AnnotatorStats.Has(f.ctx, a)
		require.NoError(t, err)
		require.False(t, has)
		require.Equal(t, types.AnnotatorStats{Annotator: f.bech(a)}, f.stats(a))
	}
	require.Zero(t, f.escrow())
	require.Equal(t, supply, f.supply())
	require.Empty(t, f.rewards.calls)
	require.Equal(t, []types.EventItemFinalized{{ItemId: item, Status: types.ITEM_STATUS_DISPUTED}}, dfEvents[types.EventItemFinalized](f))
}

// With four annotators, 2–2 is no strict majority and 3–1 is.
func TestAnnotateStrictMajority(t *testing.T) {
	f := newDataFixture(t, func(p *types.Params) { p.AnnotatorsPerItem = 4 })
	ds, carol, alice, bob, dave, erin := dfSetup(f)
	even := f.contribute(carol, ds, "even")
	f.annotate(alice, even, "dog")
	f.annotate(bob, even, "cat")
	f.annotate(dave, even, "cat")
	require.Equal(t, &types.MsgAnnotateResponse{Final: true}, f.annotate(erin, even, "dog"))
	require.Equal(t, types.ITEM_STATUS_DISPUTED, f.item(even).Status)

	decided := f.contribute(carol, ds, "decided")
	f.annotate(alice, decided, "dog")
	f.annotate(bob, decided, "bird")
	f.annotate(dave, decided, "dog")
	require.Equal(t, &types.MsgAnnotateResponse{Final: true, Label: "dog"}, f.annotate(erin, decided, "dog"))
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(bob), Disagreed: 1, Strikes: 1}, f.stats(bob))
	require.Len(t, f.rewards.calls, 3)
}

// A dataset without labels takes any valid label.
func TestAnnotateFreeLabels(t *testing.T) {
	f := newDataFixture(t)
	_, carol, alice, bob, dave, _ := dfSetup(f)
	ds := f.register(carol)
	item := f.contribute(carol, ds, "free")
	f.annotate(alice, item, "tabby")
	f.annotate(bob, item, "tabby")
	require.Equal(t, &types.MsgAnnotateResponse{Final: true, Label: "tabby"}, f.annotate(dave, item, "tiger"))
}

// A failing x/rewards does not undo the label: its writes are dropped and
// the item is settled all the same.
func TestAnnotateRewardsFailure(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, alice, bob, dave, _ := dfSetup(f)
	f.rewards.err = errors.New("rewards down")
	item := f.contribute(carol, ds, "x")
	f.annotate(alice, item, "cat")
	f.annotate(bob, item, "cat")
	require.Equal(t, &types.MsgAnnotateResponse{Final: true, Label: "cat"}, f.annotate(dave, item, "cat"))
	require.Equal(t, types.ITEM_STATUS_LABELED, f.item(item).Status)
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(alice), Agreed: 1}, f.stats(alice))
	for _, a := range []sdk.AccAddress{alice, bob, dave} {
		require.Equal(t, int64(dfFunds), f.balance(a))
	}
	require.Nil(t, f.ctx.KVStore(f.keys[types.StoreKey]).Get([]byte{0xff, 0xee}), "write of a failed AddPoints kept")
	require.Empty(t, f.rewards.calls)
}

// Without an annotation stake, an annotator needs no funds.
func TestAnnotateZeroStake(t *testing.T) {
	f := newDataFixture(t, func(p *types.Params) { p.AnnotationStake = sdk.NewInt64Coin(dfDenom, 0) })
	carol, zed := dfAddr("carol"), dfAddr("zed")
	ds := f.register(carol, "cat")
	item := f.contribute(carol, ds, "x")
	f.annotate(zed, item, "cat")
	ann, ok := f.annotation(item, zed)
	require.True(t, ok)
	require.True(t, ann.Stake.IsZero())
	require.Zero(t, f.escrow())
}

// An item past a lowered annotators_per_item settles with its next label.
func TestAnnotateAfterParamsLowered(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, alice, bob, dave, _ := dfSetup(f)
	item := f.contribute(carol, ds, "x")
	f.annotate(alice, item, "cat")
	f.annotate(bob, item, "dog")
	p := f.params
	p.AnnotatorsPerItem = 1
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	require.Equal(t, &types.MsgAnnotateResponse{Final: true, Label: "dog"}, f.annotate(dave, item, "dog"))
	require.Equal(t, uint32(3), f.item(item).Annotations)
	require.Zero(t, f.escrow())
}
