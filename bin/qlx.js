#!/usr/bin/env node
// The qlx command. Sources are TypeScript run through tsx's loader, so a fresh
// `npm ci` is enough to use the CLI: there is no build step to forget.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
