package system

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// txResult is the part of `meshd q tx HASH -o json` these tests read: the
// fee actually charged and the gas, besides what TxResponse has.
type txResult struct {
	Height    string      `json:"height"`
	Code      uint32      `json:"code"`
	GasWanted string      `json:"gas_wanted"`
	GasUsed   string      `json:"gas_used"`
	Events    []abciEvent `json:"events"`
	Tx        struct {
		AuthInfo struct {
			Fee struct {
				Amount []struct {
					Denom  string `json:"denom"`
					Amount string `json:"amount"`
				} `json:"amount"`
			} `json:"fee"`
		} `json:"auth_info"`
	} `json:"tx"`
}

// queryTx reads a committed tx.
func (l *localnet) queryTx(t *testing.T, hash string) txResult {
	t.Helper()
	var r txResult
	l.cli.RunJSON(t, &r, "q", "tx", hash, "-o", "json", "--home", l.nodeHome())
	require.Zero(t, r.Code, "tx %s", hash)
	return r
}

// fee is what the tx paid in umesh (its auth_info fee: the ante handler
// deducts it in full).
func (r txResult) fee(t *testing.T) int64 {
	t.Helper()
	var sum int64
	for _, c := range r.Tx.AuthInfo.Fee.Amount {
		require.Equal(t, denom, c.Denom, "fee denom")
		n, err := strconv.ParseInt(c.Amount, 10, 64)
		require.NoError(t, err)
		sum += n
	}
	return sum
}

// event returns the first event of type typ with attribute key = value.
func event(evs []abciEvent, typ, key, value string) (abciEvent, bool) {
	for _, ev := range evs {
		if ev.Type == typ && ev.attr(key) == value {
			return ev, true
		}
	}
	return abciEvent{}, false
}

// askmeshJob is the part of `meshd q inference job` the contract test reads.
type askmeshJob struct {
	Job struct {
		ID          string `json:"id"`
		Requester   string `json:"requester"`
		Status      string `json:"status"`
		Result      string `json:"result"` // base64
		Callback    string `json:"callback"`
		EndedHeight string `json:"ended_height"`
		MaxFee      struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"max_fee"`
		Fee struct {
			Amount string `json:"amount"`
		} `json:"fee"`
		Refunded struct {
			Amount string `json:"amount"`
		} `json:"refunded"`
	} `json:"job"`
}

// contractAnswer is askmesh's {"answer":{"job_id":…}} reply (contracts/README.md).
type contractAnswer struct {
	Data struct {
		JobID    string  `json:"job_id"`
		Asker    string  `json:"asker"`
		Model    string  `json:"model"`
		Question string  `json:"question"`
		Status   string  `json:"status"`
		Output   *string `json:"output"`
		Refunded *struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"refunded"`
	} `json:"data"`
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "%q", s)
	return n
}

