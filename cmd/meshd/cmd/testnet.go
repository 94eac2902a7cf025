package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	cmtconfig "github.com/cometbft/cometbft/config"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/spf13/cobra"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/server"
	srvconfig "github.com/cosmos/cosmos-sdk/server/config"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	wasmtypes "github.com/CosmWasm/wasmd/x/wasm/types"

	"github.com/llmesh/mesh/app"
	meshabci "github.com/llmesh/mesh/app/abci"
)

const (
	flagNumValidators     = "v"
	flagOutputDir         = "output-dir"
	flagNodeDirPrefix     = "node-dir-prefix"
	flagNodeDaemonHome    = "node-daemon-home"
	flagStartingIPAddress = "starting-ip-address"
	flagBasePort          = "base-port"
	flagCommitTimeout     = "commit-timeout"

	// Each node gets portsPerNode consecutive ports from --base-port:
	// p2p, rpc, grpc, api.
	portsPerNode = 10
)

// testnetArgs are the options of `meshd testnet init-files`.
type testnetArgs struct {
	numValidators  int
	outputDir      string
	nodeDirPrefix  string
	nodeDaemonHome string
	chainID        string
	minGasPrices   string
	startingIP     string
	basePort       int
	commitTimeout  time.Duration
	keyringBackend string
	algo           string
}

// nodePorts are the listen ports of validator i on a single host.
type nodePorts struct{ p2p, rpc, grpc, api int }

func (a testnetArgs) ports(i int) nodePorts {
	base := a.basePort + i*portsPerNode
	return nodePorts{p2p: base, rpc: base + 1, grpc: base + 2, api: base + 3}
}

// NewTestnetCmd returns `meshd testnet`, which prepares multi-validator
// networks on one machine.
func NewTestnetCmd(basics module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "testnet",
		Short:                      "Set up a local multi-validator testnet",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(testnetInitFilesCmd(basics))
	return cmd
}

func testnetInitFilesCmd(basics module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init-files",
		Short: "Write the home directories of an N-validator testnet that runs on one host",
		Long: `Write one home directory per validator (node0, node1, …) under --output-dir,
with a shared genesis, gentxs, test-keyring keys and persistent peers. Node i
listens on --base-port + 10*i (p2p), +1 (rpc), +2 (grpc), +3 (api) at
--starting-ip-address, so the whole network runs on one machine:

  meshd testnet init-files --v 4 -o ./mytestnet --chain-id mesh-testnet-1
  meshd start --home ./mytestnet/node0/meshd &   # and node1..node3`,
		Example: "meshd testnet init-files --v 4 -o ./mytestnet --chain-id mesh-testnet-1 --base-port 26600",
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			serverCtx := server.GetServerContextFromCmd(cmd)

			var a testnetArgs
			a.numValidators, _ = cmd.Flags().GetInt(flagNumValidators)
			a.outputDir, _ = cmd.Flags().GetString(flagOutputDir)
			a.nodeDirPrefix, _ = cmd.Flags().GetString(flagNodeDirPrefix)
			a.nodeDaemonHome, _ = cmd.Flags().GetString(flagNodeDaemonHome)
			a.chainID, _ = cmd.Flags().GetString(flags.FlagChainID)
			a.minGasPrices, _ = cmd.Flags().GetString(server.FlagMinGasPrices)
			a.startingIP, _ = cmd.Flags().GetString(flagStartingIPAddress)
			a.basePort, _ = cmd.Flags().GetInt(flagBasePort)
			a.commitTimeout, _ = cmd.Flags().GetDuration(flagCommitTimeout)
			a.keyringBackend, _ = cmd.Flags().GetString(flags.FlagKeyringBackend)
			a.algo, _ = cmd.Flags().GetString(flags.FlagKeyType)
			if a.numValidators < 1 {
				return fmt.Errorf("--%s must be at least 1", flagNumValidators)
			}
			if a.basePort < 1024 || a.basePort+a.numValidators*portsPerNode > 65535 {
				return fmt.Errorf("--%s %d leaves no room for %d nodes", flagBasePort, a.basePort, a.numValidators)
			}
			if net.ParseIP(a.startingIP).To4() == nil {
				return fmt.Errorf("--%s %q is not an IPv4 address", flagStartingIPAddress, a.startingIP)
			}
			if _, err := os.Stat(a.outputDir); err == nil {
				return fmt.Errorf("output directory %s already exists; remove it or pick another", a.outputDir)
			}
			return initTestnetFiles(cmd, clientCtx, serverCtx.Config, basics, a)
		},
	}
	cmd.Flags().Int(flagNumValidators, 4, "number of validators")
	cmd.Flags().StringP(flagOutputDir, "o", "./.testnet", "directory for the node home directories")
	cmd.Flags().String(flagNodeDirPrefix, "node", "prefix of each node's directory name")
	cmd.Flags().String(flagNodeDaemonHome, "meshd", "home directory of meshd inside each node directory")
	cmd.Flags().String(flags.FlagChainID, "mesh-testnet-1", "chain-id of the genesis")
	cmd.Flags().String(server.FlagMinGasPrices, app.DefaultMinGasPrices, "minimum gas prices each node accepts")
	cmd.Flags().String(flagStartingIPAddress, "127.0.0.1", "IP of node0; node i gets the i-th next address when not on loopback")
	cmd.Flags().Int(flagBasePort, 26600, "first listen port; node i uses base+10i .. base+10i+3")
	cmd.Flags().Duration(flagCommitTimeout, time.Second, "CometBFT timeout_commit (block time)")
	cmd.Flags().String(flags.FlagKeyringBackend, keyring.BackendTest, "keyring backend of the validator keys")
	cmd.Flags().String(flags.FlagKeyType, string(hd.Secp256k1Type), "key signing algorithm")
	return cmd
}

