import { render } from "preact";
import { useEffect, useState, useCallback } from "preact/hooks";
import "./style.css";
import { waitForJob, decodeResult, query, formatCoin, formatCoins, formatPower, powerShare, parseUnits, explainError, ENDED_STATUSES } from "@llmesh/mesh-client/light";
// CosmJS (signing) loads only when a signer is connected, so read-only pages load fast.
const tx = () => import("@llmesh/mesh-client");
const connect = async (...a) => (await tx()).connect(...a);
const requestInference = async (...a) => (await tx()).requestInference(...a);
const lock = async (...a) => (await tx()).lock(...a);
const vote = async (...a) => (await tx()).vote(...a);
const claimRewards = async (...a) => (await tx()).claimRewards(...a);
const delegateVotes = async (...a) => (await tx()).delegateVotes(...a);
const undelegateVotes = async (...a) => (await tx()).undelegateVotes(...a);
const executeProposal = async (...a) => (await tx()).executeProposal(...a);
const annotate = async (...a) => (await tx()).annotate(...a);
const fromMnemonic = async (m) => (await import("@cosmjs/proto-signing")).DirectSecp256k1HdWallet.fromMnemonic(m, { prefix: "mesh" });

// Endpoints: ?rpc=…&rest=… or ./config.json (written by the localnet's static server), else the localnet defaults.
const params = new URLSearchParams(location.search);
const cfg = { rpc: "http://127.0.0.1:26657", rest: "http://127.0.0.1:1317", blockMs: 1000 };
async function loadConfig() {
  try { const r = await fetch("./config.json", { cache: "no-store" }); if (r.ok) Object.assign(cfg, await r.json()); } catch { /* defaults */ }
  if (params.get("rpc")) cfg.rpc = params.get("rpc");
  if (params.get("rest")) cfg.rest = params.get("rest");
}

const PAGES = ["network", "compute", "inference", "dao", "rewards"];
const TITLES = { network: "Network", compute: "Compute", inference: "Inference", dao: "DAO", rewards: "Rewards & training" };
const short = (a) => (a ? `${a.slice(0, 10)}…${a.slice(-6)}` : "—");
const label = (s, pre) => (s || "").replace(pre, "").toLowerCase().replace(/_/g, " ");
const bps = (n) => `${(Number(n || 0) / 100).toFixed(2)} %`;

// useChain polls CometBFT /status once per block time and reports height changes.
function useChain() {
  const [st, setSt] = useState({ height: 0, chainId: "", time: "", blockTime: 0, ok: false, error: "" });
  useEffect(() => {
    let stop = false, last = { h: 0, t: 0 };
    const tick = async () => {
      try {
        const ctl = new AbortController(); const to = setTimeout(() => ctl.abort(), 5000);
        const r = await fetch(`${cfg.rpc}/status`, { signal: ctl.signal }); clearTimeout(to);
        const s = (await r.json()).result;
        const h = Number(s.sync_info.latest_block_height), t = Date.parse(s.sync_info.latest_block_time);
        if (h !== last.h) {
          const bt = last.h && h > last.h ? (t - last.t) / (h - last.h) : 0;
          last = { h, t };
          setSt((o) => ({ height: h, chainId: s.node_info.network, time: s.sync_info.latest_block_time, blockTime: bt || o.blockTime, ok: true, error: "" }));
        }
      } catch (e) { setSt((o) => ({ ...o, ok: false, error: `node unreachable at ${cfg.rpc}` })); }
      if (!stop) setTimeout(tick, cfg.blockMs);
    };
    tick();
    return () => { stop = true; };
  }, []);
  return st;
}

// useQuery reloads fn when the height changes (at most once per block).
function useQuery(fn, height, deps = []) {
  const [s, setS] = useState({ data: null, error: "", loading: true });
  useEffect(() => {
    if (!height) return;
    let live = true;
    fn().then((data) => live && setS({ data, error: "", loading: false }), (e) => live && setS((o) => ({ data: o.data, error: String(e.message || e), loading: false })));
    return () => { live = false; };
  }, [height, ...deps]);
  return s;
}

const Spinner = ({ text = "Loading…" }) => <span class="loading"><span class="spinner" />{text}</span>;
const Err = ({ e }) => (e ? <div class="error" role="alert">{e}</div> : null);
const Stat = ({ k, v, id }) => <div class="card stat"><div class="label">{k}</div><div class="value" data-testid={id}>{v ?? <Spinner />}</div></div>;
function Table({ cols, rows, empty = "Nothing yet." }) {
  if (!rows) return <Spinner />;
  if (!rows.length) return <p class="notice">{empty}</p>;
  return <table><thead><tr>{cols.map((c) => <th>{c[0]}</th>)}</tr></thead><tbody>{rows.map((r) => <tr>{cols.map((c) => <td class={c[2] || ""}>{c[1](r)}</td>)}</tr>)}</tbody></table>;
}

