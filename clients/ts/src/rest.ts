// REST queries, job states and error wording: no CosmJS, so pages that only read load fast.
import { registeredErrors } from "./errors.gen.js";
import { formatCoin } from "./format.js";

// Amounts in a chain error ("1000umesh", "5ibc/27…") are written as MESH/INJ, never base units.
const coinInText = /\b(\d+)(umesh|ibc\/[0-9A-Fa-f]{64}|inj)\b/g;
const coinsInWords = (text: string) => text.replace(coinInText, (_, amount, denom) => formatCoin({ denom, amount }));

/** explainError turns a chain error (codespace/code, a raw log or a simulation failure) into plain words. */
export function explainError(e: { codespace?: string; code?: number; rawLog?: string; message?: string } | string): string {
  const o = typeof e === "string" ? { message: e } : e;
  const reg = o.codespace && o.code ? registeredErrors[`${o.codespace}/${o.code}`] : undefined;
  let text = o.rawLog || o.message || "";
  const m = text.match(/message index: \d+: (.*)/s);
  if (m) text = m[1];
  text = text.replace(/\s*\[[^\]]*\]/g, "").replace(/\s*[Ww]ith gas (used|wanted).*$/s, "").replace(/: unknown request$/, "").trim();
  text = text.replace(/^.*rpc error: code = \w+ desc = /s, "");
  text = coinsInWords(text);
  if (reg) {
    const head = cap(reg);
    if (text.toLowerCase().endsWith(": " + reg.toLowerCase())) text = text.slice(0, -(reg.length + 2));
    return text && !text.toLowerCase().startsWith(reg.toLowerCase()) && text !== reg ? `${head}: ${text}` : head;
  }
  return text ? cap(text) : "The chain refused the transaction.";
}
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Job states as the REST API spells them. */
export const ENDED_STATUSES = ["JOB_STATUS_FINALIZED", "JOB_STATUS_FAILED", "JOB_STATUS_EXPIRED"];

/** decodeResult reads a job's base64 result as text. */
export function decodeResult(b64: string | undefined): string {
  if (!b64) return "";
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** restGet fetches a REST (grpc-gateway) path and throws the node's message on errors. */
export async function restGet<T = any>(rest: string, path: string, timeoutMs = 10_000): Promise<T> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch(rest.replace(/\/$/, "") + path, { signal: ctl.signal });
    const body: any = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body?.message ? explainError(body.message) : `${path}: HTTP ${res.status}`);
    return body as T;
  } catch (e: any) {
    if (e?.name === "AbortError") throw new Error(`${path}: no answer after ${timeoutMs / 1000} s`);
    throw e;
  } finally {
    clearTimeout(t);
  }
}

/** query holds typed-by-path helpers for meshd's REST routes (see docs/openapi/mesh.openapi.json). */
export const query = {
  models: (rest: string) => restGet(rest, "/mesh/inference/v1/models"),
  job: (rest: string, id: string) => restGet(rest, `/mesh/inference/v1/jobs/${id}`),
  jobs: (rest: string, qs = "") => restGet(rest, `/mesh/inference/v1/jobs${qs}`),
  inferenceParams: (rest: string) => restGet(rest, "/mesh/inference/v1/params"),
  workers: (rest: string) => restGet(rest, "/mesh/compute/v1/workers"),
  epoch: (rest: string) => restGet(rest, "/mesh/compute/v1/epoch"),
  computeParams: (rest: string) => restGet(rest, "/mesh/compute/v1/params"),
  pools: (rest: string) => restGet(rest, "/mesh/pool/v1/pools"),
  poolDelegations: (rest: string, provider: string, qs = "") => restGet(rest, `/mesh/pool/v1/pools/${provider}/delegations${qs}`),
  proposals: (rest: string) => restGet(rest, "/mesh/dao/v1/proposals"),
  proposal: (rest: string, id: string) => restGet(rest, `/mesh/dao/v1/proposals/${id}`),
  daoParams: (rest: string) => restGet(rest, "/mesh/dao/v1/params"),
  power: (rest: string, account: string) => restGet(rest, `/mesh/dao/v1/power/${account}`),
  lock: (rest: string, owner: string) => restGet(rest, `/mesh/dao/v1/locks/${owner}`),
  treasury: (rest: string) => restGet(rest, "/mesh/dao/v1/treasury"),
  pending: (rest: string, account: string) => restGet(rest, `/mesh/rewards/v1/pending/${account}`),
  rewardEpochs: (rest: string) => restGet(rest, "/mesh/rewards/v1/epochs?pagination.reverse=true&pagination.limit=10"),
  datasets: (rest: string) => restGet(rest, "/mesh/training/v1/datasets"),
  tasks: (rest: string) => restGet(rest, "/mesh/training/v1/tasks"),
  items: (rest: string, datasetId: string, qs = "") => restGet(rest, `/mesh/training/v1/datasets/${datasetId}/items${qs}`),
  annotations: (rest: string, itemId: string) => restGet(rest, `/mesh/training/v1/items/${itemId}/annotations`),
  annotator: (rest: string, addr: string) => restGet(rest, `/mesh/training/v1/annotators/${addr}`),
  trainingParams: (rest: string) => restGet(rest, "/mesh/training/v1/params"),
  task: (rest: string, id: string) => restGet(rest, `/mesh/training/v1/tasks/${id}`),
  round: (rest: string, taskId: string, n: number) => restGet(rest, `/mesh/training/v1/tasks/${taskId}/rounds/${n}`),
  delegation: (rest: string, account: string) => restGet(rest, `/mesh/dao/v1/delegations/${account}`),
  balances: (rest: string, addr: string) => restGet(rest, `/cosmos/bank/v1beta1/balances/${addr}`),
  supply: (rest: string) => restGet(rest, "/cosmos/bank/v1beta1/supply"),
  validators: (rest: string) => restGet(rest, "/cosmos/staking/v1beta1/validators"),
  latestBlock: (rest: string) => restGet(rest, "/cosmos/base/tendermint/v1beta1/blocks/latest"),
};

/** waitForJob polls GET /mesh/inference/v1/jobs/{id} (every intervalMs, default 1 s = one localnet block) until it ends. */
export async function waitForJob(rest: string, jobId: string, opts: { timeoutMs?: number; intervalMs?: number; onStatus?: (status: string, job: any) => void } = {}): Promise<any> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let last = "";
  for (;;) {
    const { job } = await restGet<any>(rest, `/mesh/inference/v1/jobs/${jobId}`);
    if (job.status !== last) { last = job.status; opts.onStatus?.(job.status, job); }
    if (ENDED_STATUSES.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}
