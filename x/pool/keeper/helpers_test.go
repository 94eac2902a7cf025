package keeper_test

import (
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

func abciEvent(e sdk.Event) abci.Event { return abci.Event(e) }

func joinTime(t time.Time, id uint64) collections.Pair[time.Time, uint64] {
	return collections.Join(t, id)
}