// nodeIP returns the address of node i: all nodes share a loopback address
// (they differ by port); otherwise node i gets startingIP + i.
func nodeIP(start string, i int) string {
	ip := net.ParseIP(start).To4()
	if ip.IsLoopback() {
		return ip.String()
	}
	out := make(net.IP, len(ip))
	copy(out, ip)
	out[3] += byte(i)
	return out.String()
}

func initTestnetFiles(cmd *cobra.Command, clientCtx client.Context, nodeConfig *cmtconfig.Config, basics module.BasicManager, a testnetArgs) error {
	valCodec := authcodec.NewBech32Codec(app.Bech32PrefixValAddr)
	nodeIDs := make([]string, a.numValidators)
	valPubKeys := make([]cryptotypes.PubKey, a.numValidators)
	genFiles := make([]string, a.numValidators)
	var (
		genAccounts []authtypes.GenesisAccount
		genBalances []banktypes.Balance
	)
	gentxsDir := filepath.Join(a.outputDir, "gentxs")
	inBuf := bufio.NewReader(cmd.InOrStdin())

	// Each validator account holds 1,000,000 MESH and bonds 100 MESH.
	accountTokens := sdk.TokensFromConsensusPower(1_000_000, sdk.DefaultPowerReduction)
	bondTokens := sdk.TokensFromConsensusPower(100, sdk.DefaultPowerReduction)

	for i := 0; i < a.numValidators; i++ {
		name := fmt.Sprintf("%s%d", a.nodeDirPrefix, i)
		nodeDir := filepath.Join(a.outputDir, name, a.nodeDaemonHome)
		ports := a.ports(i)
		ip := nodeIP(a.startingIP, i)

		nodeConfig.SetRoot(nodeDir)
		nodeConfig.Moniker = name
		if err := os.MkdirAll(filepath.Join(nodeDir, "config"), 0o755); err != nil {
			return err
		}
		var err error
		nodeIDs[i], valPubKeys[i], err = genutil.InitializeNodeValidatorFiles(nodeConfig)
		if err != nil {
			return err
		}
		genFiles[i] = nodeConfig.GenesisFile()

		kb, err := keyring.New(sdk.KeyringServiceName(), a.keyringBackend, nodeDir, inBuf, clientCtx.Codec)
		if err != nil {
			return err
		}
		algos, _ := kb.SupportedAlgorithms()
		algo, err := keyring.NewSigningAlgoFromString(a.algo, algos)
		if err != nil {
			return err
		}
		addr, secret, err := testutil.GenerateSaveCoinKey(kb, name, "", true, algo)
		if err != nil {
			return err
		}
		seed, _ := json.Marshal(map[string]string{"secret": secret})
		if err := writeFile(filepath.Join(nodeDir, "key_seed.json"), seed); err != nil {
			return err
		}

		genBalances = append(genBalances, banktypes.Balance{
			Address: addr.String(),
			Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, accountTokens)),
		})
		genAccounts = append(genAccounts, authtypes.NewBaseAccount(addr, nil, 0, 0))

		valStr, err := valCodec.BytesToString(sdk.ValAddress(addr))
		if err != nil {
			return err
		}
		createVal, err := stakingtypes.NewMsgCreateValidator(valStr, valPubKeys[i],
			sdk.NewCoin(app.BondDenom, bondTokens),
			stakingtypes.NewDescription(name, "", "", "", ""),
			stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(5, 2), math.LegacyNewDecWithPrec(20, 2), math.LegacyNewDecWithPrec(1, 2)),
			math.OneInt())
		if err != nil {
			return err
		}
		memo := fmt.Sprintf("%s@%s:%d", nodeIDs[i], ip, ports.p2p)
		txBuilder := clientCtx.TxConfig.NewTxBuilder()
		if err := txBuilder.SetMsgs(createVal); err != nil {
			return err
		}
		txBuilder.SetMemo(memo)
		txf := tx.Factory{}.WithChainID(a.chainID).WithMemo(memo).WithKeybase(kb).WithTxConfig(clientCtx.TxConfig)
		if err := tx.Sign(cmd.Context(), txf, name, txBuilder, true); err != nil {
			return err
		}
		txBz, err := clientCtx.TxConfig.TxJSONEncoder()(txBuilder.GetTx())
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(gentxsDir, name+".json"), txBz); err != nil {
			return err
		}

		appConfig := srvconfig.DefaultConfig()
		appConfig.MinGasPrices = a.minGasPrices
		appConfig.API.Enable = true
		appConfig.API.Address = fmt.Sprintf("tcp://%s:%d", ip, ports.api)
		appConfig.GRPC.Address = fmt.Sprintf("%s:%d", ip, ports.grpc)
		appTemplate, _ := initAppConfig()
		srvconfig.SetConfigTemplate(appTemplate)
		srvconfig.WriteConfigFile(filepath.Join(nodeDir, "config", "app.toml"),
			meshAppConfig{Config: *appConfig, Wasm: wasmtypes.DefaultNodeConfig(), Mesh: meshabci.DefaultConfig()})
	}

	if err := writeGenesisFiles(clientCtx, basics, a.chainID, genAccounts, genBalances, genFiles); err != nil {
		return err
	}
	if err := collectGenFiles(clientCtx, nodeConfig, a, nodeIDs, valPubKeys, valCodec); err != nil {
		return err
	}
	cmd.PrintErrf("Initialized %d validator home directories under %s (chain-id %s)\n", a.numValidators, a.outputDir, a.chainID)
	for i := 0; i < a.numValidators; i++ {
		p := a.ports(i)
		cmd.PrintErrf("  %s%d: rpc tcp://%s:%d  grpc %s:%d  api http://%s:%d\n", a.nodeDirPrefix, i,
			nodeIP(a.startingIP, i), p.rpc, nodeIP(a.startingIP, i), p.grpc, nodeIP(a.startingIP, i), p.api)
	}
	return nil
}