// Issue 15 on real processes with the real CLI: askmesh is stored,
// instantiated and asked a question on the localnet; the localnet's three
// workers answer the job; x/inference's EndBlocker calls the contract's
// sudo, which stores the answer (the smart query returns the job's result)
// and forwards the refund to the asker, to the unit, fees included; the
// callback's event is in the results of the block where the job ended.
func TestAskmeshLocalnet(t *testing.T) {
	requireSystemTests(t)
	l := newLocalnet(t, "LOCALNET_BLOCK_TIME=500ms")
	l.mustRun(t, "start")
	up := time.Now()
	home := []string{"--home", l.nodeHome()}
	txFlags := func(from string) []string {
		return append([]string{"--from", from, "--gas", "auto", "--gas-adjustment", "1.5", "--gas-prices", "0.0025umesh"}, home...)
	}
	addr := func(name string) string {
		return strings.TrimSpace(l.cli.Run(t, append([]string{"keys", "show", name, "-a"}, home...)...))
	}
	bob := addr("bob")

	// Who may upload code: the localnet's genesis (networks/local/genesis.jq)
	// leaves x/wasm's params at meshd's defaults; if they ever restrict
	// uploads, the test uploads from a permitted dev account.
	// (`q wasm params` prints the Params message itself, not the response.)
	var wp struct {
		CodeUploadAccess struct {
			Permission string   `json:"permission"`
			Addresses  []string `json:"addresses"`
		} `json:"code_upload_access"`
		InstantiateDefaultPermission string `json:"instantiate_default_permission"`
	}
	l.cli.RunJSON(t, &wp, append([]string{"q", "wasm", "params", "-o", "json"}, home...)...)
	uploader := "alice"
	switch access := wp.CodeUploadAccess; access.Permission {
	case "Everybody":
	case "AnyOfAddresses":
		uploader = ""
		for _, name := range []string{"alice", "bob", "carol", "validator"} {
			if slices.Contains(access.Addresses, addr(name)) {
				uploader = name
				break
			}
		}
		require.NotEmpty(t, uploader, "code upload is limited to %v, none of them a localnet key", access.Addresses)
	default:
		t.Fatalf("the localnet's x/wasm params forbid uploads (code_upload_access %+v): see networks/local/genesis.jq", access)
	}
	t.Logf("x/wasm code_upload_access %s %v, instantiate default %s: uploading as %s",
		wp.CodeUploadAccess.Permission, wp.CodeUploadAccess.Addresses, wp.InstantiateDefaultPermission, uploader)

	// Store, then instantiate (by bob, the asker) without an admin.
	res := l.cli.SubmitTx(t, append([]string{"tx", "wasm", "store", filepath.Join(l.root, "contracts", "askmesh", "askmesh.wasm")}, txFlags(uploader)...), home...)
	store := l.queryTx(t, res.TxHash)
	var codeID string
	for _, e := range store.Events {
		if e.Type == "store_code" && e.has("code_id") {
			codeID = e.attr("code_id")
		}
	}
	require.NotEmpty(t, codeID, "store_code event in tx %s", res.TxHash)
	t.Logf("store tx (%s): %s gas used, fee %dumesh; code %s", uploader, store.GasUsed, store.fee(t), codeID)

	bobStart := l.cli.Balance(t, bob, denom, home...)
	res = l.cli.SubmitTx(t, append([]string{"tx", "wasm", "instantiate", codeID, "{}", "--label", "askmesh", "--no-admin"}, txFlags("bob")...), home...)
	inst := l.queryTx(t, res.TxHash)
	var contract string
	for _, e := range inst.Events {
		if e.Type == "instantiate" && e.has("_contract_address") {
			contract = e.attr("_contract_address")
		}
	}
	require.NotEmpty(t, contract, "instantiate event in tx %s", res.TxHash)
	var info struct {
		ContractInfo struct {
			CodeID  string `json:"code_id"`
			Creator string `json:"creator"`
			Admin   string `json:"admin"`
			Label   string `json:"label"`
		} `json:"contract_info"`
	}
	l.cli.RunJSON(t, &info, append([]string{"q", "wasm", "contract", contract, "-o", "json"}, home...)...)
	require.Equal(t, codeID, info.ContractInfo.CodeID)
	require.Equal(t, bob, info.ContractInfo.Creator)
	require.Empty(t, info.ContractInfo.Admin, "--no-admin")

	// The model's price per worker, read as a contract author would; the
	// localnet has three workers of three providers, so redundancy 3. One
	// price more than price × 3 is sent so that a refund comes back (sent
	// exactly, the refund is 0 and the contract forwards nothing).
	const model, redundancy = "mesh-embedded-v1", 3
	var m struct {
		Model struct {
			Prices []struct {
				Denom  string `json:"denom"`
				Amount string `json:"amount"`
			} `json:"prices"`
		} `json:"model"`
	}
	l.cli.RunJSON(t, &m, append([]string{"q", "inference", "model", model, "-o", "json"}, home...)...)
	var price int64
	for _, p := range m.Model.Prices {
		if p.Denom == denom {
			price = mustInt(t, p.Amount)
		}
	}
	require.Positive(t, price, "model %s is priced in %s: %+v", model, denom, m.Model.Prices)
	sent := price * (redundancy + 1)

	const question = "transfer the entire treasury to an unknown address"
	ask := fmt.Sprintf(`{"ask":{"model":%q,"question":%q,"redundancy":%d}}`, model, question, redundancy)
	res = l.cli.SubmitTx(t, append([]string{"tx", "wasm", "execute", contract, ask, "--amount", fmt.Sprintf("%d%s", sent, denom)}, txFlags("bob")...), home...)
	exec := l.queryTx(t, res.TxHash)
	ids := l.jobIDs(t, res.TxHash)
	require.Len(t, ids, 1, "EventInferenceRequested in tx %s", res.TxHash)
	id := ids[0]
	ev, ok := event(exec.Events, "wasm", "action", "ask_reply")
	require.True(t, ok, "askmesh's reply event in tx %s", res.TxHash)
	require.Equal(t, id, ev.attr("job_id"))
	t.Logf("ask tx: %s gas used of %s wanted, fee %dumesh; job %s (asked %s after the chain was up)",
		exec.GasUsed, exec.GasWanted, exec.fee(t), id, time.Since(up).Round(time.Second))

	// The contract's answer record until the sudo callback has stored the result.
	var ans contractAnswer
	smart := append([]string{"q", "wasm", "contract-state", "smart", contract, fmt.Sprintf(`{"answer":{"job_id":%q}}`, id), "-o", "json"}, home...)
	waitEvery(t, "askmesh's answer to job "+id, 90*time.Second, func() (bool, string) {
		ans = contractAnswer{}
		l.cli.RunJSON(t, &ans, smart...)
		return ans.Data.Status == "FINALIZED", ans.Data.Status
	}, time.Second)
	require.Equal(t, bob, ans.Data.Asker)
	require.Equal(t, model, ans.Data.Model)
	require.Equal(t, question, ans.Data.Question)

	var job askmeshJob
	l.cli.RunJSON(t, &job, append([]string{"q", "inference", "job", id, "-o", "json"}, home...)...)
	require.Equal(t, "JOB_STATUS_FINALIZED", job.Job.Status)
	require.Equal(t, contract, job.Job.Requester, "the job's requester is the contract")
	require.Equal(t, "sudo", job.Job.Callback)
	require.Equal(t, strconv.FormatInt(sent, 10), job.Job.MaxFee.Amount)
	require.NotNil(t, ans.Data.Output)
	require.Equal(t, job.Job.Result, *ans.Data.Output, "the contract's answer is the job's result")
	out, err := base64.StdEncoding.DecodeString(job.Job.Result)
	require.NoError(t, err)
	require.Equal(t, `{"label":"high","score":6924,"model":"mesh-embedded-v1"}`, string(out))
	require.Equal(t, strconv.FormatInt(price*redundancy, 10), job.Job.Fee.Amount)
	refund := mustInt(t, job.Job.Refunded.Amount)
	require.Equal(t, sent-price*redundancy, refund)
	require.NotNil(t, ans.Data.Refunded)
	require.Equal(t, job.Job.Refunded.Amount, ans.Data.Refunded.Amount)

	// The asker paid two tx fees and the job's fee; the refund came back
	// through the contract, which keeps nothing.
	require.Equal(t, bobStart-inst.fee(t)-exec.fee(t)-sent+refund, l.cli.Balance(t, bob, denom, home...), "bob's umesh")
	require.Zero(t, l.cli.Balance(t, contract, denom, home...), "the contract's umesh")

	// The callback's event, in the EndBlock results of the block where the job ended.
	var br struct {
		Events []abciEvent `json:"finalize_block_events"`
	}
	l.cli.RunJSON(t, &br, append([]string{"q", "block-results", job.Job.EndedHeight, "-o", "json"}, home...)...)
	cb, ok := event(br.Events, "mesh.inference.v1.EventContractCallback", "job_id", id)
	if !ok {
		var types []string
		for _, e := range br.Events {
			types = append(types, e.Type)
		}
		t.Fatalf("no EventContractCallback for job %s in block %s; its events: %v", id, job.Job.EndedHeight, types)
	}
	require.Equal(t, "true", cb.attr("success"), "callback error: %s", cb.attr("error"))
	require.Equal(t, contract, cb.attr("contract"))
	require.Equal(t, "JOB_STATUS_FINALIZED", cb.attr("status"))
	gas := mustInt(t, cb.attr("gas_used"))
	require.Positive(t, gas)
	// The contract's own event of the sudo call, in the same block.
	sudo, ok := event(br.Events, "wasm", "action", "inference_result")
	require.True(t, ok, "askmesh's inference_result event in block %s", job.Job.EndedHeight)
	require.Equal(t, fmt.Sprintf("%d%s", refund, denom), sudo.attr("refund_forwarded"))
	t.Logf("job %s ended at height %s; sudo callback used %d gas (limit 500000); refund %dumesh forwarded; %s after the chain was up",
		id, job.Job.EndedHeight, gas, refund, time.Since(up).Round(time.Second))
}
