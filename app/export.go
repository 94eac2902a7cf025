package app

import (
	"context"
	"encoding/json"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// ExportAppStateAndValidators exports the app state as a genesis file.
// With forZeroHeight the state is prepared for a chain restarting at height
// zero (rewards withdrawn, heights reset), as `meshd export --for-zero-height`.
func (app *MeshApp) ExportAppStateAndValidators(forZeroHeight bool, jailAllowedAddrs, modulesToExport []string) (servertypes.ExportedApp, error) {
	ctx := app.NewContextLegacy(true, cmtproto.Header{Height: app.LastBlockHeight()})

	// CometBFT starts InitChain at the height after the last committed one.
	height := app.LastBlockHeight() + 1
	if forZeroHeight {
		height = 0
		if err := app.prepForZeroHeightGenesis(ctx, jailAllowedAddrs); err != nil {
			return servertypes.ExportedApp{}, fmt.Errorf("prepare zero-height genesis: %w", err)
		}
	}

	genState, err := app.ModuleManager.ExportGenesisForModules(ctx, app.appCodec, modulesToExport)
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	// Compact, not indented: re-indenting would rewrite the raw JSON messages
	// stored in wasm contract histories.
	appState, err := json.Marshal(genState)
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	validators, err := staking.WriteValidators(ctx, app.StakingKeeper)
	return servertypes.ExportedApp{
		AppState:        appState,
		Validators:      validators,
		Height:          height,
		ConsensusParams: app.GetConsensusParams(ctx),
	}, err
}

// prepForZeroHeightGenesis withdraws all rewards and commission, resets
// distribution periods and staking/slashing heights, jails validators
// outside jailAllowedAddrs (when that list is given), and moves every height
// kept by x/epochs and meshd's modules back by the export height (ctx's), so
// that the chain restarted at height 1 goes on where this one stopped.
// Times are left alone: block time goes on from the wall clock.
func (app *MeshApp) prepForZeroHeightGenesis(ctx sdk.Context, jailAllowedAddrs []string) error {
	allowed := make(map[string]bool, len(jailAllowedAddrs))
	for _, addr := range jailAllowedAddrs {
		if _, err := sdk.ValAddressFromBech32(addr); err != nil {
			return fmt.Errorf("jail-allowed address %q: %w", addr, err)
		}
		allowed[addr] = true
	}
	valCodec := app.StakingKeeper.ValidatorAddressCodec()

	// Distribution: withdraw commission and delegator rewards.
	var iterErr error
	err := app.StakingKeeper.IterateValidators(ctx, func(_ int64, val stakingtypes.ValidatorI) bool {
		valBz, err := valCodec.StringToBytes(val.GetOperator())
		if err != nil {
			iterErr = err
			return true
		}
		_, _ = app.DistrKeeper.WithdrawValidatorCommission(ctx, valBz) // none to withdraw is fine
		return false
	})
	if err = firstErr(err, iterErr); err != nil {
		return err
	}

	dels, err := app.StakingKeeper.GetAllDelegations(ctx)
	if err != nil {
		return err
	}
	for _, del := range dels {
		delAddr, valAddr, err := delegationAddrs(del)
		if err != nil {
			return err
		}
		if _, err := app.DistrKeeper.WithdrawDelegationRewards(ctx, delAddr, valAddr); err != nil {
			return err
		}
	}

	app.DistrKeeper.DeleteAllValidatorSlashEvents(ctx)
	app.DistrKeeper.DeleteAllValidatorHistoricalRewards(ctx)

	// Re-create distribution periods at height 0.
	height := ctx.BlockHeight()
	ctx = ctx.WithBlockHeight(0)
	err = app.StakingKeeper.IterateValidators(ctx, func(_ int64, val stakingtypes.ValidatorI) bool {
		valBz, err := valCodec.StringToBytes(val.GetOperator())
		if err != nil {
			iterErr = err
			return true
		}
		// Unwithdrawable reward dust goes to the community pool.
		scraps, err := app.DistrKeeper.GetValidatorOutstandingRewardsCoins(ctx, valBz)
		if err != nil {
			iterErr = err
			return true
		}
		feePool, err := app.DistrKeeper.FeePool.Get(ctx)
		if err != nil {
			iterErr = err
			return true
		}
		feePool.CommunityPool = feePool.CommunityPool.Add(scraps...)
		if err := app.DistrKeeper.FeePool.Set(ctx, feePool); err != nil {
			iterErr = err
			return true
		}
		if err := app.DistrKeeper.Hooks().AfterValidatorCreated(ctx, valBz); err != nil {
			iterErr = err
			return true
		}
		return false
	})
	if err = firstErr(err, iterErr); err != nil {
		return err
	}
	for _, del := range dels {
		delAddr, valAddr, err := delegationAddrs(del)
		if err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().BeforeDelegationCreated(ctx, delAddr, valAddr); err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().AfterDelegationModified(ctx, delAddr, valAddr); err != nil {
			return err
		}
	}
	ctx = ctx.WithBlockHeight(height)

	// Staking: reset creation heights of redelegations and unbondings.
	err = app.StakingKeeper.IterateRedelegations(ctx, func(_ int64, red stakingtypes.Redelegation) bool {
		for i := range red.Entries {
			red.Entries[i].CreationHeight = 0
		}
		if err := app.StakingKeeper.SetRedelegation(ctx, red); err != nil {
			iterErr = err
			return true
		}
		return false
	})
	if err = firstErr(err, iterErr); err != nil {
		return err
	}
	err = app.StakingKeeper.IterateUnbondingDelegations(ctx, func(_ int64, ubd stakingtypes.UnbondingDelegation) bool {
		for i := range ubd.Entries {
			ubd.Entries[i].CreationHeight = 0
		}
		if err := app.StakingKeeper.SetUnbondingDelegation(ctx, ubd); err != nil {
			iterErr = err
			return true
		}
		return false
	})
	if err = firstErr(err, iterErr); err != nil {
		return err
	}

	// Validators: reset unbonding heights, jail those not allowed.
	store := ctx.KVStore(app.GetKey(stakingtypes.StoreKey))
	iter := storetypes.KVStoreReversePrefixIterator(store, stakingtypes.ValidatorsKey)
	for ; iter.Valid(); iter.Next() {
		addr := sdk.ValAddress(stakingtypes.AddressFromValidatorsKey(iter.Key()))
		validator, err := app.StakingKeeper.GetValidator(ctx, addr)
		if err != nil {
			iter.Close()
			return fmt.Errorf("validator %s: %w", addr, err)
		}
		validator.UnbondingHeight = 0
		if len(allowed) > 0 && !allowed[addr.String()] {
			validator.Jailed = true
		}
		if err := app.StakingKeeper.SetValidator(ctx, validator); err != nil {
			iter.Close()
			return err
		}
	}
	if err := iter.Close(); err != nil {
		return err
	}
	if _, err := app.StakingKeeper.ApplyAndReturnValidatorSetUpdates(ctx); err != nil {
		return err
	}

	// Slashing: reset signing-info start heights.
	if err := firstErr(app.SlashingKeeper.IterateValidatorSigningInfos(ctx,
		func(addr sdk.ConsAddress, info slashingtypes.ValidatorSigningInfo) bool {
			info.StartHeight = 0
			if err := app.SlashingKeeper.SetValidatorSigningInfo(ctx, addr, info); err != nil {
				iterErr = err
				return true
			}
			return false
		}), iterErr); err != nil {
		return err
	}

	// x/epochs: its epochs run on block time; only the start heights,
	// a record, move back by the export height.
	if err := app.prepEpochsForZeroHeight(ctx); err != nil {
		return err
	}

	// meshd's modules keep absolute heights (windows, deadlines, jails,
	// creation heights, height-ordered queues): each moves them back by the
	// export height, ctx.BlockHeight(), since the restarted chain's first
	// block is 1. See each keeper's PrepareForZeroHeight.
	for _, prep := range []struct {
		module string
		run    func(context.Context) error
	}{
		{"compute", app.ComputeKeeper.PrepareForZeroHeight},
		{"inference", app.InferenceKeeper.PrepareForZeroHeight},
		{"pool", app.PoolKeeper.PrepareForZeroHeight},
		{"rewards", app.RewardsKeeper.PrepareForZeroHeight},
		// x/dao: voting-power checkpoints are keyed by height; x/training:
		// running rounds end at absolute heights.
		{"dao", app.DaoKeeper.PrepareForZeroHeight},
		{"training", app.TrainingKeeper.PrepareForZeroHeight},
	} {
		if err := prep.run(ctx); err != nil {
			return fmt.Errorf("x/%s: %w", prep.module, err)
		}
	}
	return nil
}

// prepEpochsForZeroHeight moves x/epochs' current_epoch_start_height back by
// the export height, no lower than 0. Epochs start and end by block time,
// which goes on across the restart, so nothing else changes.
func (app *MeshApp) prepEpochsForZeroHeight(ctx sdk.Context) error {
	infos, err := app.EpochsKeeper.AllEpochInfos(ctx)
	if err != nil {
		return err
	}
	for _, info := range infos {
		info.CurrentEpochStartHeight = max(info.CurrentEpochStartHeight-ctx.BlockHeight(), 0)
		if err := app.EpochsKeeper.EpochInfo.Set(ctx, info.Identifier, info); err != nil {
			return err
		}
	}
	return nil
}

func delegationAddrs(del stakingtypes.Delegation) (sdk.AccAddress, sdk.ValAddress, error) {
	valAddr, err := sdk.ValAddressFromBech32(del.ValidatorAddress)
	if err != nil {
		return nil, nil, err
	}
	delAddr, err := sdk.AccAddressFromBech32(del.DelegatorAddress)
	return delAddr, valAddr, err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
