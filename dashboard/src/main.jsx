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
let signer = null;
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
function Wallet({ chain, onChange }) {
  const [addr, setAddr] = useState(signer?.address || "");
  const [m, setM] = useState(""); const [err, setErr] = useState(""); const [busy, setBusy] = useState(false);
  // Pasted dev keys: only on a node reached over loopback or a chain id that says local/test/dev.
  const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(cfg.rpc) || /local|test|dev/i.test(chain.chainId);
  const use = async (w) => {
    const [{ address }] = await w.getAccounts();
    signer = { address, client: await connect(cfg.rpc, w) };
    setAddr(address); onChange?.(address);
  };
  const go = async (kind) => {
    setBusy(true); setErr("");
    try {
      if (kind === "keplr") await use(await keplrSigner(chain.chainId));
      else {
        if (!local) throw new Error("Pasted keys are for a local development node only; use Keplr on this network.");
        await use(await fromMnemonic(m.trim()));
        setM("");
      }
    } catch (e) { setErr(explainError(String(e.message || e))); }
    setBusy(false);
  };
  if (addr) return <div class="notice">Signing as <span class="mono" data-testid="address">{addr}</span></div>;
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
      <Stat k="Treasury" v={treasury.data && formatCoins(treasury.data.balance || treasury.data.balances || treasury.data.amount)} />
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
  const pools = useQuery(() => query.pools(cfg.rest), h);
  const workers = useQuery(() => query.workers(cfg.rest), h);
  const ep = useQuery(() => query.epoch(cfg.rest), h);
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
      <Table rows={pools.data?.pools} cols={[["Provider", (p) => short(p.provider), "mono"], ["Stake", (p) => formatCoin({ denom: "umesh", amount: p.tokens })], ["Commission", (p) => `${(Number(p.commission_rate) * 100).toFixed(1)} %`], ["Compute units", (p) => p.compute_units], ["Status", (p) => <span class={`badge ${p.jailed ? "bad" : "ok"}`}>{p.jailed ? "jailed" : "active"}</span>]]} /></div>
    <div class="card"><h2>Workers</h2><Err e={workers.error} />
      <Table rows={workers.data?.workers} cols={[["Worker", (w) => short(w.address), "mono"], ["Claimed", (w) => `${Number(w.spec?.int8_gops || 0) || Number(w.spec?.int8_tops || 0) * 1000} GOPS`], ["Proven", (w) => `${w.verified_gops || 0} GOPS · ${w.verified_units || 0} units`], ["Reputation", (w) => bps(w.reputation_bps)], ["PoC passed / missed", (w) => <PocBar w={w} />], ["Status", (w) => <span class={`badge ${/ACTIVE/.test(w.status) ? "ok" : /JAIL/.test(w.status) ? "bad" : "warn"}`}>{label(w.status, "WORKER_STATUS_")}</span>]]} /></div>
  </>;
}
const PocBar = ({ w }) => { const p = Number(w.passed || 0), m = Number(w.missed || 0), t = Math.max(1, p + m); return <div><div class="bar" style="width:120px"><div style={`width:${(p / t) * 100}%;background:var(--ok)`} /><div style={`width:${(m / t) * 100}%;background:var(--bad)`} /></div>{p} / {m}</div>; };

