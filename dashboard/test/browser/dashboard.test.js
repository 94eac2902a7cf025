// Headless Chromium (puppeteer-core + /usr/bin/chromium) against a real
// localnet: DASHBOARD_URL, MESH_CHAIN_ID and MESH_MNEMONIC come from run.sh,
// which starts the localnet on its own ports and home. Screenshots go to
// ARTIFACTS (build/artifacts/dashboard).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const { DASHBOARD_URL, MESH_CHAIN_ID, MESH_MNEMONIC, MESH_KEPLR_MNEMONIC, MESH_REST, MESH_RPC, MESHD, MESH_NODE_HOME, CHROMIUM = "/usr/bin/chromium" } = process.env;
const ARTIFACTS = process.env.ARTIFACTS || "../build/artifacts/dashboard";
const skip = !DASHBOARD_URL && "DASHBOARD_URL not set: run `make test-browser` (it starts a localnet)";
let browser, puppeteer;
let proposalId = ""; // the DAO vote test's proposal, executed by the last test
const timings = {};

before(async () => {
  if (skip) return;
  puppeteer = (await import("puppeteer-core")).default;
  browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"], defaultViewport: { width: 1366, height: 900 } });
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  if (!skip) writeFileSync(`${ARTIFACTS}/timings.json`, JSON.stringify(timings, null, 2));
});

const rest = async (path) => (await fetch(`${MESH_REST}${path}`)).json();
// meshd runs the CLI against the test's localnet (its keyring holds alice, bob and carol).
const txFlags = ["--home", MESH_NODE_HOME, "--keyring-backend", "test", "--chain-id", MESH_CHAIN_ID, "--gas", "auto", "--gas-adjustment", "1.5", "--gas-prices", "0.0025umesh", "-y"];
const meshd = (...args) => JSON.parse(execFileSync(MESHD, [...args, ...(args[0] === "tx" ? txFlags : []), "--node", MESH_RPC, "-o", "json"], { encoding: "utf8" }));
const keyAddress = (name) => execFileSync(MESHD, ["keys", "show", name, "-a", "--home", MESH_NODE_HOME, "--keyring-backend", "test"], { encoding: "utf8" }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// poll calls fn once a second until it returns something truthy (at most `tries` times) and returns that.
async function poll(fn, tries = 20) {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(1000);
  }
  return undefined;
}

// onFailure saves the page and what it shows, so a red CI run says why.
async function withPage(name, fn, page) {
  page = page || (await browser.newPage());
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  try { await fn(page); } catch (e) {
    await page.screenshot({ path: `${ARTIFACTS}/FAILED-${name}.png`, fullPage: true }).catch(() => {});
    const text = await page.$eval("main", (el) => el.innerText).catch(() => "(no main)");
    console.log(`--- ${name} failed; the page shows:\n${text.slice(0, 3000)}\n--- console:\n${logs.slice(-30).join("\n")}`);
    throw e;
  } finally { await page.close(); }
}
const enabled = (sel) => `${sel}:not([disabled])`;
// clickEnabled waits until the button is enabled (a signer connected, no tx in flight), then clicks it.
const clickEnabled = async (page, sel) => (await page.waitForSelector(enabled(sel), { timeout: 15_000 })).click();
// txOk waits for a form's success line (data-testid `id`) to read `text`.
const txOk = (page, text, id = "tx-ok") => page.waitForFunction((id, text) => document.querySelector(`[data-testid=${id}]`)?.textContent === text, { timeout: 60_000 }, id, text);
// fill replaces an input's value as a user would.
async function fill(page, name, value) {
  await page.click(`input[name=${name}]`, { clickCount: 3 });
  await page.type(`input[name=${name}]`, value);
}
// lockFromPage locks `amount` MESH with the DAO page's lock form (its default duration).
async function lockFromPage(page, amount) {
  await fill(page, "lock-amount", amount);
  await clickEnabled(page, "[data-testid=lock-form] button[type=submit]");
  await txOk(page, "Locked.");
}

const heightOf = async (page) => Number((await page.$eval("[data-testid=height]", (e) => e.textContent)).replace(/,/g, ""));

