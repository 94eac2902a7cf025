package system

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/types/bech32"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Vote-extension tests: the faults test's four validators and workers with
// vote_extensions_enable_height set, each worker serving the Sidecar
// (--sidecar-listen) its node asks in ExtendVote. The beacon every height,
// the same on every node; worker commitments that arrive through an
// extension (worker-2's fee grant leaves out the commit messages, so its
// arrive no other way; the other workers' own txs race their extensions);
// a dead worker (its validator still gives beacon shares) and a dead
// validator (three of four go on); and the block latency with and without
// extensions.

const (
	veChainID = "mesh-ve-4"
	// veEnableHeight is vote_extensions_enable_height: the votes of height
	// E carry extensions, block E+1 the first extended commit, and block
	// E+2 the first beacon (E's reveals open no earlier commitment).
	veEnableHeight = 5
	// veBeaconHeights is how many consecutive heights the CLI checks on every node.
	veBeaconHeights = 5
	// veExtOnly is the worker whose fee grant leaves out the commit
	// messages: its commitments land through node2's extensions or not at all.
	veExtOnly = 2
	// extendVoteNoWorker is what a node logs when its worker did not answer.
	extendVoteNoWorker = "ExtendVote: no worker commitments"
)

func TestVoteExtensionsFourValidators(t *testing.T) {
	requireSystemTests(t)
	start := time.Now()
	f := newFaultNetWith(t, faultNetConfig{chainID: veChainID, veHeight: veEnableHeight, sidecars: true, extensionOnly: []int{veExtOnly}})
	f.addWorkers(t)
	f.startNodes(t)
	// Every worker passes an epoch: worker-2 only if its PoC root came
	// through node2's vote extension.
	f.startWorkers(t)
	t.Logf("VE setup: 4 validators, 4 workers with sidecars passed an epoch after %s", since(start))
	cons := f.consAddresses(t)
	// From here on every worker serves its node: a node that logs it got no
	// commitments had its sidecar call fail (or time out, at 250 ms).
	upMarks := f.logMarks()

	// An inference job of all four workers settles, worker-2's result
	// commitment coming through node2's extension.
	id := f.request(t, 1, 4, "vote extension test: a job")
	j := f.waitJobEnded(t, id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status, "job %d", id)
	require.True(t, hasAgreed(j, f.workers[veExtOnly].addr), "worker-2 answered job %d and agreed: %v", id, seats(j))
	t.Logf("VE job %d: created %d ended %d, assigned %v", id, j.CreatedHeight, j.EndedHeight, seats(j))

	// A beacon at every height from E+2 on, from at least two shares (two
	// commits of ≥ 3 of 4 validators share ≥ 2): more than 1/3 of the power.
	top := minHeight(t, f.nodes)
	ev := readVE(t, f.nodes[0], veEnableHeight+1, top)
	requireBeaconEvery(t, ev, veEnableHeight+2, top, 2)
	t.Logf("VE beacon: blocks %d..%d, shares per beacon %v", veEnableHeight+2, top, sharesHistogram(ev, veEnableHeight+2, top))

	// The CLI on every node, at each of veBeaconHeights consecutive past
	// heights: one value per height, the same on all four, ≥ 3 shares.
	from := top - veBeaconHeights
	f.requireBeaconAgreed(t, f.nodes, ev, from, top-1, 3)
	t.Logf("VE beacon: heights %d..%d agree on the four nodes (CLI --height)", from, top-1)

	// Commitments arrived through extensions: all of worker-2's (its own
	// txs cannot carry them), and some of the others', whose own commit tx
	// races the extension (which lands a block after the worker published
	// the commitment, the tx whenever the next proposal takes it).
	commits := commitmentsByValidator(ev)
	requireOwnWorkers(t, f, cons, ev)
	for _, kind := range []string{"poc", "result"} {
		require.NotZero(t, commitmentsOf(ev, cons[veExtOnly], kind), "no %s commitment of worker-2 through node2's extension in blocks %d..%d; %s",
			kind, veEnableHeight+1, top, f.noWorkerLines(upMarks))
	}
	for h, e := range ev {
		for k, byTx := range e.landed {
			require.False(t, byTx && strings.Contains(k, "/"+f.workers[veExtOnly].addr+"/"), "block %d: %s by a tx, but worker-2 may not send commits", h, k)
		}
	}
	t.Logf("VE commitments through extensions in blocks %d..%d: %d (%s); worker txs that found theirs already on chain: %s; with the workers up, %s; since the start, %s",
		veEnableHeight+1, top, total(commits), f.describeCommits(cons, commits), f.alreadyOnChain(), f.noWorkerLines(upMarks), f.noWorkerLines(make([]int64, len(f.nodes))))
	applied, txFirst, odd := explainCarried(ev, logExtensionSizes(t, f.nodes[0], veEnableHeight+1, top))
	t.Logf("VE carried commitments: %d applied from the first extension that carried them, %d already committed by the worker's tx a block earlier",
		applied, txFirst)
	require.Empty(t, odd, "commitments an extension carried but the PreBlocker did not apply")
	t.Logf("VE failed txs besides the injected commits: %v", failedTxs(ev))

	// worker-3 dies: node3 still extends its votes with its beacon share,
	// and carries no commitment any more.
	victim := 3
	f.workers[victim].kill()
	killed := MaxHeight(f.nodes)
	logMark := logSize(f.nodes[victim])
	epoch := f.epoch(t, 0)
	t0 := time.Now()
	t.Logf("VE: worker-%d killed at height %d, epoch %d (commit_end %d)", victim, killed, epoch.Number, epoch.CommitEnd)
	// Through a whole commit window that began after the kill: the other
	// three workers commit to it, worker-3 would have.
	var next int64
	waitEvery(t, "an epoch begun after worker-3's death to close its commit window", faultEpochWait, func() (bool, string) {
		e := f.epoch(t, 0)
		h, err := f.nodes[0].Height()
		if err != nil {
			return false, err.Error()
		}
		next = e.Number
		return e.Number > epoch.Number && h > e.CommitEnd+1,
			fmt.Sprintf("epoch %d commit_end %d height %d", e.Number, e.CommitEnd, h)
	}, 2*time.Second)
	// The votes of height killed+1 may have gone out before the kill; those
	// of killed+2, applied in block killed+3, did not.
	quiet := killed + 3
	after := minHeight(t, f.nodes)
	evAfter := readVE(t, f.nodes[0], quiet, after)
	requireBeaconEvery(t, evAfter, quiet, after, 2)
	hist := sharesHistogram(evAfter, quiet, after)
	require.NotZero(t, hist[4], "no beacon of 4 shares in blocks %d..%d after worker-%d died: node3's share no longer counts (%v)", quiet, after, victim, hist)
	commitsAfter := commitmentsByValidator(evAfter)
	require.Zero(t, commitsAfter[cons[victim]], "EventValidatorCommitment from %s (worker-%d dead) in blocks %d..%d", cons[victim], victim, quiet, after)
	// Meanwhile extensions did carry commitments: worker-2's root of the new epoch.
	require.NotZero(t, commitmentsOf(evAfter, cons[veExtOnly], "poc"), "worker-2's PoC root through node2's extension in blocks %d..%d", quiet, after)
	requireOwnWorkers(t, f, cons, evAfter)
	carriedAfter := logExtensionSizes(t, f.nodes[0], quiet, after)
	for _, c := range carriedAfter {
		require.NotEqual(t, cons[victim], c.validator, "block %d: node3's extension carries %s with its worker dead", c.block, c.key)
	}
	// Landings are looked up from the first VE block: a commitment that landed just before
	// `quiet` (by tx or an extension) can still be carried in block `quiet` by a sidecar that
	// had not yet seen it land (my CI at stop 29: carried in 68, landed before it).
	appliedAfter, txFirstAfter, odd := explainCarried(readVE(t, f.nodes[0], veEnableHeight+1, after), carriedAfter)
	require.Empty(t, odd, "commitments an extension carried but the PreBlocker did not apply")
	noWorker := logSince(f.nodes[victim], logMark)
	require.Contains(t, noWorker, extendVoteNoWorker, "node3 says its worker is gone")
	t.Logf("VE worker kill: blocks %d..%d (epoch %d committed meanwhile) in %s, shares per beacon %v, commitments through extensions %d (%s; %d carried, %d of them too late), none from node3; node3 logs e.g. %q",
		quiet, after, next, since(t0), hist, total(commitsAfter), f.describeCommits(cons, commitsAfter), appliedAfter+txFirstAfter, txFirstAfter, firstLine(noWorker, extendVoteNoWorker))

	// node3 dies: three of four (75% > 2/3) go on, each beacon from exactly
	// the three shares (every commit needs all three).
	require.Error(t, f.nodes[victim].Stop(t, syscall.SIGKILL, 30*time.Second), "a SIGKILLed node cannot exit cleanly")
	live := f.nodes[:victim]
	down := MaxHeight(live)
	t1 := time.Now()
	// As above: node3's precommit of down+1 may be in block down+2.
	gone := down + 3
	WaitAllForHeight(t, live, gone+veBeaconHeights, waitTimeout)
	end := minHeight(t, live)
	evDown := readVE(t, live[0], gone, end)
	requireBeaconEvery(t, evDown, gone, end, 3)
	require.Equal(t, map[int]int{3: int(end - gone + 1)}, sharesHistogram(evDown, gone, end), "beacons of blocks %d..%d with node3 down", gone, end)
	f.requireBeaconAgreed(t, live, evDown, end-veBeaconHeights+1, end, 3)
	var misses []string
	for h, e := range readVE(t, live[0], down, end) {
		for _, m := range e.misses {
			misses = append(misses, fmt.Sprintf("height %d: %s (reveal of %s, %s in the window)", h, m.attr("validator"), m.attr("height"), m.attr("misses")))
		}
	}
	t.Logf("VE node kill: %s SIGKILLed at %d; three validators made blocks %d..%d in %s, each beacon from block %d of 3 shares; misses %v",
		f.nodes[victim].Name, down, down+1, end, since(t1), gone, misses)
	t.Logf("VE total %s", since(start))
}

