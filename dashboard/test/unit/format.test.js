// Amount and quadratic-power formatting (clients/ts/src/format.ts, built to dist/ by `npm test`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatUnits, formatCoin, formatCoins, parseUnits, formatPower, powerShare, isqrt, denomInfo } from "../../../clients/ts/dist/format.js";

test("6-decimal MESH", () => {
  assert.equal(formatCoin({ denom: "umesh", amount: "1" }), "0.000001 MESH");
  assert.equal(formatCoin({ denom: "umesh", amount: "1000000" }), "1 MESH");
  assert.equal(formatCoin({ denom: "umesh", amount: "1234567890123" }), "1,234,567.890123 MESH");
  assert.equal(formatCoin({ denom: "umesh", amount: "0" }), "0 MESH");
  assert.equal(formatCoins([]), "0 MESH");
});

test("18-decimal INJ vouchers", () => {
  const traces = { "ibc/ABCDEF0123": "transfer/channel-0/inj" };
  assert.deepEqual(denomInfo("ibc/ABCDEF0123", traces), { symbol: "INJ", decimals: 18 });
  assert.equal(formatCoin({ denom: "ibc/ABCDEF0123", amount: "1500000000000000000" }, traces), "1.5 INJ");
  assert.equal(formatCoin({ denom: "inj", amount: "1" }), "0 INJ"); // below the 6 shown digits
  assert.equal(formatCoin({ denom: "inj", amount: "123456789000000000000" }), "123.456789 INJ");
  assert.equal(formatCoins([{ denom: "umesh", amount: "2500000" }, { denom: "inj", amount: "10000000000000000" }]), "2.5 MESH + 0.01 INJ");
});

test("never raw base units", () => {
  for (const a of ["1", "999999", "1000001", "42000000000"]) assert.doesNotMatch(formatCoin({ denom: "umesh", amount: a }), /umesh/);
  assert.throws(() => formatUnits("1.5", 6));
});

test("parseUnits round-trips", () => {
  assert.equal(parseUnits("1.5", 6), "1500000");
  assert.equal(parseUnits("0.000001", 6), "1");
  assert.equal(parseUnits("1,000", 6), "1000000000");
  assert.throws(() => parseUnits("0.0000001", 6));
  assert.throws(() => parseUnits("abc", 6));
});

test("quadratic power", () => {
  assert.equal(isqrt(0n), 0n);
  assert.equal(isqrt(1_000_000n), 1000n);
  assert.equal(isqrt(999_999n), 999n);
  assert.equal(isqrt(10n ** 36n), 10n ** 18n);
  assert.equal(formatPower("999"), "999");
  assert.equal(formatPower("31622"), "31,622");
  assert.equal(formatPower("2500000"), "2.5M");
  assert.equal(formatPower("7000000000"), "7G");
  assert.equal(powerShare("1", "3"), "33.3 %");
  assert.equal(powerShare("0", "0"), "0.0 %");
});

test("a chain error's amounts are written in MESH, not base units", async () => {
  const { explainError } = await import("../../../clients/ts/dist/rest.js");
  assert.equal(explainError("failed to execute message; message index: 0: spendable balance 999999996504umesh is smaller than 999999999000000umesh: insufficient funds [cosmos/cosmos-sdk/x/bank/keeper/send.go:278] with gas used: '70000': unknown request"),
    "Spendable balance 999,999.996504 MESH is smaller than 999,999,999 MESH: insufficient funds");
  assert.equal(explainError({ codespace: "sdk", code: 5, rawLog: "spendable balance 10umesh is smaller than 2000000umesh: insufficient funds" }),
    "Insufficient funds: spendable balance 0.00001 MESH is smaller than 2 MESH");
});
