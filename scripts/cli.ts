import { InvalidInputError } from "../stacks/problems";

/** A mistake on the command line: printed as its message, with no stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Runs a command-line entry point: a user mistake (bad config or spec, bad arguments) prints
 * its message and exits 1 without a stack trace; anything else is a bug and shows its trace.
 * `exitCodeOf` names failures that were reported already (the engine's own output) and the code
 * to exit with.
 */
export function runCli(
  main: () => Promise<void>,
  exitCodeOf: (error: unknown) => number | undefined = () => undefined,
): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const code = exitCodeOf(error);
      if (code !== undefined) process.exit(code);
      if (error instanceof InvalidInputError || isUserError(error)) {
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
