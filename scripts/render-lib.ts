import { DEFAULT_SCHEMA, Type, dump } from "js-yaml";
import { parse as parseYaml } from "yaml";
import { PROJECT } from "../stacks/config";
import { Manifest, ProgramRun, RecordedResource, redactSecrets, runProgram } from "./mock-runtime";
import { readStackFile } from "./stack-file";
import { SPEC_DIR_VARIABLE } from "../kgents/load";

export type { Manifest };

export interface Rendered {
  readonly run: ProgramRun;
  /** Every Kubernetes object, secrets redacted, in dependency order. */
  readonly manifests: Manifest[];
  /** Stack outputs, secrets redacted, as `pulumi stack output --json` prints them. */
  readonly outputs: Record<string, unknown>;
  /** Secret keys that had no readable value and were stood in for (not set, or encrypted). */
  readonly placeholders: { readonly key: string; readonly encrypted: boolean }[];
  /** What `pulumi destroy` leaves in the cluster (`retainOnDelete`), as `kind namespace/name`. */
  readonly kept: string[];
  /** Warnings the program logged (`pulumi.log.warn`), as `pulumi preview` would show them. */
  readonly warnings: string[];
}

export interface RenderOptions {
  readonly stack: string;
  /** Replaces config values of the stack file, by full or short key; `undefined` removes one. */
  readonly overrides?: Record<string, string | undefined>;
  /** Reads agent specs from this directory instead of `spec/agents/` (benchmark, tests). */
  readonly specDir?: string;
  /**
   * Runs the program as `pulumi preview` (the default: a render shows what would be deployed,
   * and marks what `up` would refuse) or as `pulumi up` (tests of what `up` refuses).
   */
  readonly mode?: "preview" | "up";
}

/** Runs the program with a stack's config under mocks and collects what it would deploy. */
export async function renderStack(options: RenderOptions): Promise<Rendered> {
  const file = readStackFile(options.stack);
  const config = { ...file.config };
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (value === undefined) delete config[fullKey];
    else config[fullKey] = value;
  }
  const run = await withSpecDir(options.specDir, () =>
    runProgram({
      project: PROJECT,
      stack: options.stack,
      config,
      secretKeys: file.secretKeys,
      preview: options.mode !== "up",
    }),
  );
  return {
    run,
    manifests: toManifests(run.resources),
    outputs: redactSecrets(run.outputs) as Record<string, unknown>,
    placeholders: file.placeholders,
    kept: keptObjects(run.resources),
    warnings: [...run.warnings],
  };
}

/** The objects a destroy leaves (`components/shared/kept.ts`), in manifest order. */
export function keptObjects(resources: readonly RecordedResource[]): string[] {
  return toManifests(resources.filter((r) => r.retainOnDelete)).map(objectKey);
}

/** `Kind namespace/name`, or `Kind name` for a cluster-wide object (as kept.txt writes it). */
export function objectKey(manifest: {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}): string {
  const { namespace, name } = manifest.metadata;
  return `${manifest.kind} ${namespace === undefined ? name : `${namespace}/${name}`}`;
}

/** Runs `action` with the program reading specs from `dir` (when given), then restores. */
async function withSpecDir<T>(dir: string | undefined, action: () => Promise<T>): Promise<T> {
  if (dir === undefined) return action();
  const previous = process.env[SPEC_DIR_VARIABLE];
  process.env[SPEC_DIR_VARIABLE] = dir;
  try {
    return await action();
  } finally {
    if (previous === undefined) delete process.env[SPEC_DIR_VARIABLE];
    else process.env[SPEC_DIR_VARIABLE] = previous;
  }
}

/**
 * Kubernetes objects in the order they can be applied: by the start order of the top-level
 * component that owns them, then by kind (namespaces and definitions before what lives in them),
 * then by namespace and name.
 */
export function toManifests(resources: readonly RecordedResource[]): Manifest[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const topLevel = (r: RecordedResource): string => {
    let current = r;
    while (current.parent !== "" && byUrn.has(current.parent)) current = byUrn.get(current.parent)!;
    return current.urn;
  };
  const componentOrder = new Map<string, number>();
  resources.forEach((r) => {
    const top = topLevel(r);
    if (!componentOrder.has(top)) componentOrder.set(top, componentOrder.size);
  });

  const objects = resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.state.kind !== undefined)
    .map((r) => ({ order: componentOrder.get(topLevel(r))!, manifest: toManifest(r) }));
  objects.sort(
    (a, b) =>
      a.order - b.order ||
      kindRank(a.manifest.kind) - kindRank(b.manifest.kind) ||
      (a.manifest.metadata.namespace ?? "").localeCompare(b.manifest.metadata.namespace ?? "") ||
      a.manifest.metadata.name.localeCompare(b.manifest.metadata.name),
  );
  return objects.map((o) => o.manifest);
}

/** Install order by kind, as Helm orders it; kinds not listed (custom resources) come last. */
const KIND_ORDER = [
  "Namespace",
  "CustomResourceDefinition",
  "ResourceQuota",
  "LimitRange",
  "NetworkPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Role",
  "RoleBinding",
  "Service",
  // Before the workloads: TigerBeetle's bootstrap Jobs format the data the StatefulSets use.
  "Job",
  "Deployment",
  "StatefulSet",
];

function kindRank(kind: string): number {
  const rank = KIND_ORDER.indexOf(kind);
  return rank === -1 ? KIND_ORDER.length : rank;
}

function toManifest(resource: RecordedResource): Manifest {
  const { apiVersion, kind, metadata, ...rest } = redactSecrets(resource.state) as Manifest;
  return { apiVersion, kind, metadata, ...rest };
}

/**
 * Whether a YAML reader would take the plain scalar `text` for anything but that string: a YAML
 * 1.1 reader such as kubectl's (`on`, `y`, `1_000`, `0x_1F`, `12:30`, `010`, `2001-12-14`) or a
 * YAML 1.2 one (`0o17`, `1e3`). Only strings that start like a number, a boolean, null or a date
 * can be, so the others are not parsed.
 */
function readsAsOtherThanText(text: string): boolean {
  if (!/^[-+.0-9~=<eEnNyYoOtTfF]/.test(text)) return false;
  for (const version of ["1.1", "1.2"] as const) {
    try {
      if (parseYaml(text, { version }) !== text) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * js-yaml quotes a string when one of its schema's implicit types resolves it; this type resolves
 * exactly the strings another reader would misread (`readsAsOtherThanText`), and never constructs
 * or represents a value.
 */
const MISREAD = new Type("tag:agent-platform.io,2026:misread", {
  kind: "scalar",
  resolve: (data: string) => readsAsOtherThanText(data),
  construct: (data: string) => data,
  instanceOf: class Never {},
});
const WRITE_SCHEMA = DEFAULT_SCHEMA.extend({ implicit: [MISREAD] });

/**
 * Multi-document YAML, the same bytes for the same objects. Every string that a YAML 1.1 reader
 * such as kubectl's, or a YAML 1.2 one, would take for something else is quoted (`"on"`,
 * `"1_000"`, `"12:30"`), so each value reads back as written; js-yaml writes a thousand agents in
 * a fraction of the time the `yaml` package takes.
 */
export function toYaml(manifests: readonly Manifest[]): string {
  return manifests
    .map((m) => `---\n${dump(m, { lineWidth: -1, noRefs: true, schema: WRITE_SCHEMA })}`)
    .join("");
}
