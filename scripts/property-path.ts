/**
 * Property paths as Pulumi writes them in a diff (`spec.replicas`,
 * `metadata.labels["app.kubernetes.io/part-of"]`, `spec.template.spec.containers[0].image`), and
 * the field paths of Kubernetes managed fields (`fieldsV1`) turned into them, so that what the
 * engine reports and what a field manager owns name a field the same way.
 */

export type Segment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Segments as a Pulumi property path. */
export function formatPath(segments: readonly Segment[]): string {
  return segments
    .map((s, i) => {
      if (typeof s === "number") return `[${s}]`;
      if (IDENTIFIER.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join("");
}

/** A Pulumi property path's segments; undefined when it is not one. */
export function parsePath(path: string): Segment[] | undefined {
  const token = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  const segments: Segment[] = [];
  let rest = path;
  while (rest !== "") {
    const match = token.exec(rest);
    if (match === null) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3]) as string);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/** The value at a path of plain data; undefined when any step is missing. */
export function valueAt(value: unknown, segments: readonly Segment[]): unknown {
  let current = value;
  for (const s of segments) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[s];
  }
  return current;
}

/** A managed-fields set (`fieldsV1`): `f:<field>`, `k:<key JSON>`, `v:<value JSON>`, `.`. */
export interface FieldSet {
  readonly [key: string]: FieldSet;
}

/** Where a `k:` or `v:` entry of a managed-fields set is in the live list; -1 when it is not. */
function indexIn(list: unknown, entry: string): number {
  if (!Array.isArray(list)) return -1;
  const json = JSON.parse(entry.slice(2)) as unknown;
  if (entry.startsWith("v:"))
    return list.findIndex((v) => JSON.stringify(v) === JSON.stringify(json));
  const key = json as Record<string, unknown>;
  return list.findIndex(
    (item) =>
      typeof item === "object" &&
      item !== null &&
      Object.entries(key).every(([k, v]) => (item as Record<string, unknown>)[k] === v),
  );
}

/**
 * The fields a managed-fields set owns in `live`, as paths: its leaves, and an element or map
 * entry it owns whole (`.`) where `stopAt` says to stop. Entries the live object no
 * longer has are skipped.
 */
export function ownedPaths(
  set: FieldSet,
  live: unknown,
  stopAt: (segments: readonly Segment[]) => boolean = () => false,
  prefix: readonly Segment[] = [],
): Segment[][] {
  const paths: Segment[][] = [];
  const children = Object.keys(set).filter((k) => k !== ".");
  if (prefix.length > 0 && ("." in set || children.length === 0)) {
    if (children.length === 0 || stopAt(prefix)) return [[...prefix]];
  }
  for (const key of children) {
    let segment: Segment;
    if (key.startsWith("f:")) segment = key.slice(2);
    else if (key.startsWith("k:") || key.startsWith("v:")) {
      const index = indexIn(valueAt(live, prefix), key);
      if (index === -1) continue;
      segment = index;
    } else continue;
    paths.push(...ownedPaths(set[key], live, stopAt, [...prefix, segment]));
  }
  return paths;
}
