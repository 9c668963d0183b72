/**
 * The world of `npm run test:e2e` (test/e2e/run.ts): a scratch folder with its own cluster, file
 * backend, workspace of stack files (copies, with generated secrets) and agent specs, both stacks
 * opened there, and what the checks share: `check` and its assertions, the engine run with its
 * output kept, the renders, the cluster's objects, the commands as a user runs them.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { Manifest, objectKey } from "../../scripts/render-lib";
import { EventLog, ROOT, commandFailure, openStack } from "../../scripts/engine";
import {
  LOCAL_REGISTRY,
  configureLocalStack,
  ensureCluster,
  localBackend,
  prepareWorkspace,
  toolsEnvironment,
} from "../../scripts/local-lib";
import { SPEC_DIR_VARIABLE } from "../../kgents/load";
import { Render, StateResource, renderInChild, substitute } from "../../scripts/render-json";
import { LiveObject, liveObjects } from "./cluster";

export const STACKS = ["staging", "production"] as const;
export type StackName = (typeof STACKS)[number];

/** The checks' tally, printed as `N passed, N failed`. */
export const tally = { passed: 0, failed: 0 };

export function log(message: string): void {
  process.stderr.write(`[test:e2e] ${message}\n`);
}

/** Runs one check: its failure is reported with the reason and the run goes on. */
export async function check(name: string, body: () => Promise<void>): Promise<void> {
  const start = Date.now();
  try {
    await body();
    tally.passed++;
    log(`ok: ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (error) {
    tally.failed++;
    log(
      `FAILED: ${name}\n    ${String((error as Error).message ?? error)
        .split("\n")
        .join("\n    ")}`,
    );
  }
}

export function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Equal as data: objects compare key by key whatever their keys' order. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(sortedKeys(actual), null, 1);
  const e = JSON.stringify(sortedKeys(expected), null, 1);
  if (a !== e) throw new Error(`${what}:\n  expected ${e}\n  found    ${a}`);
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "agent-platform-e2e-"));
export const workspace = path.join(scratch, "workspace");
export const specDir = path.join(scratch, "specs");
export const logDir = path.join(scratch, "logs");
export const stacks = new Map<StackName, Stack>();
/** Each stack's render, made before anything is deployed. */
export const renders = new Map<StackName, Render>();
/** Every line the engine printed in this run, for the checks that span all of them. */
export const engineText: string[] = [];
let operation = 0;

export interface Run {
  readonly ok: boolean;
  readonly code: number;
  readonly text: string;
  readonly log: EventLog;
}

/** One engine operation, its text kept (and written to logs/) and its events collected. */
export async function engine(
  stackName: StackName,
  what: string,
  action: (
    stack: Stack,
    out: { onOutput: (t: string) => void; onEvent: EventLog["onEvent"] },
  ) => Promise<unknown>,
): Promise<Run> {
  const events = new EventLog();
  let text = "";
  const onOutput = (t: string) => (text += t);
  let ok = true;
  let code = 0;
  try {
    await action(stacks.get(stackName)!, { onOutput, onEvent: events.onEvent });
  } catch (error) {
    const failure = commandFailure(error);
    if (failure === undefined) throw error;
    ok = false;
    code = failure.code;
    text += failure.stderr;
  }
  operation++;
  const file = path.join(logDir, `${String(operation).padStart(2, "0")}-${stackName}-${what}`);
  fs.writeFileSync(`${file}.log`, text);
  fs.writeFileSync(`${file}.events.jsonl`, events.events.map((e) => JSON.stringify(e)).join("\n"));
  engineText.push(text);
  return { ok, code, text, log: events };
}

/**
 * The steps that change the stack's own resources. The engine's records of its default providers
 * are left out: provider 4.25.0 registers a ConfigGroup's objects under an unversioned default
 * provider on their first create and under `default_4_25_0` afterwards, and resource references
 * in the group's outputs make the engine record its builtin `pulumi` provider; previews and
 * updates add or drop those records on their own (README, "Real engine"). They hold no object.
 */
export function stackSteps(
  log: EventLog,
  phase: "pre" | "outputs",
): { op: string; urn: string; type: string }[] {
  return log.steps.filter((s) => s.phase === phase && !s.type.startsWith("pulumi:providers:"));
}

/** The changes the engine started (`EventLog.changes`), its default providers' left out. */
export function changesOf(log: EventLog): ReturnType<EventLog["changes"]> {
  return log.changes().filter((s) => !s.type.startsWith("pulumi:providers:"));
}

export function failureOf(run: Run): string {
  return `the engine failed (exit ${run.code}):\n${run.text.split("\n").slice(-25).join("\n")}`;
}

export function render(stackName: StackName): Promise<Render> {
  return renderInChild(stackName, specDir, LOCAL_REGISTRY);
}

export async function stateOf(stackName: StackName): Promise<StateResource[]> {
  const exported = await stacks.get(stackName)!.exportStack();
  return (exported.deployment as { resources?: StateResource[] }).resources ?? [];
}

/** The namespaces and cluster-wide objects a stack's render names. */
function scopeOf(rendered: Render): { namespaces: string[]; clusterWide: string[] } {
  const namespaces = new Set<string>();
  const clusterWide: string[] = [];
  for (const { manifest } of rendered.objects) {
    if (manifest.metadata.namespace !== undefined) namespaces.add(manifest.metadata.namespace);
    else if (manifest.kind === "Namespace") namespaces.add(manifest.metadata.name);
    if (manifest.metadata.namespace === undefined) clusterWide.push(objectKey(manifest));
  }
  return { namespaces: [...namespaces].sort(), clusterWide };
}

export async function liveOf(rendered: Render): Promise<Map<string, LiveObject>> {
  const { namespaces, clusterWide } = scopeOf(rendered);
  return liveObjects(namespaces, clusterWide);
}

/** The rendered object as it must be in the cluster: names and IPs replaced, secrets by key. */
export function expectedLive(manifest: Manifest, facts: Map<string, string>): Manifest {
  const expected = substitute(manifest, facts) as Manifest;
  if (expected.kind === "Secret") {
    // The render shows each value as [secret]; the API server stores `stringData` as `data`.
    const { stringData, data, ...rest } = expected as Manifest & {
      stringData?: Record<string, string>;
      data?: Record<string, string>;
    };
    return { ...rest, dataKeys: Object.keys({ ...stringData, ...data }).sort() } as Manifest;
  }
  return expected;
}

export function asLiveComparable(object: LiveObject): LiveObject {
  if (object.kind !== "Secret") return object;
  return { ...object, dataKeys: Object.keys((object.data as Record<string, string>) ?? {}).sort() };
}

/** Strings that read "undefined" in what the engine was given or reported. */
export function undefinedValues(run: Run): string[] {
  const found: string[] = [];
  for (const event of run.log.events) {
    const metadata = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    for (const side of [metadata?.new?.inputs, metadata?.new?.outputs]) {
      const text = JSON.stringify(side ?? {});
      if (text.includes("undefined"))
        found.push(`${metadata!.urn}: ${text.match(/.{0,60}undefined.{0,20}/)![0]}`);
    }
  }
  if (/\bundefined\b/.test(run.text))
    found.push(`printed: ${run.text.match(/.{0,60}\bundefined\b.{0,20}/)![0]}`);
  return found;
}

/** `type::name` of a URN: `pulumi:providers:kubernetes::default` of `urn:pulumi:s::p::pulumi:providers:kubernetes::default`. */
export function typeAndName(urn: string): string {
  const [, , types, name] = urn.split("::");
  return `${types.split("$").pop()!}::${name}`;
}

/** A nested field of plain data. */
export function at(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

/** Pulumi's `--path` config set, the ordinary way to change one field. */
export async function setPath(stackName: StackName, key: string, value: string): Promise<void> {
  await stacks.get(stackName)!.setConfig(key, { value }, true);
}

/** `npm run <script> -- ...` as a user runs it, against the scratch workspace and backend. */
export function npmScript(
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    // Through npm, as the README gives it: `npm run stack` runs its esbuild bundle.
    execFile(
      "npm",
      ["run", "--silent", script, "--", ...args],
      {
        cwd: ROOT,
        env: { ...process.env, AGENT_PLATFORM_WORKSPACE: workspace },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        operation++;
        const file = `${String(operation).padStart(2, "0")}-npm-${script}-${args.join("-")}.log`;
        fs.writeFileSync(path.join(logDir, file), stdout + stderr);
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        });
      },
    ),
  );
}

/** `npm run stack -- ...`. */
export function npmStack(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return npmScript("stack", args);
}

/**
 * The scratch world made: the toolchain's environment, a file backend, a fresh cluster, the
 * specs copied, both stacks opened in the scratch workspace and configured as `npm run local`
 * does, and both rendered.
 */
export async function setUp(): Promise<void> {
  fs.mkdirSync(logDir);
  log(`scratch folder ${scratch}`);
  Object.assign(process.env, await toolsEnvironment(), localBackend(path.join(scratch, "state")));
  const kubeconfig = await ensureCluster(path.join(scratch, "cluster"), process.env);
  process.env.KUBECONFIG = kubeconfig;
  fs.cpSync(path.join(ROOT, "spec", "agents"), specDir, { recursive: true });
  process.env[SPEC_DIR_VARIABLE] = specDir;
  for (const name of STACKS) {
    prepareWorkspace(workspace, name);
    const stack = (await openStack({ stack: name, workDir: workspace }, { create: true }))!;
    await configureLocalStack(stack, kubeconfig);
    stacks.set(name, stack);
  }
  for (const name of STACKS) renders.set(name, await render(name));
}

/** The scratch cluster stopped (its processes, by the ids it recorded). */
export async function teardown(): Promise<void> {
  await new Promise<void>((resolve) =>
    execFile(
      "bash",
      [path.join(ROOT, "scripts", "cluster.sh"), "down", "--dir", path.join(scratch, "cluster")],
      () => resolve(),
    ),
  );
}
