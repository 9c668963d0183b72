/**
 * npm run test:e2e: both stacks deployed for real, side by side in one fresh local cluster,
 * through the real Pulumi engine and Kubernetes provider (scripts/engine.ts), with the real API
 * server, scheduler and controllers as the judge. Everything happens in a scratch folder: its own
 * cluster, file backend, workspace of stack files (copies, with generated secrets) and agent
 * specs; the committed files are never written. Ends with `N passed, N failed`; exits 1 on any
 * failure. The checks run in order, each on what the ones before left.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import { DESTROY_GUARD_TYPE } from "../../components/destroy-guard";
import { SECCOMP_EXCEPTION_ANNOTATION } from "../../stacks/io-uring";
import { Manifest } from "../../scripts/render-lib";
import {
  EventLog,
  POLICY_PACK,
  ROOT,
  commandFailure,
  openStack,
  stackProgram,
} from "../../scripts/engine";
import {
  LOCAL_REGISTRY,
  configureLocalStack,
  ensureCluster,
  localBackend,
  prepareWorkspace,
  toolsEnvironment,
} from "../../scripts/local-lib";
import { SPEC_DIR_VARIABLE } from "../../kgents/load";
import {
  Render,
  StateResource,
  clusterFacts,
  renderInChild,
  substitute,
} from "../../scripts/render-json";
import {
  LiveObject,
  changedKeys,
  keyOf,
  kubectl,
  liveObjects,
  notContained,
  versions,
} from "./cluster";

const STACKS = ["staging", "production"] as const;
type StackName = (typeof STACKS)[number];

let passed = 0;
let failed = 0;

function log(message: string): void {
  process.stderr.write(`[test:e2e] ${message}\n`);
}

/** Runs one check: its failure is reported with the reason and the run goes on. */
async function check(name: string, body: () => Promise<void>): Promise<void> {
  const start = Date.now();
  try {
    await body();
    passed++;
    log(`ok: ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    log(
      `FAILED: ${name}\n    ${String((error as Error).message ?? error)
        .split("\n")
        .join("\n    ")}`,
    );
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Equal as data: objects compare key by key whatever their keys' order. */
function expectEqual(actual: unknown, expected: unknown, what: string): void {
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

// ---- the scratch world ---------------------------------------------------------------------------

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "agent-platform-e2e-"));
const workspace = path.join(scratch, "workspace");
const specDir = path.join(scratch, "specs");
const logDir = path.join(scratch, "logs");
let kubeconfig = "";
const stacks = new Map<StackName, Stack>();
/** Every line the engine printed in this run, for the checks that span all of them. */
const engineText: string[] = [];
let operation = 0;

interface Run {
  readonly ok: boolean;
  readonly code: number;
  readonly text: string;
  readonly log: EventLog;
}

/** One engine operation, its text kept (and written to logs/) and its events collected. */
async function engine(
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
function stackSteps(
  log: EventLog,
  phase: "pre" | "outputs",
): { op: string; urn: string; type: string }[] {
  return log.steps.filter((s) => s.phase === phase && !s.type.startsWith("pulumi:providers:"));
}

function changesOf(log: EventLog): { op: string; urn: string; type: string }[] {
  return stackSteps(log, "pre").filter((s) => !["same", "read", "refresh"].includes(s.op));
}

function failureOf(run: Run): string {
  return `the engine failed (exit ${run.code}):\n${run.text.split("\n").slice(-25).join("\n")}`;
}

function render(stackName: StackName): Promise<Render> {
  return renderInChild(stackName, specDir, LOCAL_REGISTRY);
}

async function stateOf(stackName: StackName): Promise<StateResource[]> {
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
    if (manifest.metadata.namespace === undefined) clusterWide.push(keyOf(manifest));
  }
  return { namespaces: [...namespaces].sort(), clusterWide };
}

async function liveOf(rendered: Render): Promise<Map<string, LiveObject>> {
  const { namespaces, clusterWide } = scopeOf(rendered);
  return liveObjects(namespaces, clusterWide);
}

/** The rendered object as it must be in the cluster: names and IPs replaced, secrets by key. */
function expectedLive(manifest: Manifest, facts: Map<string, string>): Manifest {
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

function asLiveComparable(object: LiveObject): LiveObject {
  if (object.kind !== "Secret") return object;
  return { ...object, dataKeys: Object.keys((object.data as Record<string, string>) ?? {}).sort() };
}

/** Strings that read "undefined" in what the engine was given or reported. */
function undefinedValues(run: Run): string[] {
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
function typeAndName(urn: string): string {
  const [, , types, name] = urn.split("::");
  return `${types.split("$").pop()!}::${name}`;
}

/** A nested field of plain data. */
function at(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

/** Pulumi's `--path` config set, the ordinary way to change one field. */
async function setPath(stackName: StackName, key: string, value: string): Promise<void> {
  await stacks.get(stackName)!.setConfig(key, { value }, true);
}

// ---- the checks ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  fs.mkdirSync(logDir);
  log(`scratch folder ${scratch}`);
  Object.assign(process.env, await toolsEnvironment(), localBackend(path.join(scratch, "state")));
  kubeconfig = await ensureCluster(path.join(scratch, "cluster"), process.env);
  process.env.KUBECONFIG = kubeconfig;
  fs.cpSync(path.join(ROOT, "spec", "agents"), specDir, { recursive: true });
  process.env[SPEC_DIR_VARIABLE] = specDir;
  for (const name of STACKS) {
    prepareWorkspace(workspace, name);
    const stack = (await openStack({ stack: name, workDir: workspace }, { create: true }))!;
    await configureLocalStack(stack, kubeconfig);
    stacks.set(name, stack);
  }
  const renders = new Map<StackName, Render>();
  for (const name of STACKS) renders.set(name, await render(name));

  for (const name of STACKS) {
    await check(
      `${name}: on an empty stack, a preview with the policy pack passes and shows no value as "undefined"`,
      async () => {
        const run = await engine(name, "preview-empty", (s, out) =>
          s.preview({ ...out, policyPacks: [POLICY_PACK] }),
        );
        expect(run.ok, failureOf(run));
        expect(run.text.includes("agent-platform@v0.1.0"), "the policy pack did not run");
        expectEqual(undefinedValues(run), [], "values shown as undefined");
        const creates = run.log
          .started()
          .filter((s) => s.op === "create")
          .map((s) => s.urn);
        const rendered = renders.get(name)!.resources.map((r) => r.urn);
        expectEqual(
          {
            notRendered: creates
              .filter((u) => !rendered.includes(u))
              .map(typeAndName)
              .sort(),
            notCreated: rendered.filter((u) => !creates.includes(u)),
          },
          {
            notRendered: [
              "pulumi:providers:kubernetes::default",
              "pulumi:providers:kubernetes::default_4_25_0",
              "pulumi:providers:pulumi::default",
              `pulumi:pulumi:Stack::agent-platform-${name}`,
            ],
            notCreated: [],
          },
          "resources to create: the render's, the stack and the engine's default providers",
        );
      },
    );

    await check(`${name}: up creates every resource`, async () => {
      const run = await engine(name, "up", (s, out) =>
        s.up({ ...out, policyPacks: [POLICY_PACK] }),
      );
      expect(run.ok, failureOf(run));
      expectEqual(undefinedValues(run), [], "values shown as undefined");
    });
  }

  for (const name of STACKS) {
    const rendered = renders.get(name)!;
    await check(`${name}: the stack's URNs are the render's`, async () => {
      const state = await stateOf(name);
      const engineUrns = state
        .filter((r) => !r.type.startsWith("pulumi:"))
        .map((r) => r.urn)
        .sort();
      const renderUrns = rendered.resources
        .filter((r) => !r.type.startsWith("pulumi:"))
        .map((r) => r.urn)
        .sort();
      expectEqual(
        {
          onlyInStack: engineUrns.filter((u) => !renderUrns.includes(u)),
          onlyInRender: renderUrns.filter((u) => !engineUrns.includes(u)),
        },
        { onlyInStack: [], onlyInRender: [] },
        "URNs",
      );
    });

    await check(
      `${name}: the cluster holds exactly the render's objects, each as rendered after the API server's defaults`,
      async () => {
        const state = await stateOf(name);
        const facts = clusterFacts(rendered, state);
        const live = await liveOf(rendered);
        const expected = new Map(
          rendered.objects.map(({ manifest }) => {
            const object = expectedLive(manifest, facts);
            return [keyOf(object), object] as const;
          }),
        );
        expectEqual(
          {
            missing: [...expected.keys()].filter((k) => !live.has(k)).sort(),
            extra: [...live.keys()].filter((k) => !expected.has(k)).sort(),
          },
          { missing: [], extra: [] },
          "objects",
        );
        const differences = [...expected.entries()].flatMap(([key, object]) =>
          notContained(object, asLiveComparable(live.get(key)!)).map((d) => `${key}${d}`),
        );
        expectEqual(differences, [], "fields that differ from the render");
      },
    );

    await check(
      `${name}: the outputs validate against the schema and equal the render's, but for what only the cluster knows`,
      async () => {
        const outputs = Object.fromEntries(
          Object.entries(await stacks.get(name)!.outputs()).map(([k, v]) => [
            k,
            v.secret ? "[secret]" : v.value,
          ]),
        );
        const schema = JSON.parse(
          fs.readFileSync(path.join(ROOT, "schema", "outputs.schema.json"), "utf8"),
        ) as object;
        const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
        expect(validate(outputs) === true, `schema: ${JSON.stringify(validate.errors)}`);
        const facts = clusterFacts(rendered, await stateOf(name));
        expectEqual(outputs, substitute(rendered.outputs, facts), "outputs");
      },
    );

    await check(
      `${name}: a second preview, with the policy pack, passes with --expect-no-changes`,
      async () => {
        const run = await engine(name, "preview-no-changes", (s, out) =>
          s.preview({ ...out, expectNoChanges: true, policyPacks: [POLICY_PACK] }),
        );
        expect(run.ok, failureOf(run));
      },
    );
  }

  await check(
    "staging: values set with pulumi config set --path (numbers, booleans) are taken for what they mean",
    async () => {
      // Each equal to what staging runs with, so that the preview has nothing to change.
      const values: [string, string][] = [
        ["agent-platform:tigerbeetle.resources.limits.cpu", "2"],
        ["agent-platform:tigerbeetle.development", "true"],
        ["agent-platform:agentSociety.replicas", "1"],
        ["agent-platform:budgets.agents.pods", "15"],
      ];
      for (const [key, value] of values) await setPath("staging", key, value);
      const file = parse(fs.readFileSync(path.join(workspace, "Pulumi.staging.yaml"), "utf8")) as {
        config: Record<string, Record<string, unknown>>;
      };
      const stored = {
        cpu: at(file.config["agent-platform:tigerbeetle"], "resources", "limits", "cpu"),
        development: at(file.config["agent-platform:tigerbeetle"], "development"),
        replicas: at(file.config["agent-platform:agentSociety"], "replicas"),
        pods: at(file.config["agent-platform:budgets"], "agents", "pods"),
      };
      expectEqual(
        stored,
        { cpu: 2, development: true, replicas: 1, pods: 15 },
        "what the CLI stored",
      );
      const run = await engine("staging", "preview-config-path", (s, out) =>
        s.preview({ ...out, expectNoChanges: true }),
      );
      expect(run.ok, failureOf(run));
    },
  );

  await check(
    "staging: a change to one agent spec previews as exactly that agent's objects changing",
    async () => {
      const file = path.join(specDir, "l-gent.md");
      const original = fs.readFileSync(file, "utf8");
      fs.writeFileSync(
        file,
        original.replace("embedding_dimensions: 384", "embedding_dimensions: 512"),
      );
      try {
        const run = await engine("staging", "preview-spec-change", (s, out) => s.preview(out));
        expect(run.ok, failureOf(run));
        const changed = changesOf(run.log)
          .map((s) => `${s.op} ${s.urn.split("::").pop()}`)
          .sort();
        expectEqual(
          changed,
          [
            "update agents:kgents-agents-staging/l-gent-staging",
            "update agents:kgents-agents-staging/l-gent-staging",
          ],
          "changed resources",
        );
        const types = changesOf(run.log)
          .map((s) => s.type)
          .sort();
        expectEqual(
          types,
          ["kubernetes:apps/v1:Deployment", "kubernetes:kgents.io/v1:Agent"],
          "their kinds",
        );
      } finally {
        fs.writeFileSync(file, original);
      }
    },
  );

  await check(
    "staging: a change that breaks the posture is refused by the policy pack in the real engine",
    async () => {
      // TigerBeetle's pods without the io_uring exception annotation: Unconfined is then a violation.
      const program = async () => {
        pulumi.runtime.registerResourceTransform((args) => {
          if (args.type !== "kubernetes:apps/v1:StatefulSet") return undefined;
          const props = args.props as {
            spec: { template: { metadata: { annotations: Record<string, string> } } };
          };
          const annotations = { ...props.spec.template.metadata.annotations };
          delete annotations[SECCOMP_EXCEPTION_ANNOTATION];
          const spec = {
            ...props.spec,
            template: {
              ...props.spec.template,
              metadata: { ...props.spec.template.metadata, annotations },
            },
          };
          return { props: { ...args.props, spec }, opts: args.opts };
        });
        return stackProgram();
      };
      const policyStack = (await openStack(
        { stack: "staging", workDir: workspace, program },
        { create: false },
      ))!;
      const events = new EventLog();
      let refused = false;
      let text = "";
      try {
        await policyStack.preview({
          onOutput: (t) => (text += t),
          onEvent: events.onEvent,
          policyPacks: [POLICY_PACK],
        });
      } catch (error) {
        refused = commandFailure(error) !== undefined;
      }
      engineText.push(text);
      fs.writeFileSync(path.join(logDir, "policy-violation.log"), text);
      expect(refused, "the preview passed");
      const violations = events.policyViolations
        .filter((v) => v.level === "mandatory")
        .map((v) => `${v.policyName} ${v.urn.split("::").pop()}`)
        .sort();
      // One per container of each replica's pod: its init container and TigerBeetle itself.
      expectEqual(
        violations,
        [0, 0, 1, 1, 2, 2].map((i) => `restricted-security-context tigerbeetle-replica-${i}`),
        "mandatory violations",
      );
      expect(
        events.policyViolations.every((v) =>
          v.message.includes(`allowed only on a pod annotated ${SECCOMP_EXCEPTION_ANNOTATION}`),
        ),
        `messages: ${JSON.stringify(events.policyViolations.map((v) => v.message))}`,
      );
    },
  );

  await check(
    "production: a TigerBeetle change (its CPU limit) updates the replicas one at a time",
    async () => {
      await setPath("production", "agent-platform:tigerbeetle.resources.limits.cpu", "3500m");
      const run = await engine("production", "up-tigerbeetle-cpu", (s, out) => s.up(out));
      expect(run.ok, failureOf(run));
      const updates = run.log.steps.filter(
        (s) => s.type === "kubernetes:apps/v1:StatefulSet" && s.op === "update",
      );
      const replica = (urn: string) => Number(/tigerbeetle-replica-(\d+)$/.exec(urn)![1]);
      const intervals = [0, 1, 2, 3, 4, 5].map((i) => {
        const mine = updates.filter((s) => replica(s.urn) === i);
        const pre = mine.find((s) => s.phase === "pre");
        const done = mine.find((s) => s.phase === "outputs");
        expect(
          pre !== undefined && done !== undefined,
          `replica ${i}: no update started and finished`,
        );
        return { i, start: pre!.sequence, end: done!.sequence };
      });
      const overlapping = intervals.slice(1).filter((r, k) => r.start < intervals[k].end);
      expectEqual(overlapping, [], "updates that started before the one before them finished");
      const others = changesOf(run.log)
        .filter((s) => s.type !== "kubernetes:apps/v1:StatefulSet")
        .map((s) => s.urn);
      expectEqual(others, [], "other resources changed");
    },
  );

  const refusedChanges: [string, string, string][] = [
    ["replica count", "agent-platform:tigerbeetle.replicaCount", "4"],
    ["cluster ID", "agent-platform:tigerbeetle.clusterId", "48151623420816"],
  ];
  for (const [what, key, value] of refusedChanges) {
    await check(`staging: a ${what} change is refused and changes nothing`, async () => {
      const before = versions(await liveOf(renders.get("staging")!));
      const stack = stacks.get("staging")!;
      const previous = await stack.getConfig(key, true).catch(() => undefined);
      await setPath("staging", key, value);
      try {
        const run = await engine("staging", `up-${what.replace(" ", "-")}`, (s, out) => s.up(out));
        expect(!run.ok, "the update passed");
        expect(
          /unable to replace resource .*tigerbeetle-cluster/.test(run.text),
          `no refusal of the record:\n${run.text.slice(-2000)}`,
        );
        const done = stackSteps(run.log, "outputs")
          .filter((s) => s.op !== "same")
          .map((s) => `${s.op} ${s.urn}`);
        expectEqual(done, [], "steps the engine carried out");
        expectEqual(
          changedKeys(before, versions(await liveOf(renders.get("staging")!))),
          [],
          "objects changed in the cluster",
        );
      } finally {
        if (previous === undefined) await stack.removeConfig(key, true);
        else await stack.setConfig(key, previous, true);
      }
    });
  }

  await check(
    "production: pulumi destroy is refused and deletes nothing; so is npm run stack -- destroy",
    async () => {
      const before = versions(await liveOf(renders.get("production")!));
      const run = await engine("production", "destroy", (s, out) => s.destroy(out));
      expect(!run.ok, "the destroy passed");
      const deleted = stackSteps(run.log, "outputs")
        .filter((s) => s.op === "delete")
        .map((s) => s.urn);
      expectEqual(deleted, [], "resources deleted");
      const refusedBy = run.log.steps.filter((s) => s.phase === "failed").map((s) => s.type);
      expectEqual(refusedBy, [DESTROY_GUARD_TYPE], "the step that failed");
      const driver = await npmStack(["destroy", "--stack", "production", "--yes"]);
      expectEqual(driver.code, 1, "npm run stack -- destroy exit code");
      expect(
        driver.stderr.includes('Refused: stack "production" is production'),
        `its message: ${driver.stderr}`,
      );
      expectEqual(
        changedKeys(before, versions(await liveOf(renders.get("production")!))),
        [],
        "objects changed in the cluster",
      );
    },
  );

  const claimUids = new Map<string, string>();
  await check(
    "staging: the README's teardown ends without error, keeps exactly kept.txt and leaves production alone",
    async () => {
      const staging = renders.get("staging")!;
      const live = await liveOf(staging);
      for (const [key, object] of live)
        if (object.kind === "PersistentVolumeClaim") claimUids.set(key, object.metadata.uid);
      const production = versions(await liveOf(renders.get("production")!));
      const driver = await npmStack(["destroy", "--stack", "staging", "--yes"]);
      expectEqual(driver.code, 0, `npm run stack -- destroy (${driver.stderr.slice(-1500)})`);
      const left = [...(await liveOf(staging)).keys()].sort();
      expectEqual(left, [...staging.kept].sort(), "what staging left in the cluster");
      expectEqual(
        changedKeys(production, versions(await liveOf(renders.get("production")!))),
        [],
        "production objects changed",
      );
    },
  );

  await check(
    "staging: up again adopts what was kept and converges on the same claims",
    async () => {
      const run = await engine("staging", "up-again", (s, out) => s.up(out));
      expect(run.ok, failureOf(run));
      const live = await liveOf(renders.get("staging")!);
      const uids = Object.fromEntries(
        [...claimUids.keys()].map((k) => [k, live.get(k)?.metadata.uid]),
      );
      expectEqual(uids, Object.fromEntries(claimUids), "claim UIDs");
      expect(claimUids.size === 3, `claims recorded: ${claimUids.size}`);
      const again = await engine("staging", "preview-after-adopt", (s, out) =>
        s.preview({ ...out, expectNoChanges: true }),
      );
      expect(again.ok, failureOf(again));
    },
  );

  await check(
    "npm run stack prints the engine's output, exits as the CLI would, and reports a mistake in one line",
    async () => {
      const preview = await npmStack(["preview", "--stack", "staging", "--expect-no-changes"]);
      expectEqual(preview.code, 0, `preview exit code (${preview.stderr.slice(-500)})`);
      expect(
        /Previewing update \(staging\)[\s\S]*\d+ unchanged/.test(preview.stdout),
        `its output:\n${preview.stdout}`,
      );
      const output = await npmStack(["output", "--stack", "staging", "--json"]);
      expectEqual(output.code, 0, "output exit code");
      const outputs = Object.fromEntries(
        Object.entries(await stacks.get("staging")!.outputs()).map(([k, v]) => [k, v.value]),
      );
      expectEqual(JSON.parse(output.stdout), outputs, "npm run stack -- output --json");
      for (const [args, message] of [
        [
          ["preview", "--stack", "nope"],
          'There is no stack "nope" (a stack name, not a path); the stacks are: production, staging',
        ],
        [
          ["upp", "--stack", "staging"],
          'Unknown command "upp"; usage: npm run stack -- <preview|up|destroy|refresh|output>',
        ],
        [
          ["up", "--stack", "staging"],
          "--yes must be passed in to proceed when running in non-interactive mode",
        ],
      ] as const) {
        const run = await npmStack([...args]);
        expectEqual(run.code, 1, `${args.join(" ")}: exit code`);
        expect(run.stderr.includes(message), `${args.join(" ")}: ${run.stderr}`);
        expect(!/^\s+at /m.test(run.stderr), `${args.join(" ")}: a stack trace:\n${run.stderr}`);
      }
    },
  );

  await check("no Pod Security warning anywhere", async () => {
    const warnings = engineText
      .join("\n")
      .split("\n")
      .filter((l) => /PodSecurity|pod-security|would violate/i.test(l));
    expectEqual(warnings, [], "Pod Security warnings");
    const events = JSON.parse(await kubectl(["get", "events", "-A", "-o", "json"])) as {
      items: { message?: string }[];
    };
    const denied = events.items
      .filter((e) => /PodSecurity|violates/.test(e.message ?? ""))
      .map((e) => e.message);
    expectEqual(denied, [], "Pod Security events");
  });

  await check(
    "the guard depends on every other resource of each stack, in the engine's own state",
    async () => {
      for (const name of STACKS) {
        const state = await stateOf(name);
        const guard = state.filter((r) => r.type === DESTROY_GUARD_TYPE);
        expectEqual(guard.length, 1, `${name}: guards`);
        const deps = new Set(guard[0].dependencies ?? []);
        const missing = state
          .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !deps.has(r.urn))
          .map((r) => r.urn);
        expectEqual(missing, [], `${name}: resources the guard does not depend on`);
      }
    },
  );
}

/** `npm run stack -- ...` as a user runs it, against the scratch workspace and backend. */
function npmStack(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "scripts", "stack.ts"), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, AGENT_PLATFORM_WORKSPACE: workspace },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        fs.writeFileSync(path.join(logDir, `npm-stack-${args.join("-")}.log`), stdout + stderr);
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stdout,
          stderr,
        });
      },
    ),
  );
}

async function teardown(): Promise<void> {
  await new Promise<void>((resolve) =>
    execFile(
      "bash",
      [path.join(ROOT, "scripts", "cluster.sh"), "down", "--dir", path.join(scratch, "cluster")],
      () => resolve(),
    ),
  );
}

main()
  .catch((error: unknown) => {
    failed++;
    log(`FAILED: the run stopped: ${String((error as Error).stack ?? error)}`);
  })
  .finally(async () => {
    await teardown();
    log(`engine logs: ${logDir}`);
    console.log(`${passed} passed, ${failed} failed`);
    if (failed === 0) fs.rmSync(scratch, { recursive: true, force: true });
    process.exit(failed === 0 ? 0 : 1);
  });