// Signer: Keplr when present (experimentalSuggestChain), else a pasted mnemonic on a local chain only.
// One signer for the tab; every component that signs reads it with useSigner, so connecting
// enables every form at once (not at the next block).
let signer = null;
const signerSubs = new Set();
function setSigner(s) { signer = s; for (const f of signerSubs) f(s); }
function useSigner() {
  const [s, set] = useState(signer);
  useEffect(() => { signerSubs.add(set); set(signer); return () => signerSubs.delete(set); }, []);
  return s;
}
// Keplr: another account chosen in the extension drops the old signer; the user connects again.
addEventListener("keplr_keystorechange", () => { if (signer?.kind === "keplr") setSigner(null); });
async function keplrSigner(chainId) {
  const k = window.keplr;
  await k.experimentalSuggestChain({
    chainId, chainName: `meshd ${chainId}`, rpc: cfg.rpc, rest: cfg.rest,
    bip44: { coinType: 118 },
    bech32Config: { bech32PrefixAccAddr: "mesh", bech32PrefixAccPub: "meshpub", bech32PrefixValAddr: "meshvaloper", bech32PrefixValPub: "meshvaloperpub", bech32PrefixConsAddr: "meshvalcons", bech32PrefixConsPub: "meshvalconspub" },
    currencies: [{ coinDenom: "MESH", coinMinimalDenom: "umesh", coinDecimals: 6 }],
    feeCurrencies: [{ coinDenom: "MESH", coinMinimalDenom: "umesh", coinDecimals: 6, gasPriceStep: { low: 0.0025, average: 0.0025, high: 0.004 } }],
    stakeCurrency: { coinDenom: "MESH", coinMinimalDenom: "umesh", coinDecimals: 6 },
  });
  await k.enable(chainId);
  return k.getOfflineSigner(chainId);
}
function Wallet({ chain }) {
  const me = useSigner();
  const [m, setM] = useState(""); const [err, setErr] = useState(""); const [busy, setBusy] = useState(false);
  // Pasted dev keys: only on a node reached over loopback or a chain id that says local/test/dev.
  const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(cfg.rpc) || /local|test|dev/i.test(chain.chainId);
  const use = async (w, kind) => {
    const [{ address }] = await w.getAccounts();
    setSigner({ address, kind, client: await connect(cfg.rpc, w) });
  };
  const go = async (kind) => {
    setBusy(true); setErr("");
    try {
      if (kind === "keplr") await use(await keplrSigner(chain.chainId), "keplr");
      else {
        if (!local) throw new Error("Pasted keys are for a local development node only; use Keplr on this network.");
        await use(await fromMnemonic(m.trim()), "mnemonic");
        setM("");
      }
    } catch (e) { setErr(explainError(String(e.message || e))); }
    setBusy(false);
  };
  if (me) return <div class="notice">Signing as <span class="mono" data-testid="address">{me.address}</span> ({me.kind === "keplr" ? "Keplr" : "dev key"})</div>;
  return <div class="card"><h2>Sign transactions</h2>
    {window.keplr ? <button onClick={() => go("keplr")} disabled={busy}>Connect Keplr</button> :
      <form onSubmit={(e) => { e.preventDefault(); go("mnemonic"); }}>
        <p class="notice">No Keplr extension found. On a localnet you may paste a <b>dev</b> key's mnemonic (e.g. <span class="mono">jq -r .mnemonic .localnet/alice.key.json</span>). It stays in this tab's memory only; never paste a real key.</p>
        <label>Dev mnemonic<textarea name="mnemonic" rows="2" value={m} onInput={(e) => setM(e.target.value)} disabled={!local} /></label>
        <button type="submit" disabled={busy || !local}>{busy ? <Spinner text="Connecting…" /> : "Use this dev key"}</button>
      </form>}
    <Err e={err} /></div>;
}

// Tx runs a transaction with a spinner and a timeout, and shows the chain's error in words.
function useTx() {
  const [s, setS] = useState({ busy: false, error: "", ok: "" });
  const run = useCallback(async (fn, okText) => {
    setS({ busy: true, error: "", ok: "" });
    try {
      const out = await Promise.race([fn(), new Promise((_, rej) => setTimeout(() => rej(new Error("No answer from the chain after 60 s.")), 60_000))]);
      setS({ busy: false, error: "", ok: okText });
      return out;
    } catch (e) { setS({ busy: false, error: e.message || String(e), ok: "" }); }
  }, []);
  return [s, run];
}
// TxResult shows a useTx transaction's outcome: the chain's error in words, or its success line.
const TxResult = ({ tx, id = "tx-ok" }) => <><Err e={tx.error} />{tx.ok && <div class="notice" data-testid={id}>{tx.ok}</div>}</>;

function Network({ chain }) {
  const h = chain.height;
  const vals = useQuery(() => query.validators(cfg.rest), h);
  const supply = useQuery(() => query.supply(cfg.rest), h);
  const treasury = useQuery(() => query.treasury(cfg.rest), h);
  const ip = useQuery(() => query.inferenceParams(cfg.rest), h, []);
  const p = ip.data?.params || {};
  const split = Object.entries(p).filter(([k]) => /bps$/.test(k));
  return <>
    <div class="grid">
      <Stat k="Height" v={h.toLocaleString("en")} id="stat-height" />
      <Stat k="Block time" v={chain.blockTime ? `${(chain.blockTime / 1000).toFixed(2)} s` : "—"} />
      <Stat k="Validators" v={vals.data?.validators?.length} />
      <Stat k="Supply" v={supply.data && formatCoins(supply.data.supply)} id="stat-supply" />
      <Stat k="Treasury" v={treasury.data && formatCoins(treasury.data.balance)} />
    </div>
    <Err e={vals.error || supply.error} />
    <div class="card"><h2>Validators</h2>
      <Table rows={vals.data?.validators} cols={[["Moniker", (v) => v.description?.moniker], ["Bonded", (v) => formatCoin({ denom: "umesh", amount: v.tokens })], ["Commission", (v) => `${(Number(v.commission?.commission_rates?.rate || 0) * 100).toFixed(1)} %`], ["Status", (v) => <span class={`badge ${v.status === "BOND_STATUS_BONDED" ? "ok" : "warn"}`}>{label(v.status, "BOND_STATUS_")}</span>]]} /></div>
    <div class="card"><h2>Inference fee split</h2>
      {split.length ? <Table rows={split} cols={[["Share", ([k]) => label(k.replace(/_bps$/, ""))], ["Rate", ([, v]) => bps(v)]]} /> : ip.loading ? <Spinner /> : <p class="notice">No fee split parameters.</p>}</div>
  </>;
}