// writeGenesisFiles writes the pre-gentx genesis (accounts and balances) to every node.
func writeGenesisFiles(clientCtx client.Context, basics module.BasicManager, chainID string,
	accounts []authtypes.GenesisAccount, balances []banktypes.Balance, genFiles []string,
) error {
	cdc := clientCtx.Codec
	state := basics.DefaultGenesis(cdc)

	var authGen authtypes.GenesisState
	cdc.MustUnmarshalJSON(state[authtypes.ModuleName], &authGen)
	packed, err := authtypes.PackAccounts(accounts)
	if err != nil {
		return err
	}
	authGen.Accounts = packed
	state[authtypes.ModuleName] = cdc.MustMarshalJSON(&authGen)

	var bankGen banktypes.GenesisState
	cdc.MustUnmarshalJSON(state[banktypes.ModuleName], &bankGen)
	bankGen.Balances = banktypes.SanitizeGenesisBalances(balances)
	for _, b := range bankGen.Balances {
		bankGen.Supply = bankGen.Supply.Add(b.Coins...)
	}
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(&bankGen)

	stateJSON, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	gen := genutiltypes.NewAppGenesisWithVersion(chainID, stateJSON)
	for _, f := range genFiles {
		if err := gen.SaveAs(f); err != nil {
			return err
		}
	}
	return nil
}

