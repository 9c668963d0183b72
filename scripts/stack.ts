/**
 * npm run stack -- <preview|up|destroy|refresh|output|drift> --stack <name> [--policy] [--diff]
 *                  [--expect-no-changes] [--refresh] [--json] [--yes]
 *
 * Runs `index.ts` through the real Pulumi engine (the Automation API, scripts/engine.ts) and prints
 * the engine's output as the CLI prints it; exits as the CLI would (its exit code when the engine
 * fails, 1 for a mistake on this command line). The backend and passphrase come from the
 * environment (`PULUMI_BACKEND_URL`, `PULUMI_CONFIG_PASSPHRASE` or `..._FILE`), the stack files from
 * the repository (or `$AGENT_PLATFORM_WORKSPACE`). With the official CLI and its Node.js language
 * host, `pulumi preview`, `pulumi up` ... do the same (README, "Deploying").
 *
 * - preview: what `up` would do. `--policy` runs the policy pack, `--json` prints one JSON
 *   document (steps, change summary, diagnostics, policy violations) instead of the text.
 * - up: a preview first (with the pack when `--policy`), then the update, as `pulumi up` does;
 *   it asks before changing anything, or takes `--yes`.
 * - refresh: reads the cluster into the stack's state; asks, or takes `--yes`.
 * - destroy: the teardown the README gives, which keeps what the stack keeps (kept objects, the
 *   ledger's data): `pulumi state unprotect --all` then `pulumi destroy`. Refused for production.
 * - output: `pulumi stack output` (`--json` for JSON).
 * - drift: `pulumi preview --refresh`, reported by object and field (scripts/drift.ts); exits 2
 *   when anything differs. `--json` prints the report of `schema/drift.schema.json`.
 */
// First: @pulumi/pulumi loads faster with it (scripts/lazy-modules.js).
import "./lazy-modules";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { parseArgs } from "util";
import { Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../stacks/config";
import { UsageError, runCli } from "./cli";
import {
  EventLog,
  POLICY_PACK,
  StackTarget,
  commandFailure,
  openStack,
  pulumiCli,
  workDirOf,
} from "./engine";
import { objectKey } from "./render-lib";
import { checkStackName } from "./stack-file";
import { DriftFound, drift } from "./drift";
import { checkCluster } from "./kube";

const COMMANDS = ["preview", "up", "destroy", "refresh", "output", "drift"] as const;
type Command = (typeof COMMANDS)[number];

const USAGE =
  "usage: npm run stack -- <preview|up|destroy|refresh|output|drift> --stack <name> [--policy] [--diff] " +
  "[--expect-no-changes] [--refresh] [--json] [--yes]";

/** Which options each command takes; any other is a usage error. */
const ALLOWED: Record<Command, readonly string[]> = {
  preview: ["policy", "diff", "expect-no-changes", "refresh", "json"],
  up: ["policy", "diff", "expect-no-changes", "refresh", "yes"],
  refresh: ["expect-no-changes", "yes"],
  destroy: ["yes"],
  output: ["json"],
  drift: ["json"],
};

/** Exit code of a command that the engine ran and that failed, set by `run`. */
class EngineFailed extends Error {
  constructor(readonly code: number) {
    super(`the engine exited with ${code}`);
  }
}

interface Flags {
  readonly policy: boolean;
  readonly diff: boolean;
  readonly expectNoChanges: boolean;
  readonly refresh: boolean;
  readonly json: boolean;
  readonly yes: boolean;
}

function parse(argv: string[]): { command: Command; stack: string; flags: Flags } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      policy: { type: "boolean", default: false },
      diff: { type: "boolean", default: false },
      "expect-no-changes": { type: "boolean", default: false },
      refresh: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      yes: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (command === undefined || !(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(
      command === undefined ? USAGE : `Unknown command ${JSON.stringify(command)}; ${USAGE}`,
    );
  }
  if (rest.length > 0)
    throw new UsageError(`Unexpected argument ${JSON.stringify(rest[0])}; ${USAGE}`);
  if (values.stack === undefined) throw new UsageError(`--stack is required; ${USAGE}`);
  const cmd = command as Command;
  for (const [name, value] of Object.entries(values)) {
    if (name !== "stack" && value === true && !ALLOWED[cmd].includes(name)) {
      throw new UsageError(
        `${cmd} does not take --${name}; it takes ${ALLOWED[cmd].map((o) => `--${o}`).join(", ") || "no options"}`,
      );
    }
  }
  return {
    command: cmd,
    stack: values.stack,
    flags: {
      policy: values.policy,
      diff: values.diff,
      expectNoChanges: values["expect-no-changes"],
      refresh: values.refresh,
      json: values.json,
      yes: values.yes,
    },
  };
}

/** The CLI must be there, and a backend chosen: say how in one line, before anything runs. */
async function checkPrerequisites(): Promise<void> {
  try {
    await pulumiCli();
  } catch (error) {
    if (/minimum version/i.test(String((error as Error).message))) {
      throw new UsageError(String((error as Error).message).split("\n")[0]);
    }
    throw new UsageError(
      'The Pulumi CLI is not on PATH: run eval "$(npm run --silent tools -- --env)" (builds it from ' +
        'Go modules, README "Real engine"), or install the official CLI',
    );
  }
  const home = process.env.PULUMI_HOME ?? path.join(process.env.HOME ?? "", ".pulumi");
  const loggedIn = fs.existsSync(path.join(home, "credentials.json"));
  if (!process.env.PULUMI_BACKEND_URL && !process.env.PULUMI_ACCESS_TOKEN && !loggedIn) {
    throw new UsageError(
      "No Pulumi backend: set PULUMI_BACKEND_URL (for example file://$HOME/.pulumi-state) or run pulumi login",
    );
  }
}

function exec(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) =>
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, cwd, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr }),
    ),
  );
}

