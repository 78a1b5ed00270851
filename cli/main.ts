// The `qlx` command: a table of subcommands, each a module exporting `help` and
// `run(argv): Promise<number>` (the exit code). Adding a command is one line in COMMANDS.
export interface Command {
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  check: {
    summary: "check .qlx files and print diagnostics",
    load: () => import("./commands/check.ts"),
  },
  fmt: {
    summary: "format .qlx files in place (or --check)",
    load: () => import("./commands/fmt.ts"),
  },
  compile: {
    summary: "compile an experiment or ablation to IR or TypeScript",
    load: () => import("./commands/compile.ts"),
  },
  data: { summary: "write and validate task datasets", load: () => import("./commands/data.ts") },
  run: {
    summary: "train and evaluate an experiment with the built-in runtime",
    load: () => import("./commands/run.ts"),
  },
  ablate: {
    summary: "run every row × seed of an ablation and write its table",
    load: () => import("./commands/ablate.ts"),
  },
  report: {
    summary: "write an HTML report of runs and ablations",
    load: () => import("./commands/report.ts"),
  },
  lsp: { summary: "run the language server over stdio", load: () => import("./commands/lsp.ts") },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return `qlx — declarative RL experiments for long-context language models

Usage: qlx COMMAND [ARGS…]    (qlx COMMAND --help for details)

Commands:
${lines.join("\n")}

Exit codes: 0 success, 1 errors in the input, 2 usage errors.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    process.stderr.write(`qlx: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return 0;
  }
  return command.run(rest);
}
