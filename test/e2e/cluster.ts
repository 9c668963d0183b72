/**
 * What the end-to-end tests read from the real API server, and how they hold it to the render.
 * kubectl is the tools' own (`npm run tools`), on this process's PATH.
 */
import { execFile } from "child_process";
import { parseQuantity } from "../../stacks/quantity";
import { objectKey } from "../../scripts/render-lib";

/** Every kind the stack deploys, as kubectl names them. */
export const STACK_KINDS = [
  "namespaces",
  "resourcequotas",
  "limitranges",
  "networkpolicies",
  "poddisruptionbudgets",
  "serviceaccounts",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services",
  "jobs",
  "deployments",
  "statefulsets",
  "customresourcedefinitions",
  "agents.kgents.io",
];

/** What Kubernetes puts into every namespace itself: not the stack's. */
const CLUSTER_MADE = new Set(["ServiceAccount default", "ConfigMap kube-root-ca.crt"]);

export interface LiveObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid: string;
    readonly resourceVersion: string;
    readonly labels?: Record<string, string>;
  };
  readonly [key: string]: unknown;
}

export function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kubectl", args, { maxBuffer: 256 << 20 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr || error.message}`))
        : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * The objects of the stack's kinds in `namespaces` (and those cluster-wide objects named in
 * `clusterWide`), without what Kubernetes makes in every namespace.
 */
export async function liveObjects(
  namespaces: readonly string[],
  clusterWide: readonly string[],
): Promise<Map<string, LiveObject>> {
  const list = JSON.parse(await kubectl(["get", STACK_KINDS.join(","), "-A", "-o", "json"])) as {
    items: LiveObject[];
  };
  const found = new Map<string, LiveObject>();
  for (const item of list.items) {
    const key = objectKey(item);
    const namespace = item.metadata.namespace;
    const ours =
      namespace === undefined ? clusterWide.includes(key) : namespaces.includes(namespace);
    if (ours && !CLUSTER_MADE.has(`${item.kind} ${item.metadata.name}`)) found.set(key, item);
  }
  return found;
}

/** resourceVersion of each object: equal snapshots mean nothing changed in between. */
export function versions(objects: Map<string, LiveObject>): Record<string, string> {
  return Object.fromEntries(
    [...objects.entries()].map(([k, o]) => [k, `${o.metadata.uid}@${o.metadata.resourceVersion}`]),
  );
}

/** Keys whose entries differ between two snapshots (changed, added or removed). */
export function changedKeys(
  before: Record<string, string>,
  after: Record<string, string>,
): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/** Fields that hold quantities: resources, emptyDir sizes, quotas and LimitRange bounds. */
const QUANTITY_FIELD =
  /\.(resources|sizeLimit|hard|default|defaultRequest|max|min|limits|requests)\b/;

/**
 * Where `expected` (a rendered object) is not contained in `actual` (the live object, with
 * everything the API server added): every field the render wrote must be there with the same
 * value; lists must have the same length. What the API server writes in its own canonical form
 * counts as the same: a quantity in another spelling (`1000m` is stored as `1`), and an empty list
 * it leaves out (`ingress: []`). Returns the paths that differ.
 */
export function notContained(expected: unknown, actual: unknown, path = ""): string[] {
  if (Array.isArray(expected) && expected.length === 0 && actual === undefined) return [];
  if (
    typeof expected === "string" &&
    typeof actual === "string" &&
    expected !== actual &&
    QUANTITY_FIELD.test(path)
  ) {
    const [a, b] = [parseQuantity(expected), parseQuantity(actual)];
    if (a !== undefined && a === b) return [];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`];
    }
    return expected.flatMap((e, i) => notContained(e, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null) {
      return [`${path}: expected an object, found ${JSON.stringify(actual)}`];
    }
    return Object.entries(expected).flatMap(([k, v]) =>
      notContained(v, (actual as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return expected === actual
    ? []
    : [`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`];
}
