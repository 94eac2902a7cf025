import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import { existsSync, readdirSync } from "node:fs";

// Every package installed both here and in ../clients/ts/node_modules resolves
// from here only, so CosmJS and its dependencies are bundled once.
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const names = (dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith(".")).flatMap((n) => (n.startsWith("@") ? readdirSync(`${dir}/${n}`).map((m) => `${n}/${m}`) : [n])) : []);
const mine = new Set(names(here("./node_modules")));
const shared = names(here("../clients/ts/node_modules")).filter((n) => mine.has(n));

// The dashboard imports the TypeScript client from ../clients/ts/src (compiled
// by Vite); its npm dependencies resolve from this folder's node_modules.
export default defineConfig({
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  resolve: {
    alias: {
      "@llmesh/mesh-client/light": fileURLToPath(new URL("../clients/ts/src/light.ts", import.meta.url)),
      "@llmesh/mesh-client": fileURLToPath(new URL("../clients/ts/src/index.ts", import.meta.url)),
    },
    // The client's own imports resolve from here even when ../clients/ts has no node_modules
    // (make localnet builds the dashboard alone).
    dedupe: [...new Set(["@cosmjs/proto-signing", "@cosmjs/stargate", "@cosmjs/tendermint-rpc", "@bufbuild/protobuf", "preact", ...shared])],
  },
  server: { fs: { allow: [".."] } },
  build: { outDir: "dist", chunkSizeWarningLimit: 2000 },
});
