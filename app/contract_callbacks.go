package app

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	wasmkeeper "github.com/CosmWasm/wasmd/x/wasm/keeper"
)

// wasmContracts lets x/inference call a requester contract back ("sudo"
// job callbacks) through wasmd's permissioned keeper.
type wasmContracts struct {
	keeper *wasmkeeper.Keeper
	perm   *wasmkeeper.PermissionedKeeper
}

func newWasmContracts(k *wasmkeeper.Keeper) wasmContracts {
	return wasmContracts{keeper: k, perm: wasmkeeper.NewDefaultPermissionKeeper(k)}
}

// IsContract reports whether addr is a contract.
func (w wasmContracts) IsContract(ctx context.Context, addr sdk.AccAddress) bool {
	return w.keeper.HasContractInfo(ctx, addr)
}

// Sudo calls the contract's sudo entry point.
func (w wasmContracts) Sudo(ctx context.Context, contract sdk.AccAddress, msg []byte) ([]byte, error) {
	return w.perm.Sudo(sdk.UnwrapSDKContext(ctx), contract, msg)
}
