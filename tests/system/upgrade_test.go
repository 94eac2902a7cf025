package system

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// previousRelease is the last meshd before the v2 upgrade (app/upgrades/v2):
// x/rewards and x/pool at ConsensusVersion 1, no fee burn, no stability or
// loyalty params. The upgrade test builds it from this repository's history.
const previousRelease = "5b6076fa0dd4e155316353942619a909f4ffb877"

// buildPreviousRelease builds meshd at previousRelease into a temp dir and
// returns its path. $MESHD_PREV_BIN names an already built one instead.
func buildPreviousRelease(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MESHD_PREV_BIN"); p != "" {
		return p
	}
	root, err := repoRoot()
	require.NoError(t, err)
	if out, err := exec.Command("git", "-C", root, "cat-file", "-e", previousRelease+"^{commit}").CombinedOutput(); err != nil {
		t.Fatalf("the upgrade test builds meshd at %s from this clone's git history, which lacks it (%v: %s); "+
			"use a full clone (not --depth) or set MESHD_PREV_BIN to a meshd built at that commit", previousRelease, err, out)
	}
	src := t.TempDir()
	archive := exec.Command("bash", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "archive", root, previousRelease, src)
	out, err := archive.CombinedOutput()
	require.NoError(t, err, "git archive %s: %s", previousRelease, out)
	bin := filepath.Join(t.TempDir(), "meshd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/meshd")
	build.Dir = src
	out, err = build.CombinedOutput()
	require.NoError(t, err, "go build meshd at %s: %s", previousRelease, out)
	return bin
}

// editGenesis rewrites home's genesis.json through edit, on the decoded JSON.
func editGenesis(t *testing.T, home string, edit func(appState map[string]any)) {
	t.Helper()
	path := filepath.Join(home, "config", "genesis.json")
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(bz, &doc))
	edit(doc["app_state"].(map[string]any))
	bz, err = json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, bz, 0o644))
}