// open loads a page fresh and waits until it shows the chain id and a height; returns ms.
async function open(page, name) {
  await page.goto("about:blank"); // a full load each time, not a hash change
  const t0 = Date.now();
  await page.goto(`${DASHBOARD_URL}/#${name}`, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => /^\d[\d,]*$/.test(document.querySelector("[data-testid=height]")?.textContent || "") && !document.querySelector("main .loading"), { timeout: 15_000 });
  return Date.now() - t0;
}

async function checkPage(page, name) {
  const ms = await open(page, name);
  timings[name] = ms;
  assert.equal(await page.$eval("[data-testid=chain-id]", (e) => e.textContent), MESH_CHAIN_ID);
  const h1 = await heightOf(page);
  assert.ok(h1 > 0);
  await page.waitForFunction((h) => Number(document.querySelector("[data-testid=height]").textContent.replace(/,/g, "")) > h, { timeout: 10_000 }, h1);
  const text = await page.$eval("main", (e) => e.innerText);
  assert.doesNotMatch(text, /\bumesh\b|\d+umesh|[{}"]\s*"?[a-z_]+"\s*:/, `${name} shows raw base units or JSON`);
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  return { ms, text };
}

test("every page loads under 2 s with the chain id, a live height and formatted amounts", { skip, timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  for (const name of ["network", "compute", "inference", "dao", "rewards"]) {
    const { ms, text } = await checkPage(page, name);
    assert.ok(ms < 2000, `${name} took ${ms} ms`);
    if (name === "network") assert.match(text, /MESH/);
    if (name === "inference") assert.match(text, /mesh-embedded-v1/);
  }
  console.log("page load ms:", JSON.stringify(timings));
  await page.close();
});

async function connectDevKey(page) {
  await page.waitForSelector("textarea[name=mnemonic]");
  await page.type("textarea[name=mnemonic]", MESH_MNEMONIC);
  await page.click("form:has(textarea[name=mnemonic]) button[type=submit]");
  await page.waitForSelector("[data-testid=address]", { timeout: 15_000 });
}

// Three mistakes a user can make; each shows the chain's registered error in words, and the balance is unchanged.
test("a refused request shows the chain's error in words", { skip, timeout: 120_000 }, () => withPage("refused", async (page) => {
  await open(page, "inference");
  await connectDevKey(page);
  const me = await page.$eval("[data-testid=address]", (e) => e.textContent);
  const balance = async () => (await rest(`/cosmos/bank/v1beta1/balances/${me}/by_denom?denom=umesh`)).balance.amount;
  const cases = [
    { what: "unknown model", model: "no-such-model", want: /model not found/i },
    { what: "too few workers", redundancy: "7", want: /not enough eligible workers/i },
    { what: "no funds", fee: "999999999", want: /insufficient funds|insufficient/i },
  ];
  let prev = "";
  for (const c of cases) {
    await page.select("select[name=model]", c.model || "mesh-embedded-v1");
    await fill(page, "redundancy", c.redundancy || "3");
    await fill(page, "fee", c.fee || "1");
    const before = await balance();
    await clickEnabled(page, "[data-testid=request-form] button[type=submit]");
    await page.waitForFunction((prev) => { const e = document.querySelector("[data-testid=request-form] ~ .error"); return e && e.textContent !== prev; }, { timeout: 60_000 }, prev);
    const msg = (prev = await page.$eval("[data-testid=request-form] ~ .error", (e) => e.textContent));
    console.log(`refused tx (${c.what}): ${msg}`);
    assert.match(msg, c.want, c.what);
    assert.doesNotMatch(msg, /[{}]|rpc error|message index|codespace|\d+umesh/, c.what);
    assert.equal(await balance(), before, `${c.what}: nothing was charged (refused before signing)`);
    if (c.what === "unknown model") await page.screenshot({ path: `${ARTIFACTS}/inference-refused.png`, fullPage: true });
  }
}));

test("a request sent from the browser settles and shows its result", { skip, timeout: 200_000 }, () => withPage("inference", async (page) => {
  await open(page, "inference");
  await connectDevKey(page);
  const t0 = Date.now();
  await clickEnabled(page, "[data-testid=request-form] button[type=submit]");
  await page.waitForSelector("[data-testid=job-status]", { timeout: 60_000 }); // the tx landed and a job id came back
  await page.waitForSelector("[data-testid=job-result]", { timeout: 120_000 });
  timings.inferenceSettledMs = Date.now() - t0;
  const status = await page.$eval("[data-testid=job-status]", (e) => e.textContent);
  const result = await page.$eval("[data-testid=job-result]", (e) => e.textContent);
  console.log(`job ${status} in ${timings.inferenceSettledMs} ms: ${result.slice(0, 80)}`);
  assert.equal(status, "finalized");
  assert.ok(result.length > 0 && result !== "(no result)");
  const card = await page.$eval("[data-testid=job]", (e) => e.innerText);
  assert.match(card, /MESH/);
  assert.doesNotMatch(card, /umesh/);
  await page.screenshot({ path: `${ARTIFACTS}/inference-settled.png`, fullPage: true });
}));

test("a DAO vote cast from the browser changes the tally", { skip, timeout: 180_000 }, () => withPage("dao-vote", async (page) => {
  await open(page, "dao");
  await connectDevKey(page);
  const me = await page.$eval("[data-testid=address]", (e) => e.textContent);
  // Lock 100 MESH for the longest lock this chain allows (the form's default).
  await lockFromPage(page, "100");
  const { lock } = await rest(`/mesh/dao/v1/locks/${me}`);
  assert.ok(BigInt(lock.amount) >= 100_000_000n, `lock on chain: ${JSON.stringify(lock)}`);
  await page.waitForFunction(() => !/^(0|—)$/.test(document.querySelector("[data-testid=my-power]")?.textContent || "0"), { timeout: 15_000 });

  // bob proposes (the CLI); the proposal counts power at its submission, so after the lock.
  const { address: dao } = meshd("q", "dao", "treasury");
  const bob = keyAddress("bob");
  const file = `${ARTIFACTS}/proposal.json`;
  writeFileSync(file, JSON.stringify({ title: "Send 1 MESH to bob", summary: "The browser test's proposal: the treasury sends 1 MESH to bob.", deposit: "10000000umesh",
    messages: [{ "@type": "/cosmos.bank.v1beta1.MsgSend", from_address: dao, to_address: bob, amount: [{ denom: "umesh", amount: "1000000" }] }] }));
  const sub = meshd("tx", "dao", "submit-proposal", file, "--from", "bob");
  assert.equal(sub.code, 0, sub.raw_log);
  const id = await poll(async () => (await rest("/mesh/dao/v1/proposals")).proposals.find((p) => p.title === "Send 1 MESH to bob" && p.status === "PROPOSAL_STATUS_VOTING" && p.proposer === bob)?.id);
  assert.ok(id, "the proposal is in voting");
  proposalId = id;
  await page.waitForSelector(`select[name=vote-id] option[value="${id}"]`, { timeout: 15_000 });
  assert.equal(await page.$eval(`[data-testid=tally-${id}]`, (e) => e.dataset.yes), "0");

  await page.select("select[name=vote-id]", id);
  await page.select("select[name=vote-option]", "yes");
  await clickEnabled(page, "[data-testid=vote-form] button[type=submit]");
  await txOk(page, "Vote cast.");
  await page.waitForFunction((id) => document.querySelector(`[data-testid=tally-${id}]`)?.dataset.yes !== "0", { timeout: 15_000 }, id);
  const shown = await page.$eval(`[data-testid=tally-${id}]`, (e) => e.dataset.yes);
  const { proposal } = await rest(`/mesh/dao/v1/proposals/${id}`);
  const { vote } = await rest(`/mesh/dao/v1/proposals/${id}/votes/${me}`);
  const power = (BigInt(vote.own_power) + BigInt(vote.delegated_power)).toString();
  console.log(`proposal ${id}: yes ${shown} (the vote's power ${power}), analysis ${proposal.analysis.status} ${proposal.analysis.label}`);
  assert.equal(shown, proposal.tally.yes);
  assert.equal(proposal.tally.yes, power);
  assert.ok(BigInt(power) > 0n);
  const row = await page.$eval(`[data-testid=tally-${id}]`, (e) => e.closest("tr").innerText);
  assert.match(row, /yes [\d,.]+[MG]? \(100\.0 %\)/);
  await page.screenshot({ path: `${ARTIFACTS}/dao-voted.png`, fullPage: true });
}));

// Keplr cannot run headless; this stands in for the extension with the same API (experimentalSuggestChain,
// enable, getOfflineSigner → getAccounts/signDirect), signing in Node with carol's key, so the dashboard's
// Keplr path is what signs and broadcasts.
test("Keplr: the dashboard suggests the chain, signs with the extension's key and broadcasts", { skip, timeout: 90_000 }, async () => {
  const { DirectSecp256k1HdWallet } = await import("@cosmjs/proto-signing");
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MESH_KEPLR_MNEMONIC, { prefix: "mesh" });
  const [acct] = await wallet.getAccounts();
  const page = await browser.newPage();
  const suggested = [];
  await page.exposeFunction("__keplrSuggest", (info) => { suggested.push(info); });
  await page.exposeFunction("__keplrAccounts", async () => (await wallet.getAccounts()).map((a) => ({ ...a, pubkey: Array.from(a.pubkey) })));
  await page.exposeFunction("__keplrSignDirect", async (addr, d) => {
    const { signed, signature } = await wallet.signDirect(addr, { bodyBytes: Uint8Array.from(d.bodyBytes), authInfoBytes: Uint8Array.from(d.authInfoBytes), chainId: d.chainId, accountNumber: BigInt(d.accountNumber) });
    return { signed: { bodyBytes: Array.from(signed.bodyBytes), authInfoBytes: Array.from(signed.authInfoBytes), chainId: signed.chainId, accountNumber: String(signed.accountNumber) }, signature };
  });
  await page.evaluateOnNewDocument(() => {
    const enabled = new Set();
    window.keplr = {
      experimentalSuggestChain: (info) => window.__keplrSuggest(info),
      enable: async (id) => { enabled.add(id); },
      getOfflineSigner: (id) => ({
        getAccounts: async () => { if (!enabled.has(id)) throw new Error("not enabled"); return (await window.__keplrAccounts()).map((a) => ({ ...a, pubkey: Uint8Array.from(a.pubkey) })); },
        signDirect: async (addr, d) => {
          const r = await window.__keplrSignDirect(addr, { bodyBytes: Array.from(d.bodyBytes), authInfoBytes: Array.from(d.authInfoBytes), chainId: d.chainId, accountNumber: String(d.accountNumber) });
          return { signed: { bodyBytes: Uint8Array.from(r.signed.bodyBytes), authInfoBytes: Uint8Array.from(r.signed.authInfoBytes), chainId: r.signed.chainId, accountNumber: BigInt(r.signed.accountNumber) }, signature: r.signature };
        },
      }),
    };
  });
  await withPage("keplr", async () => {
    await open(page, "dao");
    assert.equal(await page.$("textarea[name=mnemonic]"), null, "with Keplr there is no pasted-key form");
    await page.click("xpath/.//button[contains(., 'Connect Keplr')]");
    await page.waitForSelector("[data-testid=address]", { timeout: 15_000 });
    assert.equal(await page.$eval("[data-testid=address]", (e) => e.textContent), acct.address);
    assert.equal(suggested.length, 1);
    assert.equal(suggested[0].chainId, MESH_CHAIN_ID);
    assert.equal(suggested[0].bech32Config.bech32PrefixAccAddr, "mesh");
    assert.deepEqual(suggested[0].currencies[0], { coinDenom: "MESH", coinMinimalDenom: "umesh", coinDecimals: 6 });
    await lockFromPage(page, "5");
    const { lock } = await rest(`/mesh/dao/v1/locks/${acct.address}`);
    assert.equal(lock.amount, "5000000");
    // carol delegates her power to alice from the same form.
    const alice = keyAddress("alice");
    await page.type("input[name=delegate]", alice);
    await clickEnabled(page, "[data-testid=delegate-form] button[type=submit]");
    await txOk(page, "Delegated.");
    const mine = await rest(`/mesh/dao/v1/power/${acct.address}`);
    assert.equal(mine.delegate, alice);
    const hers = await rest(`/mesh/dao/v1/power/${alice}`);
    assert.equal(hers.delegated, mine.own, "alice votes with carol's power");
    assert.ok(BigInt(mine.own) > 0n);
  }, page);
});

test("Compute draws each worker's PoC history from the chain", { skip, timeout: 120_000 }, () => withPage("compute-poc", async (page) => {
  await open(page, "compute");
  // One cell per settled epoch of the last missed_window; wait until a worker has passed one.
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=poc-history]")].some((e) => e.dataset.cells.includes("p")), { timeout: 90_000 });
  // The page and REST are read a moment apart; compare until they agree on one height's state (10 tries).
  const { params } = await rest("/mesh/compute/v1/params");
  let problems = ["not compared"], seen = "";
  for (let i = 0; i < 10 && problems.length; i++) {
    if (i) await sleep(1000);
    const shown = Number((await page.$eval("[data-testid=epoch]", (e) => e.textContent)).replace(/\D/g, ""));
    const rows = await page.$$eval("[data-testid=poc-history]", (es) => es.map((e) => ({ text: e.closest("tr").innerText, cells: e.dataset.cells })));
    const { workers } = await rest("/mesh/compute/v1/workers");
    const first = Math.max(1, shown - params.missed_window);
    seen = `epoch ${shown}: ${rows.map((r) => r.cells).join(" ")}`;
    problems = rows.length === workers.length ? [] : [`${rows.length} rows for ${workers.length} workers`];
    for (const w of workers) {
      const row = rows.find((r) => r.text.includes(w.address.slice(0, 10)) && r.text.includes(w.address.slice(-6)));
      if (!row) { problems.push(`no row for ${w.address}`); continue; }
      const at = (n) => row.cells[n - first], last = Number(w.last_passed_epoch);
      if (last >= first && last < shown && at(last) !== "p") problems.push(`${w.address} passed epoch ${last}, shown ${at(last)}`);
      for (const m of (w.missed_epochs || []).map(Number).filter((m) => m >= first && m < shown)) if (at(m) !== "m") problems.push(`${w.address} missed epoch ${m}, shown ${at(m)}`);
    }
  }
  console.log(`PoC history at ${seen}`);
  assert.deepEqual(problems, []);
  // Each pool shows its delegators: one (the provider's self-bond) on a fresh localnet.
  const { pools } = await rest("/mesh/pool/v1/pools");
  const counts = await page.$$eval("main table", (ts) => { const t = ts.find((x) => /Delegators/.test(x.querySelector("thead").innerText)); const i = [...t.querySelectorAll("th")].findIndex((th) => th.textContent === "Delegators"); return [...t.querySelectorAll("tbody tr")].map((tr) => tr.children[i].textContent); });
  const want = [];
  for (const p of pools) want.push((await rest(`/mesh/pool/v1/pools/${p.provider}/delegations?pagination.count_total=true`)).pagination.total);
  assert.deepEqual(counts, want);
  await page.screenshot({ path: `${ARTIFACTS}/compute-poc.png`, fullPage: true });
}));

