#!/usr/bin/env node
// Real-editor test of the VS Code extension: installs code-server 4.100.3 (the last release
// on Node 20) into a cache directory outside the project, installs the freshly packaged
// qlx.vsix, opens a recipe with a planted error in headless Debian Chromium (playwright-core)
// and asserts, from the page, that the file is highlighted, that the Problems panel shows the
// planted QLX5009, that hovering `aepo` shows its doc, and that completion after `std = `
// offers `task_batch`. Screenshots of each step go to --out (default tmp/editor-e2e).
//   node scripts/editor-e2e.mjs [--out DIR] [--cache DIR] [--keep]
// Recipe for the install (apt packages, ripgrep cache, npm flags): docs of the editor notes.
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CODE_SERVER_VERSION = "4.100.3";
const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: join(ROOT, "tmp/editor-e2e") },
    cache: {
      type: "string",
      default: join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "qlx-editor-e2e"),
    },
    keep: { type: "boolean", default: false },
  },
});

const log = (msg) => process.stdout.write(`[editor-e2e ${process.uptime().toFixed(1)}s] ${msg}\n`);
const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { stdio: "inherit", ...opts });

/** code-server in the cache directory, installed once (see the header for the recipe). */
function installCodeServer() {
  const dir = join(args.cache, `code-server-${CODE_SERVER_VERSION}`);
  const bin = join(dir, "node_modules/.bin/code-server");
  if (existsSync(bin)) return bin;
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir}`);
  const missing = ["build-essential", "python3", "pkg-config", "libkrb5-dev", "ripgrep"].filter(
    (p) => spawnStatus("dpkg", ["-s", p]) !== 0,
  );
  if (missing.length > 0) {
    if (process.getuid?.() !== 0)
      throw new Error(`editor-e2e: install these apt packages first: ${missing.join(" ")}`);
    run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  // @vscode/ripgrep looks for this archive before downloading: hand it Debian's rg.
  const tmp = process.env.TMPDIR ?? tmpdir();
  const rgCache = join(tmp, "vscode-ripgrep-cache-1.15.11");
  const archive = join(rgCache, "ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz");
  if (!existsSync(archive)) {
    // The archive holds `rg` at its top level; the postinstall unpacks it into its bin/.
    const stage = mkdtempSync(join(tmp, "rg-"));
    cpSync("/usr/bin/rg", join(stage, "rg"));
    mkdirSync(rgCache, { recursive: true });
    run("tar", ["-czf", archive, "-C", stage, "rg"]);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "private": true }\n');
  run(
    "npm",
    [
      "install",
      "--prefix",
      dir,
      "--unsafe-perm",
      "--no-audit",
      "--no-fund",
      `code-server@${CODE_SERVER_VERSION}`,
    ],
    {
      env: { ...process.env, npm_config_yes: "true" },
    },
  );
  return bin;
}

function spawnStatus(cmd, argv) {
  try {
    execFileSync(cmd, argv, { stdio: "ignore" });
    return 0;
  } catch (e) {
    return e.status ?? 1;
  }
}

function packageExtension() {
  const ext = join(ROOT, "editors/vscode");
  if (!existsSync(join(ext, "node_modules/.bin/vsce")))
    run("npm", ["ci", "--prefix", ext, "--no-audit", "--no-fund"]);
  run("npm", ["--prefix", ext, "run", "package"]);
  return join(ext, "qlx.vsix");
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`editor-e2e: code-server did not answer at ${url}`);
}

/** A workspace with the paper's recipe, its AEPO bounds swapped so that QLX5009 fires. */
function workspace(base) {
  const dir = join(base, "workspace");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "qlx.project"), "");
  const recipe = readFileSync(join(ROOT, "examples/qwenlong-l1.5/recipe.qlx"), "utf8");
  const planted = recipe.replace("aepo(low = 0.3, high = 0.5)", "aepo(low = 0.5, high = 0.3)");
  if (planted === recipe)
    throw new Error("editor-e2e: the example recipe no longer has aepo(low = 0.3, high = 0.5)");
  writeFileSync(join(dir, "recipe.qlx"), planted);
  mkdirSync(join(base, "user/User"), { recursive: true });
  writeFileSync(
    join(base, "user/User/settings.json"),
    JSON.stringify({
      "workbench.startupEditor": "none",
      "security.workspace.trust.enabled": false,
      "workbench.colorTheme": "Default Dark Modern",
      "editor.semanticHighlighting.enabled": true,
    }),
  );
  return { dir, recipe: planted };
}

async function main() {
  mkdirSync(args.out, { recursive: true });
  const codeServer = installCodeServer();
  const vsix = packageExtension();
  const base = mkdtempSync(join(tmpdir(), "qlx-e2e-"));
  const { dir, recipe } = workspace(base);
  const common = [
    "--user-data-dir",
    join(base, "user"),
    "--extensions-dir",
    join(base, "extensions"),
  ];
  run(codeServer, [...common, "--install-extension", vsix]);
  const port = await freePort();
  const server = spawn(
    codeServer,
    [
      ...common,
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      dir,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH}` },
    },
  );
  const serverLog = [];
  server.stdout.on("data", (d) => serverLog.push(String(d)));
  server.stderr.on("data", (d) => serverLog.push(String(d)));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  const results = [];
  const check = (name, ok, detail = "") => {
    results.push({ name, ok, detail });
    log(`${ok ? "PASS" : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dir)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500);
    // Open the recipe from the Explorer (the workbench opens with it showing the folder).
    const entry = page.locator(".explorer-folders-view .monaco-list-row", {
      hasText: "recipe.qlx",
    });
    await entry.first().waitFor({ timeout: 30_000 });
    await entry.first().dblclick();
    const editor = page.locator(".monaco-editor .view-lines");
    await editor.waitFor({ timeout: 30_000 });
    await page
      .locator(".view-line", { hasText: "experiment qwenlong_l15" })
      .waitFor({ timeout: 30_000 });
    await page.waitForTimeout(2000);

    // 1. Highlighting: the grammar gives the lines several token colours.
    const colours = await page.$$eval(".view-lines .view-line span span", (spans) => [
      ...new Set(spans.map((s) => s.ownerDocument.defaultView.getComputedStyle(s).color)),
    ]);
    const classes = await page.$$eval(".view-lines .view-line span span", (spans) => [
      ...new Set(spans.map((s) => s.className)),
    ]);
    check(
      "highlighting",
      colours.length >= 4,
      `${colours.length} colours, token classes ${classes.join(" ")}`,
    );
    await page.screenshot({ path: join(args.out, "1-highlighting.png") });

    // 2. Problems panel shows the planted QLX5009 (the server needs a moment to start).
    await page.keyboard.press("Control+Shift+M");
    const problem = page.locator(".markers-panel .monaco-list-row", { hasText: "QLX5009" });
    await problem
      .first()
      .waitFor({ timeout: 45_000 })
      .catch(() => undefined);
    const problemText = (await problem.count()) > 0 ? await problem.first().innerText() : "";
    check(
      "problems panel shows QLX5009",
      problemText.includes("aepo needs low < high"),
      problemText.replace(/\s+/g, " "),
    );
    await page.screenshot({ path: join(args.out, "2-problems.png") });

    // 3. Hover over `aepo` shows its doc from the built-ins table.
    const goToLine = async (line) => {
      await page.locator(".monaco-editor .view-lines").first().click();
      await page.keyboard.press("Control+G");
      await page.keyboard.type(String(line));
      await page.keyboard.press("Enter");
      await page.waitForTimeout(300);
    };
    await goToLine(recipe.split("\n").findIndex((l) => l.includes("aepo(")) + 1);
    const aepo = page.locator(".view-line span span", { hasText: /^aepo$/ }).first();
    await aepo.hover();
    const hover = page.locator(".monaco-hover", { hasText: "Adaptive Entropy" });
    await hover
      .first()
      .waitFor({ timeout: 20_000 })
      .catch(() => undefined);
    const hoverText = (await hover.count()) > 0 ? await hover.first().innerText() : "";
    check(
      "hover on aepo shows its doc",
      hoverText.includes("Adaptive Entropy-controlled Policy Optimization") &&
        hoverText.includes("Eq. 11"),
      hoverText.split("\n").slice(0, 3).join(" | "),
    );
    await page.screenshot({ path: join(args.out, "3-hover.png") });
    await page.mouse.move(5, 5);
    await page.keyboard.press("Escape");

    // 4. Completion after `std = ` offers task_batch: a new line after `batch = 128`.
    const batchLine = recipe.split("\n").findIndex((l) => l.trim() === "batch = 128") + 1;
    await goToLine(batchLine);
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("advantage = grpo(std = ", { delay: 20 });
    await page.waitForTimeout(500);
    await page.keyboard.press("Control+Space");
    const suggestion = page.locator(".suggest-widget .monaco-list-row", { hasText: "task_batch" });
    await suggestion
      .first()
      .waitFor({ timeout: 20_000 })
      .catch(() => undefined);
    const offered = await page.$$eval(".suggest-widget .monaco-list-row", (rows) =>
      rows.map((r) => r.getAttribute("aria-label") ?? r.textContent),
    );
    check(
      "completion after `std = ` offers task_batch",
      (await suggestion.count()) > 0,
      offered.join(", "),
    );
    await page.screenshot({ path: join(args.out, "4-completion.png") });
  } catch (e) {
    check("editor session", false, e.message.split("\n")[0]);
    await browser
      .contexts()[0]
      ?.pages()[0]
      ?.screenshot({ path: join(args.out, "failure.png") })
      .catch(() => undefined);
  } finally {
    await browser.close();
    server.kill();
    writeFileSync(join(args.out, "code-server.log"), serverLog.join(""));
    if (!args.keep) rmSync(base, { recursive: true, force: true });
  }
  writeFileSync(join(args.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const failed = results.filter((r) => !r.ok);
  log(
    failed.length === 0
      ? `all ${results.length} checks passed; screenshots in ${args.out}`
      : `${failed.length} of ${results.length} checks failed`,
  );
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
