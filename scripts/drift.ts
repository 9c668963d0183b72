/**
 * `npm run stack -- drift --stack <name> [--json]`: what in the cluster differs from the stack,
 * by object and field. It runs `pulumi preview --refresh` (nothing is changed: the refresh is
 * the preview's own, and is not saved) and reads the engine's events:
 *
 * - every update, replacement, create or delete the preview plans, with the fields of its diff:
 *   `cluster` where the refresh saw the field change since the last update (an edit in the
 *   cluster: `up --refresh` restores the stack's value, every object carrying `pulumi.com/patchForce`,
 *   components/shared/labels.ts), `program` where the program changed it (not deployed yet);
 * - fields that another field manager set on an object of the stack and that the stack does not
 *   set at all (`kubectl label` of a new label): the provider's diff cannot see them (it compares
 *   only the fields the stack sets), and `up` leaves them, since server-side apply removes only
 *   fields its own manager gave up. They are read from each refreshed object's managed fields.
 *   The cluster's own controllers and status writers are not drift.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { TIGERBEETLE_TYPE } from "../components/tigerbeetle";
import { UsageError } from "./cli";
import { EventLog } from "./engine";
import { DRIFT_SCHEMA_VERSION, DriftField, DriftObject, DriftReport } from "./report-schemas";
import { FieldSet, Segment, formatPath, ownedPaths, parsePath, valueAt } from "./property-path";

/** Managers that are the cluster itself: controllers, the scheduler, the API server, kubelets. */
export const CLUSTER_MANAGERS = [
  "kube-controller-manager",
  "kube-scheduler",
  "kube-apiserver",
  "kubelet",
  // The local cluster's simulated kubelets and volume binder (README, "Local cluster").
  "kwok",
];

/** Every field manager of a Pulumi Kubernetes provider, this stack's or another's. */
const PULUMI_MANAGER = /^pulumi-kubernetes/;

/** The engine's secret marker, kept in place of a value in its events (the SDK's own constant). */
const SECRET_SIGNATURE = pulumi.runtime.specialSecretSig;

