import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

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
    dedupe: ["@cosmjs/proto-signing", "@cosmjs/stargate", "@bufbuild/protobuf", "preact"],
  },
  server: { fs: { allow: [".."] } },
  build: { outDir: "dist", chunkSizeWarningLimit: 2000 },
});