// TestVoteExtensionsBlockLatency measures the mean block interval of the
// 4-validator network with vote extensions (from height 2) and without,
// the same number of blocks after the same warm-up, one network after the
// other. It only logs the ratio: timed assertions are not made here.
func TestVoteExtensionsBlockLatency(t *testing.T) {
	requireSystemTests(t)
	const warm, blocks = 5, 30
	start := time.Now()
	without := measureBlockInterval(t, faultNetConfig{chainID: "mesh-ve-off-4"}, warm, blocks)
	with := measureBlockInterval(t, faultNetConfig{chainID: "mesh-ve-on-4", veHeight: 2}, warm, blocks)
	t.Logf("VE-LATENCY with=%s without=%s ratio=%.3f (mean of blocks %d..%d, 4 validators, commit timeout 500ms; total %s)",
		with.Round(100*time.Microsecond), without.Round(100*time.Microsecond), float64(with)/float64(without), warm, warm+blocks, since(start))
}

// measureBlockInterval starts cfg's network without workers, waits for
// height warm+blocks, returns the mean interval of the header times of
// blocks warm..warm+blocks and kills the network.
func measureBlockInterval(t *testing.T, cfg faultNetConfig, warm, blocks int64) time.Duration {
	t.Helper()
	f := newFaultNetWith(t, cfg)
	defer f.killNodes()
	f.startNodes(t)
	last := warm + blocks
	WaitAllForHeight(t, f.nodes, last, waitTimeout+time.Duration(blocks)*5*time.Second)
	times := headerTimes(t, f.nodes[0], warm, last)
	mean := times[last].Sub(times[warm]) / time.Duration(blocks)

	// The extensions were on, or off, as configured.
	ev := readVE(t, f.nodes[0], warm, last)
	if cfg.veHeight > 0 {
		requireBeaconEvery(t, ev, warm, last, 2)
	} else {
		require.Empty(t, sharesHistogram(ev, warm, last), "beacons without vote extensions")
	}
	t.Logf("VE-LATENCY %s (vote_extensions_enable_height %d): blocks %d..%d in %s, mean %s",
		cfg.chainID, cfg.veHeight, warm, last, times[last].Sub(times[warm]).Round(time.Millisecond), mean.Round(100*time.Microsecond))
	return mean
}