/** Streams the engine's text as the CLI prints it; `--json` keeps it for the document instead. */
function printer(json: boolean) {
  const color = process.stdout.isTTY && !json ? ("always" as const) : ("never" as const);
  return {
    color,
    onOutput: json ? undefined : (text: string) => process.stdout.write(text),
    onError: (text: string) => process.stderr.write(text),
  };
}

/** Runs one engine command; a failure becomes `EngineFailed` with the CLI's exit code. */
async function run<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const failure = commandFailure(error);
    if (failure === undefined) throw error;
    throw new EngineFailed(failure.code);
  }
}

async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new UsageError("--yes must be passed in to proceed when running in non-interactive mode");
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) =>
    rl.question(`${question} [yes/no] `, resolve),
  );
  rl.close();
  if (answer.trim().toLowerCase() !== "yes")
    throw new UsageError("Not confirmed: nothing was changed");
}

function policyPacks(flags: Flags): string[] | undefined {
  return flags.policy ? [POLICY_PACK] : undefined;
}

async function preview(stack: Stack, flags: Flags): Promise<void> {
  const log = new EventLog();
  const out = printer(flags.json);
  try {
    await run(() =>
      stack.preview({
        ...out,
        diff: flags.diff,
        expectNoChanges: flags.expectNoChanges,
        refresh: flags.refresh,
        policyPacks: policyPacks(flags),
        onEvent: log.onEvent,
      }),
    );
  } finally {
    if (flags.json) printJson(log);
  }
}

