package app

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"

	gmptypes "github.com/cosmos/ibc-go/v11/modules/apps/27-gmp/types"
	channeltypesv2 "github.com/cosmos/ibc-go/v11/modules/core/04-channel/v2/types"
)

// GMPCodespace is the codespace of the errors of app/gmp.go.
const GMPCodespace = "meshgmp"

// ErrMsgNotAllowedForGMP refuses a message a GMP account may not send.
var ErrMsgNotAllowedForGMP = errorsmod.Register(GMPCodespace, 2, "message not allowed from a GMP account")

// gmpRouter is the message router of IBC v2 general message passing
// (ibc-go 27-gmp): a counterparty's call runs messages signed by its
// predictable account on meshd (types.BuildAddressPredictable of the
// destination client, the sender and a salt). Such an account is an
// interchain account without a channel, so it may send exactly what the ICA
// host allows by default (ICAHostAllowMessages: inference requests, pool
// and DAO participation, bank sends); anything else is refused, and the
// whole call with it.
type gmpRouter struct {
	next    *baseapp.MsgServiceRouter
	allowed map[string]bool
}

func newGMPRouter(next *baseapp.MsgServiceRouter) gmpRouter {
	allowed := make(map[string]bool)
	for _, url := range ICAHostAllowMessages() {
		allowed[url] = true
	}
	return gmpRouter{next: next, allowed: allowed}
}

// Handler returns the message's handler, or one that refuses it. 27-gmp
// sends its own outgoing calls through the same router, as an IBC v2
// MsgSendPacket whose payloads are all for the GMP port: those pass (an
// account may call onwards), and a MsgSendPacket for any other port does not.
func (r gmpRouter) Handler(msg sdk.Msg) baseapp.MsgServiceHandler {
	url := sdk.MsgTypeURL(msg)
	if send, ok := msg.(*channeltypesv2.MsgSendPacket); ok && gmpOnly(send) {
		return r.next.Handler(msg)
	}
	if !r.allowed[url] {
		return func(sdk.Context, sdk.Msg) (*sdk.Result, error) {
			return nil, errorsmod.Wrapf(ErrMsgNotAllowedForGMP, "%s", url)
		}
	}
	return r.next.Handler(msg)
}

// gmpOnly reports whether every payload of msg goes from and to the GMP port.
func gmpOnly(msg *channeltypesv2.MsgSendPacket) bool {
	if len(msg.Payloads) == 0 {
		return false
	}
	for _, p := range msg.Payloads {
		if p.SourcePort != gmptypes.PortID || p.DestinationPort != gmptypes.PortID {
			return false
		}
	}
	return true
}