// ---------------------------------------------------------------------------
// Reading the beacon and the extensions

// veEvents are the vote-extension events of one block.
type veEvents struct {
	beacon      *abciEvent  // EventBeacon; nil: no beacon at this height
	commitments []abciEvent // EventValidatorCommitment
	misses      []abciEvent // EventBeaconMiss
	jailed      []abciEvent // EventBeaconJailed
	// landed are the commitments on chain from this block, by
	// commitmentKey, each true if a tx (not an extension) made it.
	landed map[string]bool
	// failed are the logs of the block's failed txs after the first (the
	// injected extended commit, which always shows as failed).
	failed []string
}

// commitmentKey names one worker commitment: "poc/WORKER/EPOCH" or "result/WORKER/JOB".
func commitmentKey(kind, worker string, n int64) string {
	return fmt.Sprintf("%s/%s/%d", kind, worker, n)
}

// readVE reads the vote-extension events of blocks from..to from n's
// /block_results (the PreBlocker's are finalize_block_events).
func readVE(t *testing.T, n *Node, from, to int64) map[int64]veEvents {
	t.Helper()
	out := map[int64]veEvents{}
	for h := from; h <= to; h++ {
		var res struct {
			TxsResults []struct {
				Code   uint32      `json:"code"`
				Log    string      `json:"log"`
				Events []abciEvent `json:"events"`
			} `json:"txs_results"`
			FinalizeBlockEvents []abciEvent `json:"finalize_block_events"`
		}
		require.NoError(t, rpcGet(n.RPCPort, fmt.Sprintf("/block_results?height=%d", h), &res), "%s block %d", n.Name, h)
		e := veEvents{landed: map[string]bool{}}
		landed := func(ev abciEvent, byTx bool) {
			switch ev.Type {
			case "mesh.compute.v1.EventPoCCommitted":
				n, _ := strconv.ParseInt(ev.attr("epoch"), 10, 64)
				e.landed[commitmentKey("poc", ev.attr("worker"), n)] = byTx
			case "mesh.inference.v1.EventResultCommitted":
				n, _ := strconv.ParseInt(ev.attr("job_id"), 10, 64)
				e.landed[commitmentKey("result", ev.attr("worker"), n)] = byTx
			}
		}
		for i, tx := range res.TxsResults {
			for _, ev := range tx.Events {
				landed(ev, true)
			}
			if i > 0 && tx.Code != 0 {
				e.failed = append(e.failed, fmt.Sprintf("block %d tx %d code %d: %s", h, i, tx.Code, tx.Log))
			}
		}
		for _, ev := range res.FinalizeBlockEvents {
			landed(ev, false)
			switch ev.Type {
			case "mesh.compute.v1.EventBeacon":
				require.Nil(t, e.beacon, "block %d: two beacons", h)
				e.beacon = &ev
			case "mesh.compute.v1.EventValidatorCommitment":
				e.commitments = append(e.commitments, ev)
			case "mesh.compute.v1.EventBeaconMiss":
				e.misses = append(e.misses, ev)
			case "mesh.compute.v1.EventBeaconJailed":
				e.jailed = append(e.jailed, ev)
			}
		}
		require.Empty(t, e.jailed, "block %d: a validator jailed for withheld beacon reveals", h)
		out[h] = e
	}
	return out
}