/** `--json`: the steps, summary, diagnostics and policy violations of a preview. */
function printJson(log: EventLog): void {
  const document = {
    // The paths that differ: previews report them in the detailed diff (their `diffs` is empty).
    steps: log.started().map((s) => ({
      op: s.op,
      urn: s.urn,
      type: s.type,
      diffs: Object.keys(s.detailedDiff).sort(),
    })),
    changeSummary: log.changeSummary,
    diagnostics: log.diagnostics.filter((d) => d.severity !== "debug"),
    policyViolations: log.policyViolations,
  };
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

async function up(stack: Stack, flags: Flags): Promise<void> {
  // As `pulumi up`: the preview first (stack policies run only once everything is registered, so
  // in an update only after its changes; the preview refuses before any change), then the update.
  await preview(stack, { ...flags, json: false, expectNoChanges: false });
  await confirm("Do you want to perform this update?", flags.yes);
  const out = printer(false);
  await run(() =>
    stack.up({
      ...out,
      diff: flags.diff,
      expectNoChanges: flags.expectNoChanges,
      refresh: flags.refresh,
      policyPacks: policyPacks(flags),
    }),
  );
}

async function refresh(stack: Stack, flags: Flags): Promise<void> {
  const out = printer(false);
  if (!flags.yes) {
    await run(() => stack.previewRefresh({ ...out, expectNoChanges: flags.expectNoChanges }));
    await confirm("Do you want to perform this refresh?", false);
  }
  await run(() => stack.refresh({ ...out, expectNoChanges: flags.expectNoChanges }));
}

/** Whether the stack is the production environment (by name, or by its `environment` key). */
async function isProduction(stack: Stack): Promise<boolean> {
  if (stack.name === "production") return true;
  try {
    return (await stack.getConfig(`${PROJECT}:environment`)).value === "production";
  } catch {
    return false;
  }
}

/**
 * The README's teardown: every object of the stack goes, except what it keeps (kept objects:
 * the ledger's namespace, record, claims and format Jobs; the Agent CRD). A plain
 * `pulumi destroy` is refused by the stack's destroy guard (components/destroy-guard.ts) before
 * its first delete; this lifts every `protect` of the stack first, then destroys.
 */
async function destroy(target: StackTarget, stack: Stack, flags: Flags): Promise<void> {
  if (await isProduction(stack)) {
    throw new UsageError(
      `Refused: stack "${stack.name}" is production, and taking production down is a decision, not a ` +
        'command of this stack (README, "Destroy and teardown"). Nothing was changed.',
    );
  }
  const state = (await stack.exportStack()).deployment as {
    resources?: {
      urn: string;
      type: string;
      retainOnDelete?: boolean;
      outputs?: Record<string, unknown>;
    }[];
  };
  const kept = (state.resources ?? []).filter((r) => r.retainOnDelete === true);
  process.stderr.write(
    `Tearing down stack "${stack.name}": every object it manages is deleted, except these ${kept.length}, which stay in the cluster:\n` +
      kept.map((r) => `  ${keptName(r)}\n`).join(""),
  );
  await confirm(`Delete everything else of stack "${stack.name}"?`, flags.yes);
  const workDir = workDirOf(target);
  await run(async () => {
    try {
      const result = await exec(
        "pulumi",
        ["state", "unprotect", "--all", "--yes", "--non-interactive", "--stack", stack.name],
        { ...target.envVars },
        workDir,
      );
      process.stdout.write(result.stdout);
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      process.stdout.write(e.stdout ?? "");
      process.stderr.write(e.stderr ?? "");
      throw Object.assign(new Error("unprotect failed"), {
        commandResult: { code: typeof e.code === "number" ? e.code : 1, stdout: "", stderr: "" },
      });
    }
  });
  await run(() => stack.destroy({ ...printer(false) }));
}

/** A kept resource as kept.txt names its object (`objectKey`). */
function keptName(resource: { type: string; outputs?: Record<string, unknown> }): string {
  const metadata = (resource.outputs?.metadata ?? {}) as { name?: string; namespace?: string };
  const kind = (resource.outputs?.kind as string | undefined) ?? resource.type;
  return objectKey({ kind, metadata: { ...metadata, name: metadata.name ?? "?" } });
}

async function output(target: StackTarget, flags: Flags): Promise<void> {
  const args = ["stack", "output", "--stack", target.stack, "--non-interactive"];
  if (flags.json) args.push("--json");
  await run(async () => {
    try {
      const result = await exec("pulumi", args, { ...target.envVars }, workDirOf(target));
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      process.stdout.write(e.stdout ?? "");
      process.stderr.write(e.stderr ?? "");
      throw Object.assign(new Error("output failed"), {
        commandResult: { code: typeof e.code === "number" ? e.code : 1, stdout: "", stderr: "" },
      });
    }
  });
}

async function main(argv: string[]): Promise<void> {
  const { command, stack: name, flags } = parse(argv);
  const target: StackTarget = { stack: name };
  checkStackName(name, workDirOf(target));
  // What drift reads, checked before anything of Pulumi runs: one line for a bad cluster.
  if (command === "drift") await checkCluster(name);
  await checkPrerequisites();
  if (command === "output") return output(target, flags);

  // A drift check of a stack that was never deployed has nothing to compare: refused below.
  const create = command === "preview" || command === "up";
  const stack = await openStack(target, { create });
  if (stack === undefined) {
    throw new UsageError(
      `Stack "${name}" has no state in this backend yet: nothing to ${command} (a first "npm run stack -- up --stack ${name}" creates it)`,
    );
  }
  // Ctrl-C reaches the CLI too (the same process group), which stops the engine gracefully; this
  // process stays up for it (the inline program runs here) and then exits with the CLI's code.
  process.on("SIGINT", () =>
    process.stderr.write("\nInterrupted: waiting for the engine to stop\n"),
  );
  switch (command) {
    case "preview":
      return preview(stack, flags);
    case "up":
      return up(stack, flags);
    case "refresh":
      return refresh(stack, flags);
    case "destroy":
      return destroy(target, stack, flags);
    case "drift":
      return drift(stack, flags.json, run);
  }
}

if (require.main === module) {
  runCli(() => main(process.argv.slice(2)), {
    exitCodeOf: (error) =>
      error instanceof EngineFailed || error instanceof DriftFound ? error.code : undefined,
  });
}
