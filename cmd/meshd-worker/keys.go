package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/llmesh/mesh/worker/chain"
)

// dataDir is where the worker keeps its PoC state, under the home.
func dataDir(home string) string { return filepath.Join(home, "data", "poc") }

// jobsDir is where the worker keeps its inference job records.
func jobsDir(home string) string { return filepath.Join(home, "data", "jobs") }

func addKeyringFlag(cmd *cobra.Command) {
	cmd.Flags().String(flagKeyringBackend, keyring.BackendTest, "keyring backend: test, file or os")
}

func openKeyring(cmd *cobra.Command) (keyring.Keyring, string, error) {
	home, err := homeDir(cmd)
	if err != nil {
		return nil, "", err
	}
	backend, _ := cmd.Flags().GetString(flagKeyringBackend)
	enc, err := chain.NewEncoding()
	if err != nil {
		return nil, "", err
	}
	kr, err := chain.OpenKeyring(home, backend, cmd.InOrStdin(), enc.Codec)
	return kr, home, err
}

func initCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the worker home and its key (named \"worker\"), and print the address",
		Long: `Create the worker home (--home, default ~/.meshd-worker) and the worker key.

The mnemonic is printed once: write it down. Then, from the provider's account:
  meshd tx compute authorize-worker <address> ...
  meshd tx feegrant grant <provider> <address> ...   (creates the worker account)
and register the worker (signed by the worker key).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, home, err := openKeyring(cmd)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dataDir(home), 0o700); err != nil {
				return err
			}
			addr, mnemonic, err := chain.CreateKey(kr, chain.KeyName)
			if err != nil {
				return err
			}
			return printOut(cmd, map[string]string{"name": chain.KeyName, "address": addr, "mnemonic": mnemonic, "home": home},
				fmt.Sprintf("address: %s\nhome: %s\n\n**Write this mnemonic down; it is the only way to recover the key.**\n\n%s", addr, home, mnemonic))
		},
	}
	addKeyringFlag(cmd)
	addOutputFlag(cmd)
	return cmd
}

func keysCmd() *cobra.Command {
	keys := &cobra.Command{Use: "keys", Short: "Inspect the worker key"}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the worker key's address and public key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, _, err := openKeyring(cmd)
			if err != nil {
				return err
			}
			rec, err := kr.Key(chain.KeyName)
			if err != nil {
				return fmt.Errorf("key %q: %w (run meshd-worker init)", chain.KeyName, err)
			}
			addr, err := chain.RecordAddress(rec)
			if err != nil {
				return err
			}
			pub, err := rec.GetPubKey()
			if err != nil {
				return err
			}
			return printOut(cmd, map[string]string{"name": rec.Name, "address": addr, "pubkey": fmt.Sprintf("%X", pub.Bytes()), "type": pub.Type()}, addr)
		},
	}
	addKeyringFlag(show)
	addOutputFlag(show)
	keys.AddCommand(show)
	return keys
}

func addressCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "address",
		Short: "Print the worker's address",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, _, err := openKeyring(cmd)
			if err != nil {
				return err
			}
			addr, err := chain.KeyAddress(kr, chain.KeyName)
			if err != nil {
				return err
			}
			return printOut(cmd, map[string]string{"address": addr}, addr)
		},
	}
	addKeyringFlag(cmd)
	addOutputFlag(cmd)
	return cmd
}
