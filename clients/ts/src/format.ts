// Amount and voting-power formatting shared by the dashboard.

/** Decimals of the denoms meshd shows: umesh is 6-decimal MESH; IBC INJ vouchers are 18-decimal. */
export function denomInfo(denom: string, traces: Record<string, string> = {}): { symbol: string; decimals: number } {
  if (denom === "umesh") return { symbol: "MESH", decimals: 6 };
  const base = traces[denom] ?? denom;
  if (base === "inj" || base.endsWith("/inj")) return { symbol: "INJ", decimals: 18 };
  if (denom.startsWith("ibc/")) return { symbol: "IBC-" + denom.slice(4, 10), decimals: 0 };
  if (denom.startsWith("u") && denom.length > 1) return { symbol: denom.slice(1).toUpperCase(), decimals: 6 };
  return { symbol: denom.toUpperCase(), decimals: 0 };
}

/** formatUnits writes an integer base amount (string or bigint) with `decimals`, trims trailing zeros, groups thousands and keeps at most maxFrac fraction digits (rounded down). */
export function formatUnits(amount: string | bigint | number, decimals: number, maxFrac = 6): string {
  let s = typeof amount === "bigint" ? amount.toString() : String(amount).trim();
  if (!/^-?\d+$/.test(s)) throw new Error(`not an integer amount: ${s}`);
  const neg = s.startsWith("-");
  if (neg) s = s.slice(1);
  s = s.replace(/^0+(?=\d)/, "");
  const pad = s.padStart(decimals + 1, "0");
  const int = pad.slice(0, pad.length - decimals) || "0";
  let frac = decimals ? pad.slice(pad.length - decimals) : "";
  frac = frac.slice(0, maxFrac).replace(/0+$/, "");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const out = frac ? `${grouped}.${frac}` : grouped;
  return neg && out !== "0" ? `-${out}` : out;
}

/** formatCoin writes a Coin as e.g. "1,000.5 MESH" or "0.25 INJ". */
export function formatCoin(c: { denom: string; amount: string } | undefined | null, traces?: Record<string, string>): string {
  if (!c || !c.denom) return "0 MESH";
  const { symbol, decimals } = denomInfo(c.denom, traces);
  return `${formatUnits(c.amount || "0", decimals, decimals === 18 ? 6 : decimals)} ${symbol}`;
}

/** formatCoins writes a list of coins, "0 MESH" when empty. */
export function formatCoins(cs: { denom: string; amount: string }[] | undefined | null, traces?: Record<string, string>): string {
  const list = (cs ?? []).filter((c) => c.amount !== "0");
  return list.length ? list.map((c) => formatCoin(c, traces)).join(" + ") : "0 MESH";
}

/** parseUnits turns a decimal string ("1.5") into base units with `decimals` ("1500000"). */
export function parseUnits(s: string, decimals: number): string {
  const t = s.trim().replace(/,/g, "");
  if (!/^\d*(\.\d*)?$/.test(t) || t === "" || t === ".") throw new Error(`not an amount: ${s}`);
  const [i, f = ""] = t.split(".");
  if (f.length > decimals) throw new Error(`at most ${decimals} decimals`);
  return (BigInt(i || "0") * 10n ** BigInt(decimals) + BigInt((f.padEnd(decimals, "0")) || "0")).toString();
}

/** isqrt is the integer square root of a non-negative bigint. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new Error("negative");
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** formatPower writes quadratic voting power (x/dao's power, an integer) with thousands grouping and a compact suffix for large values. */
export function formatPower(power: string | bigint | number): string {
  const p = BigInt(typeof power === "number" ? Math.floor(power) : power || "0");
  if (p >= 10n ** 9n) return `${formatUnits(p, 9, 2)}G`;
  if (p >= 10n ** 6n) return `${formatUnits(p, 6, 2)}M`;
  return formatUnits(p, 0);
}

/** powerShare writes part/total as a percentage with one decimal ("0.0 %" when total is 0). */
export function powerShare(part: string | bigint, total: string | bigint): string {
  const t = BigInt(total || "0");
  if (t === 0n) return "0.0 %";
  const per = (BigInt(part || "0") * 1000n) / t;
  return `${per / 10n}.${per % 10n} %`;
}