interface State {
  readonly type: string;
  readonly urn: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

interface Step {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly old?: State;
  readonly new?: State;
  readonly detailedDiff?: Record<string, { diffKind: string }>;
}

interface ManagedField {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsV1?: FieldSet;
}

/**
 * Whether the provider takes a manager's fields over when it updates the object, and so drops
 * those the stack does not set: kubectl's own updates (`kubectl label`, `annotate`, `edit`,
 * `set`, `patch`: managers named `kubectl...`, operation Update, no subresource), as provider
 * 4.25.0 does before every server-side apply (`fixCSAFieldManagers`, seen on the local cluster).
 */
function takenOverOnUpdate(m: ManagedField): boolean {
  return (m.manager ?? "").startsWith("kubectl") && m.operation === "Update" && !m.subresource;
}

const CHANGES: Record<string, DriftObject["change"]> = {
  update: "update",
  replace: "replace",
  create: "create",
  delete: "delete",
};

/** A value as the report shows it: `[secret]` for anything secret. */
function shown(value: unknown, secret: boolean): unknown {
  if (value === undefined) return undefined;
  if (secret || JSON.stringify(value).includes(SECRET_SIGNATURE)) return "[secret]";
  return value;
}

function isSecretField(kind: unknown, segments: readonly Segment[]): boolean {
  return kind === "Secret" && (segments[0] === "data" || segments[0] === "stringData");
}

/** Kind, namespace and name of an object, from what the cluster or the program says of it. */
function identity(step: Step): Pick<DriftObject, "kind" | "namespace" | "name" | "urn"> {
  const object = (step.new?.outputs ?? step.old?.outputs ?? step.new?.inputs ?? {}) as {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
  };
  const inputs = (step.new?.inputs ?? step.old?.inputs ?? {}) as typeof object;
  const metadata = { ...inputs.metadata, ...object.metadata };
  return {
    kind: object.kind ?? inputs.kind ?? step.type.split(":").pop()!,
    namespace: metadata.namespace ?? null,
    name: metadata.name ?? step.urn.split("::").pop()!,
    urn: step.urn,
  };
}

/** An object's managed fields, as the API server lists them. */
function managedFieldsOf(outputs: Record<string, unknown> | undefined): ManagedField[] {
  return (outputs?.metadata as { managedFields?: ManagedField[] } | undefined)?.managedFields ?? [];
}

/** A manager whose fields are someone's edit: neither a Pulumi provider, nor the cluster itself. */
function isForeign(m: ManagedField): boolean {
  const manager = m.manager ?? "";
  return (
    !PULUMI_MANAGER.test(manager) &&
    !CLUSTER_MANAGERS.includes(manager) &&
    m.subresource !== "status"
  );
}

/**
 * The fields of a planned change, each with its live and stack value, where it changed, and the
 * managers other than Pulumi's and the cluster's that own it.
 */
function diffFields(step: Step, refreshed: Step | undefined): DriftField[] {
  const kind = (step.old?.outputs ?? step.new?.inputs)?.kind;
  const outputs = refreshed?.new?.outputs;
  const foreign = managedFieldsOf(outputs).filter(isForeign);
  return Object.keys(step.detailedDiff ?? {})
    .sort()
    .map((path) => {
      const segments = parsePath(path) ?? [path];
      const secret = isSecretField(kind, segments);
      const live = valueAt(outputs ?? step.old?.outputs, segments);
      const stack = valueAt(step.new?.inputs, segments);
      const before = valueAt(refreshed?.old?.outputs, segments);
      const edited = refreshed !== undefined && JSON.stringify(live) !== JSON.stringify(before);
      const setBy = foreign
        .filter((m) => ownedPaths(m.fieldsV1 ?? {}, outputs).some((p) => formatPath(p) === path))
        .map((m) => m.manager!)
        .sort();
      return {
        path,
        ...(live === undefined ? {} : { live: shown(live, secret) }),
        ...(stack === undefined ? {} : { stack: shown(stack, secret) }),
        origin: edited ? "cluster" : "program",
        setBy,
        // patchForce (components/shared/labels.ts): the stack's value wins a conflict.
        restoredByUp: true,
      } satisfies DriftField;
    });
}

/**
 * Fields of a refreshed object that managers other than Pulumi's and the cluster's own own, that
 * no Pulumi manager owns, and that the stack does not set: what `kubectl label`, `annotate` or
 * `edit` added. Each names its managers, and whether `up` removes it: only when it updates the
 * object (`updated`) and the provider takes every one of its managers over.
 */
export function unownedFields(
  outputs: Record<string, unknown>,
  inputs: unknown,
  updated: boolean,
): DriftField[] {
  const managed = managedFieldsOf(outputs);
  const ours = new Set<string>();
  for (const m of managed.filter((m) => PULUMI_MANAGER.test(m.manager ?? ""))) {
    for (const p of ownedPaths(m.fieldsV1 ?? {}, outputs)) ours.add(formatPath(p));
  }
  const touchedByUs = (segments: readonly Segment[]) => {
    const path = formatPath(segments);
    return [...ours].some(
      (p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`),
    );
  };
  const found = new Map<
    string,
    { segments: Segment[]; managers: Set<string>; takenOver: boolean }
  >();
  for (const m of managed.filter(isForeign)) {
    const manager = m.manager ?? "";
    for (const segments of ownedPaths(m.fieldsV1 ?? {}, outputs, (s) => !touchedByUs(s))) {
      const path = formatPath(segments);
      if (ours.has(path) || valueAt(inputs, segments) !== undefined) continue;
      const entry = found.get(path) ?? { segments, managers: new Set<string>(), takenOver: true };
      entry.managers.add(manager);
      entry.takenOver &&= takenOverOnUpdate(m);
      found.set(path, entry);
    }
  }
  return [...found.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, { segments, managers, takenOver }]) => ({
      path,
      live: shown(valueAt(outputs, segments), isSecretField(outputs.kind, segments)),
      origin: "unowned",
      setBy: [...managers].sort(),
      restoredByUp: updated && takenOver,
    }));
}

/** The steps of the engine's events, as they started (pre) and as refreshes finished. */
function stepsOf(events: readonly EngineEvent[]): {
  planned: Step[];
  refreshed: Map<string, Step>;
} {
  const planned: Step[] = [];
  const refreshed = new Map<string, Step>();
  for (const event of events) {
    const pre = event.resourcePreEvent?.metadata as Step | undefined;
    const done = event.resOutputsEvent?.metadata as Step | undefined;
    if (done?.op === "refresh") refreshed.set(done.urn, done);
    if (pre !== undefined && pre.op in CHANGES) planned.push(pre);
  }
  const isObject = (s: Step) =>
    s.type.startsWith("kubernetes:") && s.type !== "kubernetes:yaml/v2:ConfigGroup";
  return {
    planned: planned.filter(isObject),
    refreshed: new Map([...refreshed].filter(([, s]) => isObject(s))),
  };
}

/** The report of a refreshed preview's events. */
export function driftReport(stack: string, events: readonly EngineEvent[]): DriftReport {
  const { planned, refreshed } = stepsOf(events);
  const objects = new Map<string, DriftObject>();
  for (const step of planned) {
    const fields = diffFields(step, refreshed.get(step.urn));
    objects.set(step.urn, { ...identity(step), change: CHANGES[step.op], fields });
  }
  for (const [urn, step] of refreshed) {
    if (step.new?.outputs === undefined) continue; // gone: planned as a create
    const object = objects.get(urn) ?? { ...identity(step), change: "none" as const, fields: [] };
    // A Patch resource (a kept object) never takes other managers' fields over.
    const updated =
      (object.change === "update" || object.change === "replace") && !step.type.endsWith("Patch");
    const unowned = unownedFields(step.new.outputs, step.new.inputs, updated);
    if (unowned.length === 0) continue;
    objects.set(urn, { ...object, fields: [...object.fields, ...unowned] });
  }
  const sorted = [...objects.values()].sort(
    (a, b) =>
      (a.namespace ?? "").localeCompare(b.namespace ?? "") ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
  return {
    schemaVersion: DRIFT_SCHEMA_VERSION,
    stack,
    drifted: sorted.length > 0,
    resources: refreshed.size,
    objects: sorted,
  };
}

/** What to do about a field, in a few words. */
function remedy(object: DriftObject, field: DriftField): string {
  if (field.origin === "program") return "changed in the program: up deploys it";
  if (field.origin === "cluster") {
    return "edited in the cluster: up --refresh restores the stack's value";
  }
  if (field.restoredByUp)
    return "not set by the stack: up --refresh removes it as it updates the object";
  const segments = parsePath(field.path) ?? [];
  const where = `${object.kind.toLowerCase()} ${object.name}${object.namespace === null ? "" : ` -n ${object.namespace}`}`;
  const verb =
    segments[1] === "labels" ? "label" : segments[1] === "annotations" ? "annotate" : undefined;
  const undo =
    segments[0] === "metadata" && verb !== undefined && typeof segments[2] === "string"
      ? `kubectl ${verb} ${where} ${segments[2]}-`
      : `kubectl edit ${where}`;
  return `not set by the stack, and up changes nothing else here, so it stays; to remove it: ${undo}`;
}

const value = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));

/** The report as `npm run stack -- drift` prints it. */
export function driftText(report: DriftReport): string {
  if (!report.drifted) {
    return `No drift in stack "${report.stack}": the ${report.resources} objects read from the cluster match the stack.`;
  }
  const lines = [
    `Drift in stack "${report.stack}": ${report.objects.length} of the ${report.resources} objects read from the cluster differ from the stack.`,
  ];
  for (const object of report.objects) {
    const name = object.namespace === null ? object.name : `${object.namespace}/${object.name}`;
    const change = {
      create: ": not in the cluster (up creates it again)",
      delete: ": no longer in the program (up deletes it)",
      replace: ": up replaces it",
      update: "",
      none: "",
    }[object.change];
    lines.push("", `${object.kind} ${name}${change}`);
    for (const field of object.fields) {
      const by = field.setBy.length === 0 ? "" : ` (set by ${field.setBy.join(", ")})`;
      const values =
        field.origin === "unowned"
          ? value(field.live)
          : `${value(field.live)} in the cluster, ${value(field.stack)} in the stack`;
      lines.push(`  ${field.path}: ${values}${by}; ${remedy(object, field)}`);
    }
  }
  if (report.objects.some((o) => o.urn.includes(`${TIGERBEETLE_TYPE}$`))) {
    lines.push(
      "",
      'TigerBeetle, the ledger, is among them: resolve its drift as README "TigerBeetle drift" says, without touching its data (never delete its StatefulSets or claims)',
    );
  }
  return lines.join("\n");
}

/** Drift found: the report was printed; the command exits 2. */
export class DriftFound extends Error {
  override name = "DriftFound";
  readonly code = 2;
}

/**
 * `npm run stack -- drift`: `pulumi preview --refresh` (the refresh is the preview's own and is
 * not saved: nothing changes), reported by object and field; `DriftFound` (exit 2) when anything
 * differs. `npm run stack` checks the cluster before (`checkCluster`: one line for a bad context or
 * a cluster that does not answer); when the engine still fails, what it printed is shown, and
 * `run` keeps its exit code.
 */
export async function drift(
  stack: Stack,
  json: boolean,
  run: <T>(action: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const log = new EventLog();
  let text = "";
  const collect = (t: string) => (text += t);
  try {
    await run(() =>
      stack.preview({
        refresh: true,
        color: "never",
        onOutput: collect,
        onError: collect,
        onEvent: log.onEvent,
      }),
    );
  } catch (error) {
    process.stderr.write(text);
    throw error;
  }
  const report = driftReport(stack.name, log.events);
  if (report.resources === 0) {
    throw new UsageError(
      `Stack "${stack.name}" has no deployed resources in this backend: there is nothing to compare (npm run stack -- preview --stack ${stack.name} shows what up would create)`,
    );
  }
  console.log(json ? JSON.stringify(report, null, 2) : driftText(report));
  if (report.drifted) throw new DriftFound();
}