test("Rewards & training draws the chain's per-round held-out loss, and an item is labelled from the page", { skip, timeout: 150_000 }, () => withPage("rewards", async (page) => {
  // run.sh created a two-round task at start; wait for both rounds on chain, then on the page.
  const task = await poll(async () => { const { task: t } = await rest("/mesh/training/v1/tasks/1"); return t && /COMPLETED|FAILED/.test(t.status) && t; }, 120);
  assert.equal(task?.status, "TASK_STATUS_COMPLETED", `task: ${JSON.stringify(task)}`);
  const want = [];
  for (let n = 1; n <= task.rounds; n++) { const { round } = await rest(`/mesh/training/v1/tasks/1/rounds/${n}`); if (round.phase === "ROUND_PHASE_FINALIZED") want.push(Number(round.eval_loss) / 1e6); }
  assert.ok(want.length >= 2, `finalized rounds: ${want}`);
  await open(page, "rewards");
  await page.waitForSelector("[data-testid=loss-1]", { timeout: 15_000 });
  const shown = (await page.$eval("[data-testid=loss-1]", (e) => e.dataset.losses)).split(",").map(Number);
  console.log(`held-out loss per round: ${shown.join(", ")}`);
  assert.deepEqual(shown, want);
  assert.equal(await page.$$eval("[data-testid=loss-1] circle", (cs) => cs.length), want.length);

  // bob contributes an item with the CLI; alice labels it from the page, with the stake escrowed.
  const file = `${ARTIFACTS}/item.txt`;
  writeFileSync(file, "Raise the inference input limit to 8 KiB; nothing else changes.");
  const sent = meshd("tx", "training", "contribute", "1", file, "--from", "bob");
  assert.equal(sent.code, 0, sent.raw_log);
  const item = await poll(async () => (await rest("/mesh/training/v1/datasets/1/items?pagination.reverse=true&pagination.limit=1")).items.find((it) => it.status === "ITEM_STATUS_OPEN"));
  assert.ok(item, "bob's item is on chain and OPEN");
  await connectDevKey(page);
  const me = await page.$eval("[data-testid=address]", (e) => e.textContent);
  const button = await page.waitForSelector(`xpath/.//*[@data-testid="label-${item.id}"]//button[text()="low"]`, { timeout: 15_000 });
  await button.click();
  await txOk(page, `Labelled #${item.id} low.`, "annotate-ok");
  const { annotations } = await rest(`/mesh/training/v1/items/${item.id}/annotations`);
  const { params } = await rest("/mesh/training/v1/params");
  assert.deepEqual(annotations.map((a) => [a.annotator, a.label, a.stake.amount]), [[me, "low", params.annotation_stake.amount]]);
  await page.waitForFunction((id) => [...document.querySelectorAll("[data-testid=annotate] tr")].some((tr) => tr.children[0]?.textContent === id && /1 of /.test(tr.innerText)), { timeout: 15_000 }, item.id);
  await page.screenshot({ path: `${ARTIFACTS}/rewards-training.png`, fullPage: true });
}));

