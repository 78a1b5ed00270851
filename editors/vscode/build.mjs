// Bundles the extension client and the language server (language/server/main.ts, the same
// server `qlx lsp` runs) into out/ with esbuild: CommonJS for Node 20, `vscode` left to the host.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: false,
  logLevel: "info",
};

await build({
  ...common,
  entryPoints: [here("client/extension.ts")],
  outfile: here("out/extension.js"),
  external: ["vscode"],
});
await build({
  ...common,
  entryPoints: [here("../../language/server/main.ts")],
  outfile: here("out/server.js"),
});
