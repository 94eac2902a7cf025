package chain

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// keyringAppName names the keyring's service (os backend) and its files.
const keyringAppName = "meshd-worker"

// OpenKeyring opens the keyring in home (home/keyring-<backend>). The file
// backend reads its passphrase from input.
func OpenKeyring(home, backend string, input io.Reader, cdc codec.Codec) (keyring.Keyring, error) {
	switch backend {
	case keyring.BackendTest, keyring.BackendFile, keyring.BackendOS, keyring.BackendMemory:
	default:
		return nil, fmt.Errorf("keyring backend %q: want test, file, os or memory", backend)
	}
	return keyring.New(keyringAppName, backend, filepath.Clean(home), input, cdc)
}

// CreateKey creates the worker key (a new BIP-39 mnemonic, secp256k1, the
// Cosmos HD path) and returns its address and mnemonic. It refuses to
// overwrite an existing key.
func CreateKey(kr keyring.Keyring, name string) (addr, mnemonic string, err error) {
	if _, err := kr.Key(name); err == nil {
		return "", "", fmt.Errorf("key %q already exists", name)
	} else if !errors.Is(err, sdkerrors.ErrKeyNotFound) {
		return "", "", err
	}
	rec, mnemonic, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		return "", "", err
	}
	addr, err = RecordAddress(rec)
	return addr, mnemonic, err
}

// KeyAddress returns the bech32 address of the named key.
func KeyAddress(kr keyring.Keyring, name string) (string, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return "", fmt.Errorf("key %q: %w (run meshd-worker init)", name, err)
	}
	return RecordAddress(rec)
}

// RecordAddress returns a keyring record's mesh1… address.
func RecordAddress(rec *keyring.Record) (string, error) {
	bz, err := rec.GetAddress()
	if err != nil {
		return "", err
	}
	return AddressCodec.BytesToString(bz)
}
