/**
 * Changes as users make them: config set --path, one agent spec edited, a posture the policy pack
 * refuses, a TigerBeetle change that must roll one replica at a time, and the ledger changes that
 * are refused before their first step.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { SECCOMP_EXCEPTION_ANNOTATION } from "../../stacks/io-uring";
import {
  EventLog,
  POLICY_PACK,
  commandFailure,
  openStack,
  stackProgram,
} from "../../scripts/engine";
import { changedKeys, versions } from "./cluster";
import {
  at,
  changesOf,
  check,
  engine,
  engineText,
  expect,
  expectEqual,
  failureOf,
  liveOf,
  logDir,
  renders,
  setPath,
  specDir,
  stackSteps,
  stacks,
  workspace,
} from "./world";

/** Values as `pulumi config set --path` writes them. */
export function configSetPath(): Promise<void> {
  return check(
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
      // And a value that differs is taken: the agents' quota alone changes, in that field.
      await setPath("staging", "agent-platform:budgets.agents.pods", "16");
      try {
        const changed = await engine("staging", "preview-config-path-pods", (s, out) =>
          s.preview(out),
        );
        expect(changed.ok, failureOf(changed));
        expectEqual(
          changesOf(changed.log).map((c) => `${c.op} ${c.urn.split("::").pop()}`),
          ["update kgents-agents-budget"],
          "what a pods budget of 16 changes",
        );
        expectEqual(
          changesOf(changed.log).map((c) => Object.keys(c.detailedDiff)),
          [["spec.hard.pods"]],
          "its field",
        );
        const quota = changed.log.events
          .map((e) => e.resourcePreEvent?.metadata)
          .find((m) => m?.urn.endsWith("::kgents-agents-budget"));
        expectEqual(at(quota?.new?.inputs, "spec", "hard", "pods"), "16", "the value it is given");
      } finally {
        await setPath("staging", "agent-platform:budgets.agents.pods", "15");
      }
    },
  );
}

/** One agent spec's change touches that agent only. */
export function oneSpecChange(): Promise<void> {
  return check(
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
}

/**
 * The stack's program with TigerBeetle's pods stripped of the io_uring exception annotation:
 * their Unconfined seccomp profile is then a violation.
 */
async function withoutSeccompException(): Promise<Record<string, unknown> | void> {
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
}

/** The policy pack refuses a broken posture in the real engine. */
export function policyRefusal(): Promise<void> {
  return check(
    "staging: a change that breaks the posture is refused by the policy pack in the real engine",
    async () => {
      const policyStack = (await openStack(
        { stack: "staging", workDir: workspace, program: withoutSeccompException },
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
}

/** A TigerBeetle change rolls its replicas one at a time. */
export function tigerbeetleRollsOneByOne(): Promise<void> {
  return check(
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
}

/** Ledger changes the stack refuses, each before its first step. */
const REFUSED_CHANGES: [string, string, string][] = [
  ["replica count", "agent-platform:tigerbeetle.replicaCount", "4"],
  ["cluster ID", "agent-platform:tigerbeetle.clusterId", "48151623420816"],
];

/** Each of `REFUSED_CHANGES` refused, and nothing in the cluster changed. */
export async function ledgerChangesRefused(): Promise<void> {
  for (const [what, key, value] of REFUSED_CHANGES) {
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
}
