// Package kit holds the few keeper helpers every meshd module shares, so
// that the six keepers render addresses, map missing records and emit
// events one way (docs/architecture.md, Conventions).
package kit

import (
	"context"
	"errors"
	"fmt"

	"github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log/v2"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Logger is the module's logger, tagged "module=x/<name>" as the SDK's are.
func Logger(ctx context.Context, module string) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With(log.ModuleKey, "x/"+module)
}

// Emit emits a typed event on the SDK context.
func Emit(ctx context.Context, ev proto.Message) error {
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev)
}

// NotFound maps collections.ErrNotFound to the module's registered error nf.
func NotFound(err error, nf *errorsmod.Error, what string) error {
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrap(nf, what)
	}
	return err
}

// AddrString renders an address with the chain's codec, for state, events
// and errors (hex if the codec refuses it, which a stored address never is).
func AddrString(ac address.Codec, a sdk.AccAddress) string {
	s, err := ac.BytesToString(a)
	if err != nil {
		return fmt.Sprintf("%X", []byte(a))
	}
	return s
}

// AddrBytes decodes an address with the chain's codec; invalid is the
// module's registered invalid-address error.
func AddrBytes(ac address.Codec, s string, invalid *errorsmod.Error) (sdk.AccAddress, error) {
	bz, err := ac.StringToBytes(s)
	if err != nil {
		return nil, errorsmod.Wrapf(invalid, "%q: %v", s, err)
	}
	return bz, nil
}

// Authorize checks that a message is signed by the module's authority (the
// x/dao account); invalid is the module's registered error.
func Authorize(authority, signer string, invalid *errorsmod.Error) error {
	if signer != authority {
		return errorsmod.Wrapf(invalid, "expected %s, got %s", authority, signer)
	}
	return nil
}

// UpdateParams is every module's MsgUpdateParams: the signer must be the
// authority, set stores the params (and makes the module's own checks),
// then the module's EventParamsUpdated ev is emitted.
func UpdateParams(ctx context.Context, authority, signer string, invalid *errorsmod.Error, set func() error, ev proto.Message) error {
	if err := Authorize(authority, signer, invalid); err != nil {
		return err
	}
	if err := set(); err != nil {
		return err
	}
	return Emit(ctx, ev)
}
