// Flag parsing shared by the commands: node's parseArgs in strict mode, with a parse error
// turned into the usage message and exit code 2.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { usageError } from "./diagnostics-output.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The parsed flags and positionals, or the exit code after printing a usage error. */
export function parseCommandArgs<const O extends Options>(
  argv: string[],
  options: O,
  help: string,
) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (e) {
    return usageError((e as Error).message, help);
  }
}
