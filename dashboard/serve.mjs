// Tiny static server for dashboard/dist (no dependencies): node serve.mjs
// [--port 8080] [--rpc URL] [--rest URL]. Serves ./config.json with the node's
// endpoints so the page knows where the localnet is. Loopback only.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith("--") ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const port = Number(args.port || process.env.PORT || 8080);
const root = fileURLToPath(new URL("./dist/", import.meta.url));
const config = JSON.stringify({ rpc: args.rpc || "http://127.0.0.1:26657", rest: args.rest || "http://127.0.0.1:1317", blockMs: Number(args["block-ms"] || 1000) });
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png" };

createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path === "/config.json") { res.writeHead(200, { "content-type": types[".json"], "cache-control": "no-store" }); return res.end(config); }
  const file = normalize(join(root, path === "/" ? "index.html" : path));
  if (!file.startsWith(root)) { res.writeHead(403); return res.end(); }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream", "cache-control": path.startsWith("/assets/") ? "max-age=31536000, immutable" : "no-cache" });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }); res.end("not found");
  }
}).listen(port, "127.0.0.1", () => console.log(`dashboard on http://127.0.0.1:${port}`));
