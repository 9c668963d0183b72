import { isPinnedImage } from "../stacks/images";

/**
 * The deliberate exceptions a production-readiness linter reports on the rendered manifests, as
 * data: which finding each one covers, and the row of the README's "Deliberate exceptions" table
 * that says why and what would lift it. `npm run lint:manifests` runs kube-score on both renders
 * and fails on any finding that no exception here covers: such a finding is a defect.
 */

/** One finding of the linter, on one object (and one of its containers). */
export interface Finding {
  /** The linter's check id, e.g. `container-security-context-user-group-id`. */
  readonly check: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The container the finding names, when it names one. */
  readonly container?: string;
  readonly summary: string;
  /** The rendered object. */
  readonly object: RenderedObject;
}

/** What the exceptions read of a rendered object. */
export interface RenderedObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: {
    readonly replicas?: number;
    readonly podSelector?: { readonly matchLabels?: Record<string, string> };
    readonly template?: {
      readonly spec?: {
        readonly initContainers?: readonly Container[];
        readonly containers?: readonly Container[];
      };
    };
  };
}

interface Container {
  readonly name: string;
  readonly image?: string;
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
}

interface Probe {
  readonly httpGet?: unknown;
  readonly tcpSocket?: unknown;
  readonly exec?: unknown;
  readonly grpc?: unknown;
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}

/** Whether two probes check the same thing, as the linter compares them. */
function sameHandler(a: Probe, b: Probe): boolean {
  const handler = (p: Probe) => JSON.stringify([p.httpGet, p.tcpSocket, p.exec, p.grpc]);
  return handler(a) === handler(b);
}

/** Seconds from the container's start until a probe that always fails acts (Kubernetes' defaults). */
function patience(p: Probe): number {
  return (p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3);
}

interface LinterException {
  /** The first cell of its README row. */
  readonly row: string;
  readonly check: string;
  readonly covers: (finding: Finding) => boolean;
}

function containerOf(finding: Finding): Container | undefined {
  const pod = finding.object.spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].find(
    (c) => c.name === finding.container,
  );
}

/** Staging's namespaces carry the `-staging` suffix (stacks/catalog.ts). */
const inStaging = (finding: Finding) => finding.namespace.endsWith("-staging");

export const LINTER_EXCEPTIONS: readonly LinterException[] = [
  {
    row: "uid and gid 1000",
    check: "container-security-context-user-group-id",
    covers: () => true,
  },
  {
    row: "one replica",
    check: "deployment-replicas",
    // Staging's services, and agents whose spec asks for one replica (production's too).
    covers: (f) =>
      f.object.spec?.replicas === 1 && (inStaging(f) || f.namespace.startsWith("kgents-agents")),
  },
  {
    row: "the same readiness and liveness probe",
    check: "pod-probes-identical",
    // A service with one health check (agent-society's /health, a TCP check of a port, the
    // sidecar's exec): each container that probes the same way for both gives the liveness
    // probe the longer patience, so an overloaded pod is taken out of rotation before it is
    // restarted.
    covers: (f) =>
      (f.object.spec?.template?.spec?.containers ?? []).every(
        (c) =>
          c.readinessProbe === undefined ||
          c.livenessProbe === undefined ||
          !sameHandler(c.readinessProbe, c.livenessProbe) ||
          patience(c.livenessProbe) > patience(c.readinessProbe),
      ),
  },
  {
    row: "pinned images pulled once per node",
    check: "container-image-pull-policy",
    covers: (f) => {
      const image = containerOf(f)?.image;
      return image !== undefined && isPinnedImage(image);
    },
  },
  {
    row: "a default-deny policy in a namespace without pods",
    check: "networkpolicy-targets-pod",
    covers: (f) =>
      f.kind === "NetworkPolicy" &&
      f.name === "default-deny" &&
      f.namespace.startsWith("kgents-ephemeral"),
  },
];

/** The findings no exception covers. */
export function uncovered(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => !LINTER_EXCEPTIONS.some((e) => e.check === f.check && e.covers(f)));
}

/** One object of kube-score's `--output-format json`, as far as it is read here. */
export interface ScoredObject {
  readonly type_meta: { readonly kind: string };
  readonly object_meta: { readonly name: string; readonly namespace?: string };
  readonly checks: readonly {
    readonly check: { readonly id: string };
    /** 10 is passed; 7 almost, 5 a warning, 1 critical. */
    readonly grade: number;
    readonly skipped: boolean;
    readonly comments: readonly { readonly path: string; readonly summary: string }[] | null;
  }[];
}

/** kube-score's verdicts on the rendered objects, as findings: one per comment of a failed check. */
export function findingsOf(
  scored: readonly ScoredObject[],
  objects: readonly RenderedObject[],
): Finding[] {
  const findings: Finding[] = [];
  for (const scoredObject of scored) {
    const { kind } = scoredObject.type_meta;
    const { name, namespace = "" } = scoredObject.object_meta;
    const object = objects.find(
      (o) =>
        o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? "") === namespace,
    );
    if (object === undefined)
      throw new Error(`kube-score scored ${kind} ${namespace}/${name}, which was not rendered`);
    for (const { check, grade, skipped, comments } of scoredObject.checks) {
      if (skipped || grade >= 10) continue;
      for (const comment of comments ?? [{ path: "", summary: "" }]) {
        findings.push({
          check: check.id,
          kind,
          namespace,
          name,
          ...(comment.path === "" ? {} : { container: comment.path }),
          summary: comment.summary,
          object,
        });
      }
    }
  }
  return findings;
}