function Compute({ chain }) {
  const h = chain.height;
  // Each pool with its number of delegators (the self-bond counts as one).
  const pools = useQuery(() => query.pools(cfg.rest).then(async (r) => ({ pools: await Promise.all((r.pools || []).map(async (p) => ({ ...p, delegators: (await query.poolDelegations(cfg.rest, p.provider, "?pagination.count_total=true&pagination.limit=1").catch(() => null))?.pagination?.total }))) })), h);
  const workers = useQuery(() => query.workers(cfg.rest), h);
  const ep = useQuery(() => query.epoch(cfg.rest), h);
  const cp = useQuery(() => query.computeParams(cfg.rest), h);
  const win = Number(cp.data?.params?.missed_window || 10);
  const e = ep.data?.epoch;
  const cur = ep.data?.height ? Number(ep.data.height) : h;
  const seg = e ? [Number(e.commit_end) - Number(e.start_height), Number(e.reveal_end) - Number(e.commit_end)] : [0, 0];
  const done = e ? Math.max(0, cur - Number(e.start_height)) : 0;
  const phase = !e ? "" : cur <= Number(e.commit_end) ? "commit window" : cur <= Number(e.reveal_end) ? "reveal window" : "settling";
  return <>
    <div class="card"><h2>Current epoch</h2>
      {e ? <><div class="row"><b data-testid="epoch">Epoch {e.number}</b><span>{phase}</span><span class="notice">blocks {e.start_height}–{e.reveal_end}</span></div>
        <div class="bar" style="margin-top:.6rem" title="commit window, then reveal window">
          <div style={`width:${Math.min(100, (Math.min(done, seg[0]) / Math.max(1, seg[0] + seg[1])) * 100)}%;background:var(--accent)`} />
          <div style={`width:${Math.min(100, (Math.max(0, Math.min(done - seg[0], seg[1])) / Math.max(1, seg[0] + seg[1])) * 100)}%;background:var(--ok)`} />
        </div></> : <Spinner />}
      <Err e={ep.error} /></div>
    <div class="card"><h2>Pools</h2><Err e={pools.error} />
      <Table rows={pools.data?.pools} cols={[["Provider", (p) => short(p.provider), "mono"], ["Stake", (p) => formatCoin({ denom: "umesh", amount: p.tokens })], ["Commission", (p) => `${(Number(p.commission_rate) * 100).toFixed(1)} %`], ["Delegators", (p) => p.delegators ?? "—"], ["Compute units", (p) => p.compute_units], ["Status", (p) => <span class={`badge ${p.jailed ? "bad" : "ok"}`}>{p.jailed ? "jailed" : "active"}</span>]]} /></div>
    <div class="card"><h2>Workers</h2><Err e={workers.error} />
      <Table rows={workers.data?.workers} cols={[["Worker", (w) => short(w.address), "mono"], ["Claimed", (w) => `${Number(w.spec?.int8_gops || 0) || Number(w.spec?.int8_tops || 0) * 1000} GOPS`], ["Proven", (w) => `${w.verified_gops || 0} GOPS · ${w.verified_units || 0} units`], ["Reputation", (w) => bps(w.reputation_bps)], ["PoC passed / missed", (w) => <PocBar w={w} />], [`PoC, last ${win} epochs`, (w) => <PocHistory w={w} epoch={Number(e?.number || 0)} win={win} />], ["Status", (w) => <span class={`badge ${/ACTIVE/.test(w.status) ? "ok" : /JAIL/.test(w.status) ? "bad" : "warn"}`}>{label(w.status, "WORKER_STATUS_")}</span>]]} /></div>
  </>;
}
// PocHistory draws one cell per settled epoch of the last `window`: missed (in the worker's
// missed_epochs, which x/compute keeps for missed_window epochs), passed (up to its last pass),
// or no record (before registration, or after the last pass: jailed, skipped or unsettled).
function pocCells(w, epoch, win) {
  const missed = new Set((w.missed_epochs || []).map(Number));
  const reg = Number(w.registered_epoch || 0), last = Number(w.last_passed_epoch || 0), out = [];
  for (let n = Math.max(1, epoch - win); n < epoch; n++) out.push({ n, s: n <= reg ? "none" : missed.has(n) ? "missed" : n <= last ? "passed" : "none" });
  return out;
}
function PocHistory({ w, epoch, win }) {
  const cells = pocCells(w, epoch, win);
  if (!cells.length) return "—";
  const color = { passed: "var(--ok)", missed: "var(--bad)", none: "#3a4560" };
  return <svg class="chart" data-testid="poc-history" data-cells={cells.map((c) => c.s[0]).join("")} viewBox={`0 0 ${cells.length * 12} 14`} style={`height:14px;width:${cells.length * 12}px`}>
    {cells.map((c, i) => <rect x={i * 12} y="1" width="10" height="12" rx="2" fill={color[c.s]}><title>epoch {c.n}: {c.s === "none" ? "no record" : c.s}</title></rect>)}</svg>;
}
const PocBar = ({ w }) => { const p = Number(w.passed || 0), m = Number(w.missed || 0), t = Math.max(1, p + m); return <div><div class="bar" style="width:120px"><div style={`width:${(p / t) * 100}%;background:var(--ok)`} /><div style={`width:${(m / t) * 100}%;background:var(--bad)`} /></div>{p} / {m}</div>; };

