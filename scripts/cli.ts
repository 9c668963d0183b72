import { ParseArgsConfig, parseArgs } from "util";
import { InvalidInputError, formatProblems } from "../stacks/problems";

/** A mistake on the command line: printed as its message, with no stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

interface CliOptions {
  /**
   * What a refusal of bad input means for this command, said after the count of problems:
   * `render` writes nothing, `spec:check` only checks ("" says nothing more). Pulumi's own
   * wording is "nothing was deployed", which only a deploying command may say.
   */
  readonly consequence?: string;
  /** Failures that were reported already (the engine's own output), and the code to exit with. */
  readonly exitCodeOf?: (error: unknown) => number | undefined;
}

/**
 * Runs a command-line entry point: a user mistake (bad config or spec, bad arguments) prints
 * its message and exits 1 without a stack trace; anything else is a bug and shows its trace.
 */
export function runCli(main: () => Promise<void>, options: CliOptions = {}): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const code = options.exitCodeOf?.(error);
      if (code !== undefined) process.exit(code);
      if (error instanceof InvalidInputError) {
        console.error(formatProblems(error.title, error.problems, options.consequence ?? ""));
      } else if (isUserError(error)) {
        console.error((error as Error).message);
      } else {
        console.error(error);
      }
      process.exit(1);
    },
  );
}

function isUserError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // parseArgs' own errors and our usage errors.
  const code = (error as { code?: string }).code ?? "";
  return code.startsWith("ERR_PARSE_ARGS") || error instanceof UsageError;
}

/**
 * Options as `parseArgs` reads them, with one line for each mistake: an unknown option, or an
 * argument where none is taken, which is what `npm run <script> --stack x` (without `--`) gives,
 * since npm keeps `--stack` for itself and passes only `x`.
 */
export function parseOptions<T extends ParseArgsConfig["options"]>(
  script: string,
  usage: string,
  options: T,
) {
  const { values, positionals } = parseArgs({ options, strict: true, allowPositionals: true });
  if (positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(positionals[0])}: options go after "--", as in npm run ${script} -- --stack staging; ${usage}`,
    );
  }
  return values;
}
