package types

import (
	"github.com/cosmos/cosmos-sdk/types/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DeriveAccount is the meshd account of sender on the counterparty chain
// whose packets arrive on channel (meshd's end, e.g. "channel-0"):
//
//	address.Hash("ibcinfer", channel + "/" + sender)   (32 bytes, SHA-256 based, ADR-028)
//
// No key controls it: the same (channel, sender) always maps to the same
// account, which pays for that sender's jobs and is their requester (so
// `meshd q inference jobs --requester <it>` lists them). The sender string
// is taken exactly as the packet carries it.
func DeriveAccount(channel, sender string) sdk.AccAddress {
	return address.Hash(ModuleName, []byte(channel+"/"+sender))
}