const STEPS = { exact: ["QUEUED", "COMMITTING", "REVEALING", "SETTLED"], verify: ["QUEUED", "COMMITTING", "REVEALING", "VERIFYING", "SETTLED"] };
function Inference({ chain }) {
  const h = chain.height;
  const models = useQuery(() => query.models(cfg.rest), h);
  const [filter, setFilter] = useState("");
  const jobs = useQuery(() => query.jobs(cfg.rest, "?pagination.reverse=true&pagination.limit=20"), h);
  const [form, setForm] = useState({ model: "mesh-embedded-v1", input: "hello mesh", fee: "1", redundancy: "3", mode: "exact" });
  const me = useSigner();
  const [tx, run] = useTx();
  const [job, setJob] = useState(null);
  const [seen, setSeen] = useState([]);
  const [follow, setFollow] = useState({ busy: false, error: "" });
  // The job is followed once per block until it ends, or for 3 minutes (it stays in Recent jobs).
  const followJob = async (jobId) => {
    setFollow({ busy: true, error: "" });
    try {
      const j = await waitForJob(cfg.rest, jobId, { timeoutMs: 180_000, intervalMs: cfg.blockMs, onStatus: (s, jj) => { setSeen((o) => [...o, label(s, "JOB_STATUS_").toUpperCase()]); setJob({ ...jj }); } });
      setJob(j); setFollow({ busy: false, error: "" });
    } catch (e) { setFollow({ busy: false, error: `${e.message || e}; it stays in Recent jobs below.` }); }
  };
  const submit = async (e) => {
    e.preventDefault();
    if (!me) return;
    setJob(null); setSeen([]); setFollow({ busy: false, error: "" });
    const jobId = await run(async () => {
      const amount = parseUnits(form.fee, 6);
      const r = await requestInference(me.client, me.address, { modelId: form.model, input: form.input, maxFee: { denom: "umesh", amount }, redundancy: Number(form.redundancy), mode: form.mode }, cfg.rest);
      setJob({ id: r.jobId, status: "JOB_STATUS_QUEUED" });
      return r.jobId;
    }, "");
    if (jobId) await followJob(jobId);
  };
  const rows = (jobs.data?.jobs || []).filter((j) => !filter || j.status === filter);
  const steps = STEPS[form.mode === "verify" ? "verify" : "exact"];
  const cur = job ? (ENDED_STATUSES.includes(job.status) ? "SETTLED" : label(job.status, "JOB_STATUS_").toUpperCase()) : "";
  return <>
    <div class="card"><h2>Models and prices</h2><Err e={models.error} />
      <Table rows={models.data?.models} cols={[["Model", (m) => <b>{m.id}</b>], ["Name", (m) => `${m.name || ""} ${m.version || ""}`], ["Price per request", (m) => formatCoins(m.prices?.length ? m.prices : m.price ? [m.price] : [])], ["Modes", (m) => (m.modes?.length ? m.modes.map((x) => label(x, "CONSENSUS_MODE_")).join(", ") : "exact, median")], ["Status", (m) => <span class="badge ok">{label(m.status, "MODEL_STATUS_")}</span>]]} /></div>
    <div class="cols">
      <div>
        <Wallet chain={chain} />
        <div class="card"><h2>Request an inference</h2>
          <form onSubmit={submit} data-testid="request-form">
            <label>Model<select name="model" value={form.model} onChange={(e) => setForm({ ...form, model: e.target.value })}>{(models.data?.models || [{ id: form.model }]).map((m) => <option value={m.id}>{m.id}</option>)}<option value="no-such-model">no-such-model (refused)</option></select></label>
            <label>Input<textarea name="input" rows="3" value={form.input} onInput={(e) => setForm({ ...form, input: e.target.value })} /></label>
            <div class="row">
              <label>Max fee (MESH)<input name="fee" value={form.fee} onInput={(e) => setForm({ ...form, fee: e.target.value })} /></label>
              <label>Redundancy<input name="redundancy" type="number" min="1" value={form.redundancy} onInput={(e) => setForm({ ...form, redundancy: e.target.value })} /></label>
              <label>Mode<select name="mode" value={form.mode} onChange={(e) => setForm({ ...form, mode: e.target.value })}><option value="exact">exact</option><option value="median">median</option><option value="verify">verify</option></select></label>
            </div>
            <button type="submit" disabled={tx.busy || follow.busy || !me}>{tx.busy ? <Spinner text="Waiting for the chain…" /> : follow.busy ? <Spinner text="Following the job…" /> : "Send request"}</button>
            {!me && <p class="notice">Connect a signer above to send requests.</p>}
          </form>
          <Err e={tx.error} />
        </div>
      </div>
      <div class="card" data-testid="job"><h2>Your job</h2>
        {!job ? <p class="notice">Send a request to follow its job here.</p> : <>
          <div>Job <b>#{job.id}</b> · <span class={`badge ${job.status === "JOB_STATUS_FINALIZED" ? "ok" : ENDED_STATUSES.includes(job.status) ? "bad" : "warn"}`} data-testid="job-status">{label(job.status, "JOB_STATUS_")}</span></div>
          <div class="steps">{steps.map((s) => <span class={s === cur ? "now" : seen.includes(s) || steps.indexOf(s) < steps.indexOf(cur) ? "done" : ""}>{s.toLowerCase()}</span>)}</div>
          {follow.busy && <Spinner text="Following the job, once per block…" />}<Err e={follow.error} />
          {ENDED_STATUSES.includes(job.status) && <>
            <h2>Result</h2><div class="result" data-testid="job-result">{decodeResult(job.result) || "(no result)"}</div>
            <div class="grid" style="margin-top:.75rem"><Stat k="Fee paid" v={formatCoin(job.fee)} /><Stat k="Refunded" v={formatCoin(job.refunded)} /><Stat k="Burned" v={formatCoin(job.burned)} /></div>
            <Table rows={job.assignments} cols={[["Worker", (a) => short(a.worker), "mono"], ["Role", (a) => (a.verifier ? "verifier" : "worker")], ["Agreed", (a) => (a.agreed ? "yes" : "no")], ["Paid", (a) => formatCoin(a.paid)]]} />
          </>}</>}
      </div>
    </div>
    <div class="card"><h2>Recent jobs</h2>
      <div class="row"><label>Status<select value={filter} onChange={(e) => setFilter(e.target.value)}><option value="">all</option>{["QUEUED", "COMMITTING", "REVEALING", "VERIFYING", "FINALIZED", "FAILED", "EXPIRED"].map((s) => <option value={`JOB_STATUS_${s}`}>{s.toLowerCase()}</option>)}</select></label></div>
      <Err e={jobs.error} />
      <Table rows={jobs.data ? rows : null} cols={[["Job", (j) => `#${j.id}`], ["Model", (j) => j.model_id], ["Requester", (j) => short(j.requester), "mono"], ["Mode", (j) => label(j.mode, "CONSENSUS_MODE_") || "exact"], ["Max fee", (j) => formatCoin(j.max_fee)], ["Status", (j) => label(j.status, "JOB_STATUS_")]]} empty="No jobs yet." /></div>
  </>;
}

