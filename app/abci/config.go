package abci

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cast"

	"github.com/cosmos/cosmos-sdk/client/flags"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
)

// Config is app.toml's [mesh] section: how the node makes its vote extensions.
type Config struct {
	// WorkerSidecar is the gRPC address of the validator's meshd-worker
	// Sidecar service (empty: the extension carries the beacon share only).
	WorkerSidecar string `mapstructure:"worker_sidecar"`
	// SidecarTimeout bounds one Commitments call; past it the extension
	// goes out without the worker's commitments.
	SidecarTimeout time.Duration `mapstructure:"sidecar_timeout"`
	// BeaconKeyFile holds the key the validator's beacon secrets derive
	// from, relative to the node home; created on first start.
	BeaconKeyFile string `mapstructure:"beacon_key_file"`
}

// DefaultSidecarTimeout is the default sidecar_timeout: a small part of a
// 1 s block, so that a slow worker never delays the precommit.
const DefaultSidecarTimeout = 250 * time.Millisecond

// DefaultBeaconKeyFile is the default beacon_key_file.
const DefaultBeaconKeyFile = "config/beacon_key.json"

// DefaultConfig returns the [mesh] defaults.
func DefaultConfig() Config {
	return Config{SidecarTimeout: DefaultSidecarTimeout, BeaconKeyFile: DefaultBeaconKeyFile}
}

// ConfigTemplate is the [mesh] section of app.toml.
const ConfigTemplate = `
###############################################################################
###                        meshd vote extensions                            ###
###############################################################################

[mesh]

# gRPC address of this validator's meshd-worker Sidecar service (the
# worker's --sidecar-listen). Empty: vote extensions carry the beacon share
# only. Example: "127.0.0.1:9095".
worker_sidecar = "{{ .Mesh.WorkerSidecar }}"

# Longest wait for the worker in ExtendVote; past it the vote goes out
# without the worker's commitments.
sidecar_timeout = "{{ .Mesh.SidecarTimeout }}"

# File with the key this validator's beacon secrets derive from (relative
# to the node home). Created on first start; keep it with the node's keys:
# losing it costs beacon misses until the new key's first commitment lands.
beacon_key_file = "{{ .Mesh.BeaconKeyFile }}"
`

// ReadConfig reads [mesh] from the app options, with defaults for what is
// unset, and resolves the key file against the node home.
func ReadConfig(opts servertypes.AppOptions) (Config, error) {
	cfg := DefaultConfig()
	if v := opts.Get("mesh.worker_sidecar"); v != nil {
		cfg.WorkerSidecar = cast.ToString(v)
	}
	if v := opts.Get("mesh.sidecar_timeout"); v != nil {
		d, err := cast.ToDurationE(v)
		if err != nil || d <= 0 || d > 5*time.Second {
			return cfg, fmt.Errorf("mesh.sidecar_timeout %v: want a duration in (0, 5s]", v)
		}
		cfg.SidecarTimeout = d
	}
	if v := cast.ToString(opts.Get("mesh.beacon_key_file")); v != "" {
		cfg.BeaconKeyFile = v
	}
	if !filepath.IsAbs(cfg.BeaconKeyFile) {
		home := cast.ToString(opts.Get(flags.FlagHome))
		cfg.BeaconKeyFile = filepath.Join(home, cfg.BeaconKeyFile)
	}
	return cfg, nil
}

// ReadConsAddress returns the consensus address in a CometBFT
// priv_validator_key.json (its "address" field; no key material is read
// into meshd), or nil when the file is absent.
func ReadConsAddress(path string) ([]byte, error) {
	bz, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(bz, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	addr, err := hex.DecodeString(f.Address)
	if err != nil || len(addr) != 20 {
		return nil, fmt.Errorf("%s: address %q is not 20 hex-encoded bytes", path, f.Address)
	}
	return addr, nil
}
