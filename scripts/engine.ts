/**
 * The real Pulumi engine, driven through the Automation API: the one way `npm run stack`,
 * `npm run local`, the end-to-end tests and the preview benchmark run `index.ts` against a
 * cluster.
 *
 * The program runs as an inline program: `LocalWorkspace` starts the SDK's own language server in
 * this process and runs the Pulumi CLI with `--client=127.0.0.1:<port>`, so no Node.js language
 * host is needed (the Go module proxy here serves none; README, "Real engine"). The program is
 * `index.ts` itself, loaded by this process (started with `node --import tsx`, which transpiles and
 * does not type-check: `npm test` does that), so it is the very stack the official CLI path
 * (`pulumi up`, which runs the same file) deploys, with the same URNs.
 */
import * as path from "path";
import {
  EngineEvent,
  LocalWorkspace,
  PulumiCommand,
  PulumiFn,
  Stack,
  StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { PROJECT } from "../stacks/config";
import { workspaceDir } from "./stack-file";

export const ROOT = path.resolve(__dirname, "..");

/** The policy pack (`--policy-pack policy`). */
export const POLICY_PACK = path.join(ROOT, "policy");

export interface StackTarget {
  readonly stack: string;
  /** Holds `Pulumi.yaml` and `Pulumi.<stack>.yaml`; `$AGENT_PLATFORM_WORKSPACE`, else the repository. */
  readonly workDir?: string;
  /** Added to this process's environment for the CLI (backend, passphrase, kubeconfig). */
  readonly envVars?: Readonly<Record<string, string>>;
  /** The program; `index.ts` unless given (the end-to-end tests wrap it). */
  readonly program?: PulumiFn;
}

/** `index.ts`, loaded on first use, after the language server has set the runtime up. */
export const stackProgram: PulumiFn = async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require("../index") as () => Promise<Record<string, unknown>>;
  return main();
};

/**
 * `NODE_OPTIONS` for the node processes the CLI starts, the policy pack's: loads
 * `scripts/lazy-modules.js` first, as this process did, so that the pack starts about 0.25 s sooner.
 */
function policyPackStart(): Record<string, string> {
  const lazy = `--require "${path.join(ROOT, "scripts", "lazy-modules.js")}"`;
  const current = process.env.NODE_OPTIONS;
  return { NODE_OPTIONS: current ? `${current} ${lazy}` : lazy };
}

let cli: Promise<PulumiCommand> | undefined;

/**
 * The Pulumi CLI on PATH, its version checked against the SDK's minimum once per process
 * (`pulumi version`); every workspace of this process reuses it instead of asking again.
 */
export function pulumiCli(): Promise<PulumiCommand> {
  cli ??= PulumiCommand.get();
  return cli;
}

export function workDirOf(target: StackTarget): string {
  return target.workDir === undefined ? workspaceDir() : path.resolve(target.workDir);
}

/**
 * The stack, created when `create` and it does not exist yet (a first preview or up), else
 * selected; `undefined` when it does not exist and may not be created.
 */
export async function openStack(
  target: StackTarget,
  options: { create: boolean },
): Promise<Stack | undefined> {
  const args = {
    stackName: target.stack,
    projectName: PROJECT,
    program: target.program ?? stackProgram,
  };
  const workspaceOptions = {
    workDir: workDirOf(target),
    envVars: { ...policyPackStart(), ...(target.envVars ?? {}) },
    pulumiCommand: await pulumiCli(),
  };
  if (options.create) return LocalWorkspace.createOrSelectStack(args, workspaceOptions);
  try {
    return await LocalWorkspace.selectStack(args, workspaceOptions);
  } catch (error) {
    if (error instanceof StackNotFoundError) return undefined;
    throw error;
  }
}

/** What the CLI printed and how it ended, for a command that failed. */
interface CommandFailure {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI's exit code and output, when `error` is the Automation API's report of a failed command. */
export function commandFailure(error: unknown): CommandFailure | undefined {
  const result = (error as { commandResult?: { code: number; stdout: string; stderr: string } })
    .commandResult;
  if (result === undefined || typeof result.code !== "number") return undefined;
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

/** One step of a preview or update, as the engine's events report it. */
interface StepEvent {
  readonly sequence: number;
  readonly timestamp: number;
  /** `pre` when the engine starts the step, `outputs` when it finished, `failed` when it failed. */
  readonly phase: "pre" | "outputs" | "failed";
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  /** Top-level properties that differ (`diffs` of the step metadata). */
  readonly diffs: readonly string[];
  /** Property paths that differ, with their kind (`detailedDiff`). */
  readonly detailedDiff: Readonly<Record<string, string>>;
}

interface Diagnostic {
  readonly severity: string;
  readonly urn: string;
  readonly message: string;
}

/** What a command's engine events said, collected as they arrive (`onEvent`). */
export class EventLog {
  /** Every event, as the engine sent it. */
  readonly events: EngineEvent[] = [];
  readonly steps: StepEvent[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly policyViolations: { policyName: string; urn: string; message: string; level: string }[] =
    [];
  changeSummary: Readonly<Record<string, number>> = {};

  readonly onEvent = (event: EngineEvent): void => {
    this.events.push(event);
    const base = { sequence: event.sequence, timestamp: event.timestamp };
    const step = (phase: StepEvent["phase"], metadata: StepMetadataLike | undefined) => {
      if (metadata === undefined) return;
      this.steps.push({
        ...base,
        phase,
        op: metadata.op,
        urn: metadata.urn,
        type: metadata.type,
        diffs: metadata.diffs ?? [],
        detailedDiff: Object.fromEntries(
          Object.entries(metadata.detailedDiff ?? {}).map(([k, v]) => [k, v.diffKind]),
        ),
      });
    };
    step("pre", event.resourcePreEvent?.metadata);
    step("outputs", event.resOutputsEvent?.metadata);
    step("failed", event.resOpFailedEvent?.metadata);
    if (event.diagnosticEvent !== undefined) {
      const d = event.diagnosticEvent;
      this.diagnostics.push({
        severity: d.severity,
        urn: d.urn ?? "",
        message: (d.message ?? "").trim(),
      });
    }
    if (event.policyEvent !== undefined) {
      const p = event.policyEvent;
      this.policyViolations.push({
        policyName: p.policyName,
        urn: p.resourceUrn ?? "",
        message: p.message,
        level: p.enforcementLevel,
      });
    }
    if (event.summaryEvent !== undefined) {
      this.changeSummary = { ...event.summaryEvent.resourceChanges };
    }
  };

  /** The steps the engine started, one per resource. */
  started(): StepEvent[] {
    return this.steps.filter((s) => s.phase === "pre");
  }

  /** Steps that change something (not `same`, not a read). */
  changes(): StepEvent[] {
    return this.started().filter((s) => !["same", "read", "refresh"].includes(s.op));
  }
}

interface StepMetadataLike {
  op: string;
  urn: string;
  type: string;
  diffs?: string[];
  detailedDiff?: Record<string, { diffKind: string }>;
}