// collectGenFiles folds the gentxs into each node's genesis, writes the
// node's config.toml (ports, peers, block time) and one canonical genesis time.
func collectGenFiles(clientCtx client.Context, nodeConfig *cmtconfig.Config, a testnetArgs,
	nodeIDs []string, valPubKeys []cryptotypes.PubKey, valCodec interface {
		StringToBytes(string) ([]byte, error)
		BytesToString([]byte) (string, error)
	},
) error {
	var appState json.RawMessage
	genTime := cmttime.Now()
	gentxsDir := filepath.Join(a.outputDir, "gentxs")

	for i := 0; i < a.numValidators; i++ {
		name := fmt.Sprintf("%s%d", a.nodeDirPrefix, i)
		nodeDir := filepath.Join(a.outputDir, name, a.nodeDaemonHome)
		ports := a.ports(i)
		ip := nodeIP(a.startingIP, i)

		nodeConfig.SetRoot(nodeDir)
		nodeConfig.Moniker = name
		nodeConfig.RPC.ListenAddress = fmt.Sprintf("tcp://%s:%d", ip, ports.rpc)
		nodeConfig.RPC.PprofListenAddress = ""
		nodeConfig.P2P.ListenAddress = fmt.Sprintf("tcp://%s:%d", ip, ports.p2p)
		nodeConfig.P2P.AddrBookStrict = false
		nodeConfig.P2P.AllowDuplicateIP = true
		nodeConfig.Consensus.TimeoutCommit = a.commitTimeout

		initCfg := genutiltypes.NewInitConfig(a.chainID, gentxsDir, nodeIDs[i], valPubKeys[i])
		appGenesis, err := genutiltypes.AppGenesisFromFile(nodeConfig.GenesisFile())
		if err != nil {
			return err
		}
		// GenAppStateFromConfig also sets persistent_peers from the gentx memos
		// and writes config.toml.
		nodeState, err := genutil.GenAppStateFromConfig(clientCtx.Codec, clientCtx.TxConfig, nodeConfig, initCfg,
			appGenesis, banktypes.GenesisBalancesIterator{}, genutiltypes.DefaultMessageValidator, valCodec)
		if err != nil {
			return err
		}
		if appState == nil {
			appState = nodeState
		}
		if err := genutil.ExportGenesisFileWithTime(nodeConfig.GenesisFile(), a.chainID, nil, appState, genTime); err != nil {
			return err
		}
		cmtconfig.WriteConfigFile(filepath.Join(nodeDir, "config", "config.toml"), nodeConfig)
		if err := writeClientConfig(nodeDir, a.chainID, a.keyringBackend, fmt.Sprintf("tcp://%s:%d", ip, ports.rpc)); err != nil {
			return err
		}
	}
	return nil
}

// writeClientConfig points the node's client.toml at its own RPC, so
// `meshd … --home nodeN/meshd` talks to node N without more flags.
func writeClientConfig(home, chainID, keyringBackend, node string) error {
	content := fmt.Sprintf(`chain-id = %q
keyring-backend = %q
keyring-default-keyname = ""
output = "text"
node = %q
broadcast-mode = "sync"
`, chainID, keyringBackend, node)
	return writeFile(filepath.Join(home, "config", "client.toml"), []byte(content))
}

func writeFile(path string, contents []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	return os.WriteFile(path, contents, 0o600)
}