function Countdown({ to, now }) {
  if (!to) return "—";
  const s = Math.round((Date.parse(to) - now) / 1000);
  return s <= 0 ? "passed" : `${Math.floor(s / 60)}m ${s % 60}s`;
}
// secs reads a protobuf JSON Duration ("86400s") as seconds.
const secs = (d) => Number(String(d || "0").replace(/s$/, "")) || 0;
const hoursText = (sec) => (sec % 86400 === 0 ? `${sec / 86400} d` : sec % 3600 === 0 ? `${sec / 3600} h` : `${sec} s`);
function Dao({ chain }) {
  const h = chain.height;
  const me = useSigner();
  const addr = me?.address || "";
  const props = useQuery(() => query.proposals(cfg.rest), h);
  const params = useQuery(() => query.daoParams(cfg.rest), h);
  const power = useQuery(() => (addr ? query.power(cfg.rest, addr) : Promise.resolve(null)), h, [addr]);
  const mylock = useQuery(() => (addr ? query.lock(cfg.rest, addr).catch(() => null) : Promise.resolve(null)), h, [addr]);
  const [tx, run] = useTx();
  const p = params.data?.params;
  const minH = p ? Math.ceil(secs(p.min_lock_duration) / 3600) : 1, maxH = p ? Math.floor(secs(p.max_lock_duration) / 3600) : 0;
  const [lf, setLf] = useState({ amount: "100", hours: "" });
  const hours = lf.hours || String(maxH ? Math.min(maxH, 24 * 7) : 168);
  const voting = (props.data?.proposals || []).filter((x) => x.status === "PROPOSAL_STATUS_VOTING");
  const [vf, setVf] = useState({ id: "", option: "yes" });
  const voteId = vf.id || voting[voting.length - 1]?.id || "";
  const [df, setDf] = useState("");
  const now = Date.parse(chain.time) || Date.now();
  const signed = (fn, ok) => (e) => { e?.preventDefault?.(); if (me) run(fn, ok); };
  return <>
    <div class="cols">
      <div><Wallet chain={chain} />
        {addr && <div class="grid"><Stat k="Your voting power" v={power.data ? formatPower(power.data.total) : "—"} id="my-power" />
          <Stat k="Your lock" v={mylock.data?.lock ? `${formatCoin({ denom: "umesh", amount: mylock.data.lock.amount })} until ${new Date(mylock.data.lock.end).toLocaleString("en")}` : "none"} id="my-lock" />
          <Stat k="Delegated to you" v={power.data ? formatPower(power.data.delegated) : "—"} />
          <Stat k="You delegate to" v={power.data ? (power.data.delegate ? short(power.data.delegate) : "nobody") : "—"} /></div>}</div>
      <div class="card"><h2>Lock, vote and delegate</h2>
        <p class="notice">Voting power is the square root of locked MESH, times a multiplier that grows with the lock's length{p ? ` (${hoursText(secs(p.min_lock_duration))} to ${hoursText(secs(p.max_lock_duration))} here)` : ""}. A proposal counts the power you had when it was submitted.</p>
        <form data-testid="lock-form" onSubmit={signed(() => lock(me.client, me.address, parseUnits(lf.amount, 6), Number(hours) * 3600, cfg.rest), "Locked.")}>
          <div class="row"><label>Amount (MESH)<input name="lock-amount" value={lf.amount} onInput={(e) => setLf({ ...lf, amount: e.target.value })} /></label>
            <label>Hours{maxH ? ` (${minH}–${maxH})` : ""}<input name="lock-hours" type="number" min={minH} max={maxH || undefined} value={hours} onInput={(e) => setLf({ ...lf, hours: e.target.value })} /></label>
            <button type="submit" disabled={!me || tx.busy}>Lock</button></div>
        </form>
        <form data-testid="vote-form" onSubmit={signed(() => vote(me.client, me.address, voteId, vf.option, cfg.rest), "Vote cast.")}>
          <div class="row"><label>Proposal<select name="vote-id" value={voteId} onChange={(e) => setVf({ ...vf, id: e.target.value })}>{voting.length ? voting.map((x) => <option value={x.id}>#{x.id} {x.title.slice(0, 40)}</option>) : <option value="">none in voting</option>}</select></label>
            <label>Option<select name="vote-option" value={vf.option} onChange={(e) => setVf({ ...vf, option: e.target.value })}><option>yes</option><option>no</option><option>abstain</option><option>veto</option></select></label>
            <button type="submit" disabled={!me || tx.busy || !voteId}>{tx.busy ? <Spinner text="Sending…" /> : "Vote"}</button></div>
        </form>
        <form data-testid="delegate-form" onSubmit={signed(() => (df.trim() ? delegateVotes(me.client, me.address, df.trim(), cfg.rest) : undelegateVotes(me.client, me.address, cfg.rest)), df.trim() ? "Delegated." : "Undelegated.")}>
          <div class="row"><label>Delegate my power to<input name="delegate" class="mono" value={df} onInput={(e) => setDf(e.target.value)} placeholder="mesh1… (empty: take it back)" /></label>
            <button type="submit" disabled={!me || tx.busy}>{df.trim() ? "Delegate" : "Undelegate"}</button></div>
        </form>
        <TxResult tx={tx} /></div>
    </div>
    <div class="card"><h2>Proposals</h2><Err e={props.error} />
      <Table rows={props.data?.proposals ? [...props.data.proposals].reverse() : null} empty="No proposals yet." cols={[["#", (x) => x.id], ["Title", (x) => <><b>{x.title}</b><div class="notice">{x.summary?.slice(0, 120)}</div></>], ["Status", (x) => <span class={`badge ${/PASSED|EXECUTED/.test(x.status) ? "ok" : /REJECTED|VETOED|FAILED|EXPIRED/.test(x.status) ? "bad" : "warn"}`} data-testid="proposal-status">{label(x.status, "PROPOSAL_STATUS_")}</span>],
        ["AI analysis", (x) => (x.analysis?.label ? <span data-testid="analysis"><span class={`badge ${/high|risk|reject|bad/i.test(x.analysis.label) ? "bad" : /medium/i.test(x.analysis.label) ? "warn" : "ok"}`}>{x.analysis.label} risk</span> score {bps(x.analysis.score)}</span> : label(x.analysis?.status, "ANALYSIS_STATUS_") || "—")],
        ["Tally (quadratic power)", (x) => <Tally t={x.tally} total={x.total_power} id={x.id} />],
        ["Voting ends / timelock", (x) => <>{x.status === "PROPOSAL_STATUS_VOTING" && <div>voting: <Countdown to={x.voting_end} now={now} /></div>}{x.status === "PROPOSAL_STATUS_PASSED" && <div>executes in <Countdown to={x.eta} now={now} /></div>}{x.result && <div class="notice">{x.result}</div>}</>],
        ["", (x) => (x.status === "PROPOSAL_STATUS_PASSED" && Date.parse(x.eta) <= now ? <button disabled={!me || tx.busy} onClick={signed(() => executeProposal(me.client, me.address, x.id, cfg.rest), `Proposal #${x.id} executed.`)}>Execute</button> : null)]]} /></div>
  </>;
}
const Tally = ({ t, total, id }) => { const y = t?.yes || "0", n = t?.no || "0", a = t?.abstain || "0", v = t?.veto || "0"; const sum = (BigInt(y) + BigInt(n) + BigInt(a) + BigInt(v)).toString(); return <div data-testid={`tally-${id}`} data-yes={y}>yes {formatPower(y)} ({powerShare(y, sum)}) · no {formatPower(n)} · abstain {formatPower(a)} · veto {formatPower(v)}{total && total !== "0" && <div class="notice">of {formatPower(total)} total</div>}</div>; };

function Rewards({ chain }) {
  const h = chain.height;
  const me = useSigner();
  const addr = me?.address || "";
  const pending = useQuery(() => (addr ? query.pending(cfg.rest, addr) : Promise.resolve(null)), h, [addr]);
  const epochs = useQuery(() => query.rewardEpochs(cfg.rest), h);
  const datasets = useQuery(() => query.datasets(cfg.rest), h);
  const tasks = useQuery(() => query.tasks(cfg.rest), h);
  const [tx, run] = useTx();
  return <>
    <div class="cols"><div><Wallet chain={chain} /></div>
      <div class="card"><h2>Pending rewards</h2>
        {!addr ? <p class="notice">Connect to see your rewards.</p> : <><div class="stat"><div class="value" data-testid="pending">{pending.data ? formatCoins(pending.data.amount) || "0 MESH" : <Spinner />}</div>
          <div class="label">{pending.data ? `${pending.data.epochs ?? 0} settled epochs unclaimed${pending.data.to_pool ? " · paid to your pool's delegators and you" : ""}` : ""}</div>
          {pending.data?.open_points?.length ? <div class="notice">This epoch so far: {pending.data.open_points.map((x) => `${x.points} ${x.category} points`).join(", ")}</div> : null}</div>
          <button onClick={() => run(() => claimRewards(me.client, me.address, me.address, cfg.rest), "Claimed.")} disabled={tx.busy}>{tx.busy ? <Spinner text="Claiming…" /> : "Claim"}</button></>}
        <Err e={pending.error} /><TxResult tx={tx} /></div></div>
    <div class="card"><h2>Reward epochs</h2><Err e={epochs.error} />
      <Table rows={epochs.data?.epochs} cols={[["Epoch", (x) => x.epoch], ["Blocks", (x) => (x.end_height && x.end_height !== "0" ? `${x.start_height}–${x.end_height}` : `from ${x.start_height} (open)`)], ["Pot", (x) => formatCoins(x.pot) || "—"], ["Shared by", (x) => (x.categories?.length ? x.categories.map((c) => `${c.category} ${c.points} pts`).join(", ") : "nobody (carried over)")], ["Carried over", (x) => formatCoins(x.carried) || "—"]]} /></div>
    <div class="card"><h2>Datasets</h2><Err e={datasets.error} />
      <Table rows={datasets.data?.datasets} cols={[["#", (d) => d.id], ["Name", (d) => <b>{d.name}</b>], ["Items", (d) => d.items ?? "0"], ["Labels", (d) => (d.labels?.length ? d.labels.join(", ") : "free text")], ["License", (d) => d.license || "—"], ["Owner", (d) => short(d.owner), "mono"]]} empty="No datasets." /></div>
    <Annotate h={h} datasets={datasets.data?.datasets || []} />
    <div class="card"><h2>Training tasks</h2><Err e={tasks.error} />
      <Table rows={tasks.data?.tasks} empty="No training tasks." cols={[["#", (t) => t.id], ["Base model", (t) => t.base_model_id], ["Round", (t) => `${t.current_round} of ${t.rounds}`], ["Status", (t) => <span class={`badge ${/COMPLETED/.test(t.status) ? "ok" : /FAILED/.test(t.status) ? "bad" : "warn"}`}>{label(t.status, "TASK_STATUS_")}</span>], ["Spent", (t) => `${formatCoin(t.spent)} of ${formatCoin(t.budget)}`], ["Candidate", (t) => t.candidate_model_id || "—"], ["Held-out loss per round", (t) => <LossChart t={t} h={h} />]]} /></div>
  </>;
}
// Annotate lists a dataset's newest OPEN items (up to 20) with a button per label; a label escrows
// annotation_stake until the item has annotators_per_item labels and settles.
function Annotate({ h, datasets }) {
  const me = useSigner();
  const [ds, setDs] = useState("");
  const id = ds || datasets[0]?.id || "";
  const dataset = datasets.find((d) => d.id === id);
  const items = useQuery(() => (id ? query.items(cfg.rest, id, "?pagination.reverse=true&pagination.limit=20") : Promise.resolve({ items: [] })), h, [id]);
  const params = useQuery(() => query.trainingParams(cfg.rest), h);
  const stats = useQuery(() => (me ? query.annotator(cfg.rest, me.address).catch(() => null) : Promise.resolve(null)), h, [me?.address]);
  const [tx, run] = useTx();
  const p = params.data?.params;
  const open = (items.data?.items || []).filter((it) => it.status === "ITEM_STATUS_OPEN");
  const labels = dataset?.labels?.length ? dataset.labels : [];
  return <div class="card" data-testid="annotate"><h2>Annotate</h2>
    <div class="row"><label>Dataset<select name="annotate-dataset" value={id} onChange={(e) => setDs(e.target.value)}>{datasets.map((d) => <option value={d.id}>#{d.id} {d.name}</option>)}</select></label>
      {p && <span class="notice">Each label escrows {formatCoin(p.annotation_stake)} until {p.annotators_per_item} labels settle the item; the majority gets it back and earns data points.</span>}</div>
    {me && stats.data?.stats && <p class="notice" data-testid="annotator-stats">You: {stats.data.stats.agreed || 0} agreed, {stats.data.stats.disagreed || 0} disagreed, {stats.data.stats.strikes || 0} strikes.</p>}
    <Err e={items.error} />
    <Table rows={items.data ? open : null} empty="No open items in the newest 20: every one has its final label." cols={[["#", (it) => it.id], ["Item", (it) => <ItemText it={it} />], ["Labels so far", (it) => `${it.annotations || 0} of ${p?.annotators_per_item ?? "?"}`],
      ["", (it) => (!me ? <span class="notice">Connect to label</span> : it.contributor === me.address ? <span class="notice">your item</span> : (labels.length ? <div class="row" data-testid={`label-${it.id}`}>{labels.map((l) => <button disabled={tx.busy} onClick={() => run(() => annotate(me.client, me.address, it.id, l, cfg.rest), `Labelled #${it.id} ${l}.`)}>{l}</button>)}</div>
        : <form class="row" data-testid={`label-${it.id}`} onSubmit={(e) => { e.preventDefault(); const l = e.target.elements.label.value.trim(); if (l) run(() => annotate(me.client, me.address, it.id, l, cfg.rest), `Labelled #${it.id} ${l}.`); }}><input name="label" placeholder="label" /><button type="submit" disabled={tx.busy}>Label</button></form>))]]} />
    <TxResult tx={tx} id="annotate-ok" />
  </div>;
}

// ItemText shows an item's inline data as text; a JSON object (a dataset schema such as
// {"text", "label"}) shows its text, and the contributor's label as a hint. A URI item shows its URI.
function ItemText({ it }) {
  if (!it.data) return <span class="mono">{it.uri}</span>;
  const raw = decodeResult(it.data);
  let o = null;
  try { o = JSON.parse(raw); } catch { /* plain text */ }
  if (!o || typeof o !== "object" || Array.isArray(o)) return <span>{raw.slice(0, 160)}</span>;
  const text = typeof o.text === "string" ? o.text : Object.entries(o).filter(([k]) => k !== "label").map(([, v]) => String(v)).join(" · ");
  return <span>{text.slice(0, 160)}{typeof o.label === "string" && <span class="notice"> (contributor's label: {o.label})</span>}</span>;
}

// LossChart reads each round of the task (GET …/tasks/{id}/rounds/{n}; eval_loss is × 10⁶) and
// draws the finalized rounds' held-out loss.
function LossChart({ t, h }) {
  const n = Math.min(Number(t.current_round || 0), Number(t.rounds || 0), 64);
  const rounds = useQuery(() => Promise.all(Array.from({ length: n }, (_, i) => query.round(cfg.rest, t.id, i + 1).then((r) => r.round, () => null))), h, [t.id, n]);
  const pts = (rounds.data || []).filter((r) => r?.phase === "ROUND_PHASE_FINALIZED").map((r) => ({ n: r.number, v: Number(r.eval_loss) / 1e6 }));
  if (!pts.length) return rounds.loading && n ? <Spinner /> : "—";
  const max = Math.max(...pts.map((p) => p.v)), min = Math.min(...pts.map((p) => p.v)), x = (i) => (pts.length < 2 ? 100 : 8 + (i / (pts.length - 1)) * 184), y = (v) => 48 - ((v - min) / Math.max(1e-9, max - min)) * 40;
  return <div data-testid={`loss-${t.id}`} data-losses={pts.map((p) => p.v).join(",")}>
    <svg class="chart" viewBox="0 0 200 55" style="height:55px;width:200px">{pts.length > 1 && <polyline fill="none" stroke="#5b8cff" stroke-width="2" points={pts.map((p, i) => `${x(i)},${y(p.v)}`).join(" ")} />}
      {pts.map((p, i) => <circle cx={x(i)} cy={y(p.v)} r="3" fill="#5b8cff"><title>round {p.n}: {p.v.toFixed(4)}</title></circle>)}</svg>
    <div class="notice">{pts.map((p) => `r${p.n} ${p.v.toFixed(4)}`).join(" · ")}</div></div>;
}

function App() {
  const [page, setPage] = useState(PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "network");
  useEffect(() => { const f = () => setPage(PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "network"); addEventListener("hashchange", f); return () => removeEventListener("hashchange", f); }, []);
  const chain = useChain();
  const P = { network: Network, compute: Compute, inference: Inference, dao: Dao, rewards: Rewards }[page];
  return <>
    <header><span class="brand">meshd</span>
      <nav>{PAGES.map((p) => <a href={`#${p}`} class={p === page ? "active" : ""}>{TITLES[p]}</a>)}</nav>
      <span class="chain"><span class="pill" data-testid="chain-id">{chain.chainId || "…"}</span><span><span class={`dot ${chain.ok ? "" : "off"}`} />height <b data-testid="height">{chain.height ? chain.height.toLocaleString("en") : "…"}</b></span></span>
    </header>
    <main><h1>{TITLES[page]}</h1>{chain.error && <div class="error">{chain.error}</div>}{chain.height ? <P chain={chain} /> : <Spinner text="Connecting to the node…" />}</main>
    <footer>RPC {cfg.rpc} · REST {cfg.rest} · <a href={`${cfg.rest}/mesh/openapi.json`} target="_blank" rel="noreferrer" data-testid="openapi">OpenAPI (meshd REST)</a></footer>
  </>;
}

loadConfig().then(() => { const el = document.getElementById("app"); el.textContent = ""; render(<App />, el); });
