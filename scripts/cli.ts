import { InvalidInputError } from "../stacks/problems";

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
  // parseArgs' own errors, our usage errors, and a missing stack file.
  const code = (error as { code?: string }).code ?? "";
  return (
    code.startsWith("ERR_PARSE_ARGS") ||
    error.name === "UsageError" ||
    error.message.startsWith("There is no Pulumi.")
  );
}
