package kit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/codec"
)

// GenesisState is a module's genesis message (*types.GenesisState).
type GenesisState[T any] interface {
	*T
	proto.Message
	Validate() error
}

// ValidateGenesis decodes a module's genesis JSON and validates it.
func ValidateGenesis[T any, P GenesisState[T]](cdc codec.JSONCodec, module string, bz json.RawMessage) error {
	gs := P(new(T))
	if err := cdc.UnmarshalJSON(bz, gs); err != nil {
		return fmt.Errorf("unmarshal %s genesis state: %w", module, err)
	}
	return gs.Validate()
}

// InitGenesis decodes a module's genesis JSON and writes it with init. It
// panics on an invalid state, as the chain cannot start from it.
func InitGenesis[T any, P GenesisState[T]](ctx context.Context, cdc codec.JSONCodec, module string, bz json.RawMessage, init func(context.Context, P) error) {
	gs := P(new(T))
	cdc.MustUnmarshalJSON(bz, gs)
	if err := init(ctx, gs); err != nil {
		panic(fmt.Errorf("init %s genesis: %w", module, err))
	}
}

// ExportGenesis encodes the state export reads back; it panics if the state
// cannot be read, as no genesis file can be written from it.
func ExportGenesis[P proto.Message](ctx context.Context, cdc codec.JSONCodec, module string, export func(context.Context) (P, error)) json.RawMessage {
	gs, err := export(ctx)
	if err != nil {
		panic(fmt.Errorf("export %s genesis: %w", module, err))
	}
	return cdc.MustMarshalJSON(gs)
}
