// Runs against a real localnet: MESH_RPC, MESH_REST and MESH_MNEMONIC (e.g.
// alice's from .localnet/alice.key.json); skipped when they are not set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { meshTypes, connect, requestInference, waitForJob, decodeResult, query, formatCoin, MeshTxError } from "../dist/index.js";

test("registry has every meshd Msg", () => {
  assert.ok(meshTypes.length >= 40, `only ${meshTypes.length} types`);
  for (const [url] of meshTypes) assert.match(url, /^\/mesh\.[a-z]+\.v1\.Msg[A-Za-z]+$/);
  assert.ok(meshTypes.some(([u]) => u === "/mesh.inference.v1.MsgRequestInference"));
});

test("formatCoin", () => {
  assert.equal(formatCoin({ denom: "umesh", amount: "1500000" }), "1.5 MESH");
});

const { MESH_RPC, MESH_REST, MESH_MNEMONIC } = process.env;
const skip = !(MESH_RPC && MESH_REST && MESH_MNEMONIC) && "no localnet: set MESH_RPC, MESH_REST and MESH_MNEMONIC (make localnet; see clients/ts/README.md)";

test("requests an inference on the localnet and waits for it to settle", { skip, timeout: 180_000 }, async () => {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MESH_MNEMONIC, { prefix: "mesh" });
  const [{ address }] = await wallet.getAccounts();
  const client = await connect(MESH_RPC, wallet);
  const { models } = await query.models(MESH_REST);
  assert.ok(models.length > 0);
  const { jobId } = await requestInference(client, address, { modelId: "mesh-embedded-v1", input: "hello mesh", maxFee: { denom: "umesh", amount: "1000000" }, redundancy: 3 }, MESH_REST);
  const job = await waitForJob(MESH_REST, jobId, { timeoutMs: 150_000 });
  assert.equal(job.status, "JOB_STATUS_FINALIZED", JSON.stringify(job));
  assert.ok(decodeResult(job.result).length > 0);
});

test("a refused request names the chain's error", { skip, timeout: 60_000 }, async () => {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MESH_MNEMONIC, { prefix: "mesh" });
  const [{ address }] = await wallet.getAccounts();
  const client = await connect(MESH_RPC, wallet);
  await assert.rejects(
    requestInference(client, address, { modelId: "no-such-model", input: "x", maxFee: { denom: "umesh", amount: "1000" } }, MESH_REST),
    (e) => e instanceof MeshTxError && /model/i.test(e.message) && !/\{/.test(e.message),
  );
});