test("a passed proposal is executed from the browser after its timelock", { skip, timeout: 180_000 }, () => withPage("dao-execute", async (page) => {
  assert.ok(proposalId, "the DAO vote test submitted a proposal");
  const bob = keyAddress("bob");
  await open(page, "dao");
  await connectDevKey(page);
  // Voting (60 s on the localnet) and the timelock (30 s) run out; then the row offers Execute.
  const button = await page.waitForSelector(`xpath/.//tr[td[1][text()="${proposalId}"]]//button[contains(., "Execute")]`, { timeout: 150_000 });
  const { proposal: passed } = await rest(`/mesh/dao/v1/proposals/${proposalId}`);
  assert.equal(passed.status, "PROPOSAL_STATUS_PASSED");
  const before = BigInt((await rest(`/cosmos/bank/v1beta1/balances/${bob}/by_denom?denom=umesh`)).balance.amount);
  await button.click();
  await txOk(page, `Proposal #${proposalId} executed.`);
  const { proposal } = await rest(`/mesh/dao/v1/proposals/${proposalId}`);
  assert.equal(proposal.status, "PROPOSAL_STATUS_EXECUTED", proposal.result);
  const after = BigInt((await rest(`/cosmos/bank/v1beta1/balances/${bob}/by_denom?denom=umesh`)).balance.amount);
  assert.equal(after - before, 1_000_000n + BigInt(passed.deposit[0].amount), "the treasury sent bob 1 MESH, and his deposit came back");
  await page.waitForFunction((id) => [...document.querySelectorAll("[data-testid=proposal-status]")].some((e) => e.textContent === "executed" && e.closest("tr").children[0].textContent === id), { timeout: 15_000 }, proposalId);
  await page.screenshot({ path: `${ARTIFACTS}/dao-executed.png`, fullPage: true });
}));