const STEPS = { exact: ["QUEUED", "COMMITTING", "REVEALING", "SETTLED"], verify: ["QUEUED", "COMMITTING", "REVEALING", "VERIFYING", "SETTLED"] };
function Inference({ chain }) {
  const h = chain.height;
  const models = useQuery(() => query.models(cfg.rest), h);
  const [filter, setFilter] = useState("");
  const jobs = useQuery(() => query.jobs(cfg.rest, "?pagination.reverse=true&pagination.limit=20"), h);
  const [form, setForm] = useState({ model: "mesh-embedded-v1", input: "hello mesh", fee: "1", redundancy: "3", mode: "exact" });
  const [tx, run] = useTx();
  const [job, setJob] = useState(null);
  const [seen, setSeen] = useState([]);
  const submit = (e) => {
    e.preventDefault();
    if (!signer) return;
    setJob(null); setSeen([]);
    run(async () => {
      const amount = parseUnits(form.fee, 6);
      const { jobId } = await requestInference(signer.client, signer.address, { modelId: form.model, input: form.input, maxFee: { denom: "umesh", amount }, redundancy: Number(form.redundancy), mode: form.mode }, cfg.rest);
      setJob({ id: jobId, status: "JOB_STATUS_QUEUED" });
      const j = await waitForJob(cfg.rest, jobId, { timeoutMs: 55_000, intervalMs: cfg.blockMs, onStatus: (s, jj) => { setSeen((o) => [...o, label(s, "JOB_STATUS_").toUpperCase()]); setJob({ ...jj }); } });
      setJob(j);
    }, "");
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
            <button type="submit" disabled={tx.busy || !signer}>{tx.busy ? <Spinner text="Waiting for the chain…" /> : "Send request"}</button>
            {!signer && <p class="notice">Connect a signer above to send requests.</p>}
          </form>
          <Err e={tx.error} />
        </div>
      </div>
      <div class="card" data-testid="job"><h2>Your job</h2>
        {!job ? <p class="notice">Send a request to follow its job here.</p> : <>
          <div>Job <b>#{job.id}</b> · <span class={`badge ${job.status === "JOB_STATUS_FINALIZED" ? "ok" : ENDED_STATUSES.includes(job.status) ? "bad" : "warn"}`} data-testid="job-status">{label(job.status, "JOB_STATUS_")}</span></div>
          <div class="steps">{steps.map((s) => <span class={s === cur ? "now" : seen.includes(s) || steps.indexOf(s) < steps.indexOf(cur) ? "done" : ""}>{s.toLowerCase()}</span>)}</div>
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
function Dao({ chain }) {
  const h = chain.height;
  const props = useQuery(() => query.proposals(cfg.rest), h);
  const [addr, setAddr] = useState(signer?.address || "");
  const power = useQuery(() => (addr ? query.power(cfg.rest, addr) : Promise.resolve(null)), h, [addr]);
  const mylock = useQuery(() => (addr ? query.lock(cfg.rest, addr).catch(() => null) : Promise.resolve(null)), h, [addr]);
  const [tx, run] = useTx();
  const [lf, setLf] = useState({ amount: "100", days: "7" });
  const [vf, setVf] = useState({ id: "", option: "yes" });
  const now = Date.parse(chain.time) || Date.now();
  return <>
    <div class="cols">
      <div><Wallet chain={chain} onChange={setAddr} />
        {addr && <div class="grid"><Stat k="Your voting power" v={power.data ? formatPower(power.data.total) : "—"} id="my-power" /><Stat k="Your lock" v={mylock.data?.lock ? `${formatCoin({ denom: "umesh", amount: mylock.data.lock.amount })}` : "none"} /></div>}</div>
      <div class="card"><h2>Lock and vote</h2>
        <form data-testid="lock-form" onSubmit={(e) => { e.preventDefault(); run(() => lock(signer.client, signer.address, parseUnits(lf.amount, 6), Number(lf.days) * 86400, cfg.rest), "Locked."); }}>
          <div class="row"><label>Amount (MESH)<input name="lock-amount" value={lf.amount} onInput={(e) => setLf({ ...lf, amount: e.target.value })} /></label>
            <label>Days<input name="lock-days" value={lf.days} onInput={(e) => setLf({ ...lf, days: e.target.value })} /></label>
            <button type="submit" disabled={!signer || tx.busy}>Lock</button></div>
        </form>
        <form data-testid="vote-form" onSubmit={(e) => { e.preventDefault(); run(() => vote(signer.client, signer.address, vf.id, vf.option, cfg.rest), "Vote cast."); }}>
          <div class="row"><label>Proposal<input name="vote-id" value={vf.id} onInput={(e) => setVf({ ...vf, id: e.target.value })} placeholder="id" /></label>
            <label>Option<select name="vote-option" value={vf.option} onChange={(e) => setVf({ ...vf, option: e.target.value })}><option>yes</option><option>no</option><option>abstain</option></select></label>
            <button type="submit" disabled={!signer || tx.busy}>{tx.busy ? <Spinner text="Sending…" /> : "Vote"}</button></div>
        </form>
        <Err e={tx.error} />{tx.ok && <div class="notice" data-testid="tx-ok">{tx.ok}</div>}</div>
    </div>
    <div class="card"><h2>Proposals</h2><Err e={props.error} />
      <Table rows={props.data?.proposals} empty="No proposals yet." cols={[["#", (p) => p.id], ["Title", (p) => <b>{p.title}</b>], ["Status", (p) => <span class="badge">{label(p.status, "PROPOSAL_STATUS_")}</span>],
        ["AI analysis", (p) => (p.analysis?.label ? <span data-testid="analysis"><span class={`badge ${/risk|reject|bad/i.test(p.analysis.label) ? "bad" : "ok"}`}>{p.analysis.label}</span> score {p.analysis.score}</span> : label(p.analysis?.status, "ANALYSIS_STATUS_") || "—")],
        ["Tally (quadratic power)", (p) => <Tally t={p.tally} total={p.total_power} />],
        ["Voting ends / timelock", (p) => <>{p.voting_end && <div>voting: <Countdown to={p.voting_end} now={now} /></div>}{p.eta && <div>executes in <Countdown to={p.eta} now={now} /></div>}</>]]} /></div>
  </>;
}
const Tally = ({ t, total }) => { const y = t?.yes || "0", n = t?.no || "0", a = t?.abstain || "0"; const sum = (BigInt(y) + BigInt(n) + BigInt(a)).toString(); return <div data-testid="tally">yes {formatPower(y)} ({powerShare(y, sum)}) · no {formatPower(n)} · abstain {formatPower(a)}{total && <div class="notice">of {formatPower(total)} total</div>}</div>; };

function Rewards({ chain }) {
  const h = chain.height;
  const [addr, setAddr] = useState(signer?.address || "");
  const pending = useQuery(() => (addr ? query.pending(cfg.rest, addr) : Promise.resolve(null)), h, [addr]);
  const epochs = useQuery(() => query.rewardEpochs(cfg.rest), h);
  const datasets = useQuery(() => query.datasets(cfg.rest), h);
  const tasks = useQuery(() => query.tasks(cfg.rest), h);
  const [tx, run] = useTx();
  return <>
    <div class="cols"><div><Wallet chain={chain} onChange={setAddr} /></div>
      <div class="card"><h2>Pending rewards</h2>
        {!addr ? <p class="notice">Connect to see your rewards.</p> : <><div class="stat"><div class="value" data-testid="pending">{pending.data ? formatCoins(pending.data.amount) : <Spinner />}</div><div class="label">{pending.data?.epochs ?? 0} epochs</div></div>
          <button onClick={() => run(() => claimRewards(signer.client, signer.address, signer.address, cfg.rest), "Claimed.")} disabled={tx.busy}>{tx.busy ? <Spinner text="Claiming…" /> : "Claim"}</button></>}
        <Err e={tx.error || pending.error} />{tx.ok && <div class="notice">{tx.ok}</div>}</div></div>
    <div class="card"><h2>Reward epochs</h2><Err e={epochs.error} />
      <Table rows={epochs.data?.epochs} cols={[["Epoch", (e) => e.epoch ?? e.number], ["Minted", (e) => formatCoins(e.minted || e.emission || (e.amount ? [e.amount] : []))], ["Units", (e) => e.total_units ?? e.units ?? "—"]]} /></div>
    <div class="card"><h2>Datasets</h2><Err e={datasets.error} />
      <Table rows={datasets.data?.datasets} cols={[["#", (d) => d.id], ["Name", (d) => d.name || d.title], ["Items", (d) => d.item_count ?? d.items ?? "—"]]} empty="No datasets." /></div>
    <div class="card"><h2>Training tasks</h2><Err e={tasks.error} />
      <Table rows={tasks.data?.tasks} empty="No training tasks." cols={[["#", (t) => t.id], ["Model", (t) => t.model_id || t.name], ["Round", (t) => t.round ?? t.current_round ?? "—"], ["Status", (t) => label(t.status, "TASK_STATUS_")], ["Held-out loss", (t) => <LossChart t={t} />]]} /></div>
  </>;
}
function LossChart({ t }) {
  const pts = (t.losses || t.round_losses || []).map(Number).filter((x) => !isNaN(x));
  if (pts.length < 2) return pts.length ? String(pts[0]) : "—";
  const max = Math.max(...pts), min = Math.min(...pts);
  const d = pts.map((v, i) => `${(i / (pts.length - 1)) * 200},${50 - ((v - min) / Math.max(1e-9, max - min)) * 45}`).join(" ");
  return <svg class="chart" viewBox="0 0 200 55" style="height:55px;width:200px"><polyline fill="none" stroke="#5b8cff" stroke-width="2" points={d} /></svg>;
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