func shares(e *abciEvent) int {
	n, _ := strconv.Atoi(e.attr("shares"))
	return n
}

// requireBeaconEvery requires a beacon of at least minShares at every
// height from..to, each of its own height and a value no other height had.
func requireBeaconEvery(t *testing.T, ev map[int64]veEvents, from, to int64, minShares int) {
	t.Helper()
	seen := map[string]int64{}
	for h := from; h <= to; h++ {
		b := ev[h].beacon
		require.NotNil(t, b, "no beacon at height %d", h)
		require.Equal(t, strconv.FormatInt(h, 10), b.attr("height"), "beacon event of block %d", h)
		require.GreaterOrEqual(t, shares(b), minShares, "beacon at height %d", h)
		v := b.attr("value")
		require.Len(t, v, 64, "beacon value at height %d", h)
		prev, dup := seen[v]
		require.False(t, dup, "heights %d and %d have the same beacon %s", prev, h, v)
		seen[v] = h
	}
}

// failedTxs lists the failed txs of ev's blocks, by height.
func failedTxs(ev map[int64]veEvents) []string {
	var hs []int64
	for h := range ev {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	var out []string
	for _, h := range hs {
		out = append(out, ev[h].failed...)
	}
	return out
}

// sharesHistogram counts the beacons of from..to by their shares.
func sharesHistogram(ev map[int64]veEvents, from, to int64) map[int]int {
	out := map[int]int{}
	for h := from; h <= to; h++ {
		if b := ev[h].beacon; b != nil {
			out[shares(b)]++
		}
	}
	return out
}

// cliBeacon is `meshd q compute beacon -o json`.
type cliBeacon struct {
	Beacon struct {
		Height   jsonInt `json:"height"`
		Value    []byte  `json:"value"`
		Shares   jsonInt `json:"shares"`
		PowerBps jsonInt `json:"power_bps"`
	} `json:"beacon"`
}

// jsonInt reads an integer that protojson writes as a number or a string.
type jsonInt int64

func (n *jsonInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*n = jsonInt(v)
	return err
}

// requireBeaconAgreed asks every node, with the CLI at each height of
// from..to, for the beacon: of that height, the value its block's event
// has, at least minShares, the same on every node.
func (f *faultNet) requireBeaconAgreed(t *testing.T, nodes []*Node, ev map[int64]veEvents, from, to int64, minShares int) {
	t.Helper()
	for h := from; h <= to; h++ {
		b := ev[h].beacon
		require.NotNil(t, b, "no beacon event at height %d", h)
		want, err := hex.DecodeString(b.attr("value"))
		require.NoError(t, err)
		for _, n := range nodes {
			var res cliBeacon
			f.cli.RunJSON(t, &res, "q", "compute", "beacon", "--height", strconv.FormatInt(h, 10), "--node", n.RPC(), "-o", "json")
			require.EqualValues(t, h, res.Beacon.Height, "%s: beacon at height %d", n.Name, h)
			require.Equal(t, want, res.Beacon.Value, "%s: beacon value at height %d (%s)", n.Name, h, base64.StdEncoding.EncodeToString(res.Beacon.Value))
			require.GreaterOrEqual(t, int(res.Beacon.Shares), minShares, "%s: beacon shares at height %d", n.Name, h)
			require.EqualValues(t, shares(b), res.Beacon.Shares, "%s: beacon shares at height %d", n.Name, h)
		}
	}
}

// consAddresses are the validators' consensus addresses (bech32), by node.
func (f *faultNet) consAddresses(t *testing.T) []string {
	t.Helper()
	out := make([]string, len(f.nodes))
	for i, n := range f.nodes {
		out[i] = strings.TrimSpace(f.cli.Run(t, "comet", "show-address", "--home", n.Home))
	}
	return out
}

// commitmentsOf counts validator's EventValidatorCommitment of kind.
func commitmentsOf(ev map[int64]veEvents, validator, kind string) int {
	n := 0
	for _, e := range ev {
		for _, c := range e.commitments {
			if c.attr("validator") == validator && c.attr("kind") == kind {
				n++
			}
		}
	}
	return n
}

// commitmentsByValidator counts EventValidatorCommitment by validator.
func commitmentsByValidator(ev map[int64]veEvents) map[string]int {
	out := map[string]int{}
	for _, e := range ev {
		for _, c := range e.commitments {
			out[c.attr("validator")]++
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// requireOwnWorkers requires every applied commitment to be for the
// worker of the validator whose extension carried it, and applied.
func requireOwnWorkers(t *testing.T, f *faultNet, cons []string, ev map[int64]veEvents) {
	t.Helper()
	for h, e := range ev {
		for _, c := range e.commitments {
			i := indexOf(cons, c.attr("validator"))
			require.GreaterOrEqual(t, i, 0, "block %d: commitment from unknown validator %s", h, c.attr("validator"))
			require.Equal(t, f.workers[i].addr, c.attr("worker"), "block %d: %s carried another provider's worker", h, cons[i])
			require.Contains(t, []string{"poc", "result"}, c.attr("kind"), "block %d", h)
			require.Empty(t, c.attr("error"), "block %d: commitment event with an error", h)
		}
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// describeCommits is "node0:2 node2:1" for a per-validator count.
func (f *faultNet) describeCommits(cons []string, m map[string]int) string {
	var parts []string
	for i, c := range cons {
		if m[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", f.nodes[i].Name, m[c]))
		}
	}
	return strings.Join(parts, " ")
}

// alreadyOnChain counts, per worker, the commit txs the worker found
// already committed (by its extension, or an earlier tx of its own).
func (f *faultNet) alreadyOnChain() string {
	var parts []string
	for _, w := range f.workers {
		parts = append(parts, fmt.Sprintf("%s:%d", w.name, strings.Count(w.logSince(0), "already on chain")))
	}
	return strings.Join(parts, " ")
}

// noWorkerLines counts each node's "ExtendVote: no worker commitments"
// after its log offset in marks, and quotes the last one.
func (f *faultNet) noWorkerLines(marks []int64) string {
	var parts []string
	var last string
	for i, n := range f.nodes {
		log := logSince(n, marks[i])
		parts = append(parts, fmt.Sprintf("%s:%d", n.Name, strings.Count(log, extendVoteNoWorker)))
		if i := strings.LastIndex(log, extendVoteNoWorker); i >= 0 {
			last = firstLine(log[i:], extendVoteNoWorker)
		}
	}
	return fmt.Sprintf("%q lines %s (last: %q)", extendVoteNoWorker, strings.Join(parts, " "), last)
}

// logMarks are the nodes' log sizes.
func (f *faultNet) logMarks() []int64 {
	out := make([]int64, len(f.nodes))
	for i, n := range f.nodes {
		out[i] = logSize(n)
	}
	return out
}

// carried is a worker commitment an extended commit carried.
type carried struct {
	block     int64  // the block whose first tx carried it
	key       string // commitmentKey
	validator string // whose extension, bech32 consensus address
}

// logExtensionSizes decodes the extended commit each block from..to
// carries as its first tx, logs the sizes of the extensions in it and
// returns the worker commitments they carry.
func logExtensionSizes(t *testing.T, n *Node, from, to int64) []carried {
	t.Helper()
	var out []carried
	var sizes []int
	var withPoC, withResults, absent int
	for h := from; h <= to; h++ {
		var res struct {
			Block struct {
				Data struct {
					Txs [][]byte `json:"txs"`
				} `json:"data"`
			} `json:"block"`
		}
		require.NoError(t, rpcGet(n.RPCPort, fmt.Sprintf("/block?height=%d", h), &res))
		require.NotEmpty(t, res.Block.Data.Txs, "block %d carries no extended commit", h)
		var commit abci.ExtendedCommitInfo
		require.NoError(t, commit.Unmarshal(res.Block.Data.Txs[0]), "block %d: first tx is not an extended commit", h)
		for _, v := range commit.Votes {
			if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
				absent++
				continue
			}
			var ve abcitypes.VoteExtension
			require.NoError(t, ve.Unmarshal(v.VoteExtension), "block %d: extension of %X", h, v.Validator.Address)
			sizes = append(sizes, len(v.VoteExtension))
			val := bech32Of(t, "meshvalcons", v.Validator.Address)
			for _, c := range ve.Poc {
				out = append(out, carried{h, commitmentKey("poc", bech32Of(t, "mesh", c.Worker), c.Epoch), val})
			}
			for _, c := range ve.Results {
				out = append(out, carried{h, commitmentKey("result", bech32Of(t, "mesh", c.Worker), int64(c.JobId)), val})
			}
			if len(ve.Poc) > 0 {
				withPoC++
			}
			if len(ve.Results) > 0 {
				withResults++
			}
		}
	}
	require.NotEmpty(t, sizes)
	sort.Ints(sizes)
	sum := 0
	for _, s := range sizes {
		sum += s
	}
	t.Logf("VE extension sizes in blocks %d..%d: %d extensions, min %d mean %d max %d bytes; %d with PoC roots, %d with result commitments; %d votes absent",
		from, to, len(sizes), sizes[0], sum/len(sizes), sizes[len(sizes)-1], withPoC, withResults, absent)
	return out
}

func bech32Of(t *testing.T, prefix string, bz []byte) string {
	t.Helper()
	s, err := bech32.ConvertAndEncode(prefix, bz)
	require.NoError(t, err)
	return s
}

// explainCarried says, for each distinct commitment the extensions
// carried, where it landed: applied from the first extension that carried
// it, in an earlier block (by the worker's own tx: the extension came too
// late; or by an extension before the blocks cs covers), or otherwise (listed: a tx in the very block whose extension
// carried it, or later, or never, means the extension was not applied when
// it could have been).
func explainCarried(ev map[int64]veEvents, cs []carried) (applied, txFirst int, odd []string) {
	first := map[string]int64{}
	var keys []string
	for _, c := range cs {
		if _, ok := first[c.key]; !ok {
			first[c.key] = c.block
			keys = append(keys, c.key)
		}
	}
	for _, k := range keys {
		var at int64
		var byTx bool
		for h, e := range ev {
			if tx, ok := e.landed[k]; ok {
				at, byTx = h, tx
			}
		}
		switch {
		case at == first[k] && !byTx:
			applied++
		case at != 0 && at < first[k]: // by the worker's tx, or an extension before the window
			txFirst++
		default:
			odd = append(odd, fmt.Sprintf("%s first carried in block %d, landed in block %d (by tx %v)", k, first[k], at, byTx))
		}
	}
	return applied, txFirst, odd
}

// headerTimes are the header times of blocks from..to as n has them.
func headerTimes(t *testing.T, n *Node, from, to int64) map[int64]time.Time {
	t.Helper()
	out := map[int64]time.Time{}
	for lo := from; lo <= to; lo += 20 {
		var res struct {
			BlockMetas []struct {
				Header struct {
					Height string    `json:"height"`
					Time   time.Time `json:"time"`
				} `json:"header"`
			} `json:"block_metas"`
		}
		require.NoError(t, rpcGet(n.RPCPort, fmt.Sprintf("/blockchain?minHeight=%d&maxHeight=%d", lo, min(lo+19, to)), &res))
		for _, m := range res.BlockMetas {
			h, _ := strconv.ParseInt(m.Header.Height, 10, 64)
			out[h] = m.Header.Time
		}
	}
	require.Len(t, out, int(to-from+1), "%s: headers of blocks %d..%d", n.Name, from, to)
	return out
}

// killNodes SIGKILLs every node of f (the next network can then start).
func (f *faultNet) killNodes() {
	for _, n := range f.nodes {
		n.kill()
	}
}

func logSize(n *Node) int64 {
	st, err := os.Stat(n.logPath)
	if err != nil {
		return 0
	}
	return st.Size()
}

// logSince is n's log after byte offset mark.
func logSince(n *Node, mark int64) string {
	bz, _ := os.ReadFile(n.logPath)
	if int64(len(bz)) < mark {
		return ""
	}
	return string(bz[mark:])
}

// firstLine is the first line of log containing substr.
func firstLine(log, substr string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, substr) {
			return line
		}
	}
	return ""
}
