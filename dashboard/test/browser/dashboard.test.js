// Headless Chromium (puppeteer-core + /usr/bin/chromium) against a real
// localnet: DASHBOARD_URL, MESH_CHAIN_ID and MESH_MNEMONIC come from run.sh,
// which starts the localnet on its own ports and home. Screenshots go to
// ARTIFACTS (build/artifacts/dashboard).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";

const { DASHBOARD_URL, MESH_CHAIN_ID, MESH_MNEMONIC, CHROMIUM = "/usr/bin/chromium" } = process.env;
const ARTIFACTS = process.env.ARTIFACTS || "../build/artifacts/dashboard";
const skip = !DASHBOARD_URL && "DASHBOARD_URL not set: run `make test-browser` (it starts a localnet)";
let browser, puppeteer;
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

test("a refused request shows the chain's error in words", { skip, timeout: 90_000 }, async () => {
  const page = await browser.newPage();
  await open(page, "inference");
  await connectDevKey(page);
  await page.select("select[name=model]", "no-such-model");
  await page.click("[data-testid=request-form] button[type=submit]");
  await page.waitForSelector("[data-testid=request-form] ~ .error, .card .error", { timeout: 60_000 });
  const msg = await page.$eval(".card .error", (e) => e.textContent);
  console.log("refused tx:", msg);
  assert.match(msg, /model/i);
  assert.doesNotMatch(msg, /[{}]|rpc error|message index/);
  await page.screenshot({ path: `${ARTIFACTS}/inference-refused.png`, fullPage: true });
  await page.close();
});

test("a request sent from the browser settles and shows its result", { skip, timeout: 150_000 }, async () => {
  const page = await browser.newPage();
  await open(page, "inference");
  await connectDevKey(page);
  const t0 = Date.now();
  await page.click("[data-testid=request-form] button[type=submit]");
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
  await page.close();
});
