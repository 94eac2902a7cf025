// Package simulation is x/pool's part of the app simulation: a randomized
// genesis (params and a few funded pools) and message factories for every
// message a user sends (create pool, delegate, undelegate, claim, unjail).
package simulation

import (
	"math/rand"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/x/pool/types"
)

// RandomParams returns valid params in bondDenom, sized for a simulation
// whose blocks are hours apart: unbondings mature within a few blocks, the
// minimum stakes are a small part of a simulated account's balance.
func RandomParams(r *rand.Rand, bondDenom string) types.Params {
	p := types.DefaultParams()
	p.BondDenom = bondDenom
	p.BaseMinStake = math.NewInt(r.Int63n(1_000_000) + 1)
	p.PerUnitStake = math.NewInt(r.Int63n(100_000))
	p.UnbondingPeriod = time.Duration(1+r.Intn(48)) * time.Hour
	p.MaxUnbondingsPerBlock = uint32(1 + r.Intn(20))
	p.MaxUnbondingEntries = uint32(1 + r.Intn(7))
	if r.Intn(2) == 0 {
		p.SlashDestination = types.SLASH_DESTINATION_TREASURY
	}
	p.MaxCommissionRate = math.LegacyNewDecWithPrec(int64(r.Intn(101)), 2)
	p.LoyaltyThreshold = time.Duration(r.Intn(72)) * time.Hour
	p.LoyaltyMaxBps = uint32(r.Intn(types.MaxLoyaltyMaxBps + 1))
	p.LoyaltyBpsPerDay = uint32(1 + r.Intn(1000))
	return p
}

// RandomizedGenState writes x/pool's genesis: random params and up to five
// pools of simulated accounts, each with its self-delegation. The pools'
// tokens are added to the pool module account and to the supply in x/bank's
// genesis, which the simulation generates first (modules run in name order).
func RandomizedGenState(simState *module.SimulationState) {
	r := simState.Rand
	params := RandomParams(r, simState.BondDenom)
	gs := types.DefaultGenesis()
	gs.Params = params

	backed := math.ZeroInt()
	n := r.Intn(6)
	for i := 0; i < n && i < len(simState.Accounts); i++ {
		acc := simState.Accounts[r.Intn(len(simState.Accounts))]
		provider := acc.Address.String()
		dup := false
		for _, p := range gs.Pools {
			dup = dup || p.Provider == provider
		}
		if dup {
			continue
		}
		bond := params.BaseMinStake.Add(math.NewInt(r.Int63n(10_000_000)))
		shares := math.LegacyNewDecFromInt(bond)
		gs.Pools = append(gs.Pools, types.Pool{
			Provider:        provider,
			Tokens:          bond,
			Shares:          shares,
			CommissionRate:  math.LegacyNewDecWithPrec(int64(r.Intn(int(params.MaxCommissionRate.MulInt64(100).TruncateInt64())+1)), 2),
			RewardPerShare:  sdk.DecCoins{},
			Commission:      sdk.DecCoins{},
			RewardTimeIndex: sdk.DecCoins{},
			LoyaltyReserve:  sdk.DecCoins{},
		})
		gs.Delegations = append(gs.Delegations, types.Delegation{
			Provider:            provider,
			Delegator:           provider,
			Shares:              shares,
			RewardPerSharePaid:  sdk.DecCoins{},
			PendingRewards:      sdk.DecCoins{},
			BondedSince:         simState.GenTimestamp,
			RewardTimeIndexPaid: sdk.DecCoins{},
		})
		backed = backed.Add(bond)
	}
	if backed.IsPositive() {
		addModuleBalance(simState, types.ModuleName, sdk.NewCoins(sdk.NewCoin(params.BondDenom, backed)))
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}

// addModuleBalance credits coins to a module account in the generated bank
// genesis and raises the supply by as much, so that x/bank's supply check
// and the module's own escrow check at InitGenesis both hold.
func addModuleBalance(simState *module.SimulationState, moduleName string, coins sdk.Coins) {
	bz, ok := simState.GenState[banktypes.ModuleName]
	if !ok {
		panic("x/pool simulation: bank genesis must be generated first")
	}
	var bank banktypes.GenesisState
	simState.Cdc.MustUnmarshalJSON(bz, &bank)
	addr := authtypes.NewModuleAddress(moduleName).String()
	found := false
	for i := range bank.Balances {
		if bank.Balances[i].Address == addr {
			bank.Balances[i].Coins = bank.Balances[i].Coins.Add(coins...)
			found = true
		}
	}
	if !found {
		bank.Balances = append(bank.Balances, banktypes.Balance{Address: addr, Coins: coins})
	}
	bank.Supply = bank.Supply.Add(coins...)
	simState.GenState[banktypes.ModuleName] = simState.Cdc.MustMarshalJSON(&bank)
}