// TestSoftwareUpgradeV2 upgrades a running chain the way validators do: the
// previous release runs the chain, a software-upgrade proposal passes in
// x/gov, every node halts at the plan's height and writes upgrade-info.json,
// and this tree's meshd, started on the same home (what cosmovisor does when
// it sees that file), runs the v2 migrations and continues the chain.
func TestSoftwareUpgradeV2(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	oldBin := buildPreviousRelease(t)
	t.Logf("previous release %.8s built in %s", previousRelease, time.Since(start).Round(time.Second))

	oldCLI := &CLI{UserHome: t.TempDir(), Bin: oldBin}
	sn := setupSingleNode(t, oldCLI)
	// Short voting periods, so that the proposal passes in seconds.
	editGenesis(t, sn.Home, func(app map[string]any) {
		gov := app["gov"].(map[string]any)["params"].(map[string]any)
		gov["voting_period"] = "8s"
		gov["expedited_voting_period"] = "4s"
		gov["max_deposit_period"] = "8s"
	})
	oldCLI.Run(t, "genesis", "validate", "--home", sn.Home)
	sn.Start(t)
	sn.WaitForHeight(t, 2, waitTimeout)
	q := []string{"--node", sn.RPC(), "-o", "json"}

	// Before: the v1 chain burns nothing and knows no fee_burn_bps.
	var before struct {
		Params map[string]any `json:"params"`
	}
	oldCLI.RunJSON(t, &before, append([]string{"q", "rewards", "params"}, q...)...)
	require.NotContains(t, before.Params, "fee_burn_bps", "the previous release has no fee burn")
	var recipient keyInfo
	oldCLI.RunJSON(t, &recipient, "keys", "add", "recipient", "--output", "json", "--keyring-backend", "test", "--home", sn.Home)
	const sent = 777_000
	res := oldCLI.SubmitTx(t, append([]string{"tx", "bank", "send", "validator", recipient.Address, strconv.Itoa(sent) + denom,
		"--fees", fees}, sn.keyFlags...), "--node", sn.RPC())
	for _, e := range txEventsAt(t, oldCLI, res.TxHash, "--node", sn.RPC()) {
		require.NotEqual(t, "mesh.rewards.v1.EventFeeBurned", e.Type)
	}
	oldCLI.SubmitTx(t, append([]string{"tx", "pool", "create-pool", "100000000" + denom, "--commission", "0.1",
		"--from", "validator", "--fees", fees}, sn.keyFlags...), "--node", sn.RPC())

	// The proposal: v2 at a height the vote can reach in time.
	h, err := sn.Height()
	require.NoError(t, err)
	upgradeHeight := h + 30 // 0.5 s blocks: 15 s for deposit, 8 s vote, slack
	oldCLI.SubmitTx(t, append([]string{"tx", "upgrade", "software-upgrade", "v2",
		"--upgrade-height", strconv.FormatInt(upgradeHeight, 10), "--title", "v2", "--summary", "token economics",
		"--deposit", "10000000" + denom, "--no-validate", "--from", "validator", "--fees", "50000" + denom,
		"--gas", "400000"}, sn.keyFlags...), "--node", sn.RPC())
	var props struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	oldCLI.RunJSON(t, &props, append([]string{"q", "gov", "proposals"}, q...)...)
	require.Len(t, props.Proposals, 1)
	id := props.Proposals[0].ID
	oldCLI.SubmitTx(t, append([]string{"tx", "gov", "vote", id, "yes", "--from", "validator", "--fees", fees}, sn.keyFlags...),
		"--node", sn.RPC())
	waitFor(t, "proposal "+id+" to pass", waitTimeout, func() (bool, string) {
		var p struct {
			Proposal struct {
				Status string `json:"status"`
			} `json:"proposal"`
		}
		out, _, err := oldCLI.Exec(append([]string{"q", "gov", "proposal", id}, q...)...)
		if err != nil || json.Unmarshal([]byte(out), &p) != nil {
			return false, out
		}
		return p.Proposal.Status == "PROPOSAL_STATUS_PASSED", p.Proposal.Status
	})
	var plan struct {
		Plan struct {
			Name   string `json:"name"`
			Height string `json:"height"`
		} `json:"plan"`
	}
	oldCLI.RunJSON(t, &plan, append([]string{"q", "upgrade", "plan"}, q...)...)
	require.Equal(t, "v2", plan.Plan.Name)
	require.Equal(t, strconv.FormatInt(upgradeHeight, 10), plan.Plan.Height)

	// The previous release halts at the height: it commits upgradeHeight−1,
	// never upgradeHeight, and leaves upgrade-info.json for cosmovisor.
	infoPath := filepath.Join(sn.Home, "data", "upgrade-info.json")
	waitFor(t, "the previous release to halt for v2", 2*waitTimeout, func() (bool, string) {
		bz, err := os.ReadFile(infoPath)
		if err != nil {
			h, _ := sn.Height()
			return false, fmt.Sprintf("height %d", h)
		}
		var info struct {
			Name   string `json:"name"`
			Height int64  `json:"height"`
		}
		return json.Unmarshal(bz, &info) == nil && info.Name == "v2" && info.Height == upgradeHeight, string(bz)
	})
	time.Sleep(3 * time.Second) // a node that went on would show it now
	// CometBFT stores block upgradeHeight before the app refuses to execute
	// it, so ask the app for its last committed height, not /status.
	halted := appHeight(t, sn.Node)
	require.Equal(t, upgradeHeight-1, halted, "the previous release must not commit the upgrade height")
	logBz, err := os.ReadFile(sn.logPath)
	require.NoError(t, err)
	require.Contains(t, string(logBz), fmt.Sprintf(`UPGRADE "v2" NEEDED at height: %d`, upgradeHeight))
	_ = sn.Stop(t, syscall.SIGTERM, 30*time.Second) // a halted node may exit non-zero
	t.Logf("halted at %d after %s", halted, time.Since(start).Round(time.Second))

	// This tree's meshd on the same home and ports: the v2 handler runs at
	// upgradeHeight and the chain goes on.
	newCLI := &CLI{UserHome: oldCLI.UserHome}
	upgraded := NewNode(t, newCLI, "sysnode-v2", sn.Home, sn.RPCPort, sn.args...)
	upgraded.Start(t)
	upgraded.WaitForHeight(t, upgradeHeight+2, waitTimeout)
	t.Logf("v2 at height %d after %s", upgradeHeight+2, time.Since(start).Round(time.Second))

	var applied struct {
		Height string `json:"height"`
	}
	newCLI.RunJSON(t, &applied, append([]string{"q", "upgrade", "applied", "v2"}, q...)...)
	require.Equal(t, strconv.FormatInt(upgradeHeight, 10), applied.Height)
	var versions struct {
		ModuleVersions []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"module_versions"`
	}
	newCLI.RunJSON(t, &versions, append([]string{"q", "upgrade", "module-versions"}, q...)...)
	got := map[string]string{}
	for _, v := range versions.ModuleVersions {
		got[v.Name] = v.Version
	}
	require.Equal(t, "2", got["rewards"], "x/rewards migrated 1→2")
	require.Equal(t, "2", got["pool"], "x/pool migrated 1→2")

	// State from before the upgrade is intact.
	require.Equal(t, int64(sent), newCLI.Balance(t, recipient.Address, denom, "--node", sn.RPC()))
	var pool struct {
		Pool struct {
			Provider string `json:"provider"`
			Tokens   string `json:"tokens"`
		} `json:"pool"`
	}
	newCLI.RunJSON(t, &pool, append([]string{"q", "pool", "pool", sn.valAddr}, q...)...)
	require.Equal(t, sn.valAddr, pool.Pool.Provider)
	require.Equal(t, "100000000", pool.Pool.Tokens)

	// The migrations' params and the fee burn they turn on.
	var rewards struct {
		Params struct {
			FeeBurnBps int64 `json:"fee_burn_bps"`
		} `json:"params"`
	}
	newCLI.RunJSON(t, &rewards, append([]string{"q", "rewards", "params"}, q...)...)
	require.EqualValues(t, 5000, rewards.Params.FeeBurnBps)
	var poolParams struct {
		Params struct {
			LoyaltyMaxBps int64 `json:"loyalty_max_bps"`
		} `json:"params"`
	}
	newCLI.RunJSON(t, &poolParams, append([]string{"q", "pool", "params"}, q...)...)
	require.EqualValues(t, 2000, poolParams.Params.LoyaltyMaxBps)
	out := newCLI.Run(t, append([]string{"q", "auth", "module-account", "rewards"}, q...)...)
	require.Contains(t, out, `"burner"`, "v2 gives the rewards account the Burner permission: %s", out)
	res = newCLI.SubmitTx(t, append([]string{"tx", "bank", "send", "validator", recipient.Address, "1" + denom,
		"--fees", fees}, sn.keyFlags...), "--node", sn.RPC())
	burned := ""
	for _, e := range txEventsAt(t, newCLI, res.TxHash, "--node", sn.RPC()) {
		if e.Type == "mesh.rewards.v1.EventFeeBurned" {
			burned = e.attr("burned")
		}
	}
	require.Equal(t, int64(feeAmount/2), umeshOf(t, burned), "after v2, half of a fee is burned")
	require.NotContains(t, strings.ToLower(tail(upgraded.logPath, 400)), "consensus failure")
	t.Logf("done in %s", time.Since(start).Round(time.Second))
}

// appHeight is the last height the node's app committed (/abci_info).
func appHeight(t *testing.T, n *Node) int64 {
	t.Helper()
	var info struct {
		Result struct {
			Response struct {
				LastBlockHeight string `json:"last_block_height"`
			} `json:"response"`
		} `json:"result"`
	}
	getRPC(t, n, "/abci_info", &info)
	h, err := strconv.ParseInt(info.Result.Response.LastBlockHeight, 10, 64)
	require.NoError(t, err, "abci_info: %+v", info)
	return h
}
