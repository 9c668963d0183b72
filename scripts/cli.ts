import { InvalidInputError } from "../stacks/problems";

/** A mistake on the command line: printed as its message, with no stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Runs a command-line entry point: a user mistake (bad config or spec, bad arguments) prints
 * its message and exits 1 without a stack trace; anything else is a bug and shows its trace.
 */
export function runCli(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
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
