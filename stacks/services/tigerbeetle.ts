import { z } from "zod";
import { count, flag, imageTagSchema, resourcesSchema } from "../schema-parts";
import { parseQuantity, toBytes } from "../quantity";
import { ioUringSeccompSchema } from "../io-uring";
import { RuleIssue, serviceRecord } from "../record";
import { plusStorage } from "./shared";

/**
 * TigerBeetle's stack config (`agent-platform:tigerbeetle`) and its cross-field rules.
 * Facts relied on (../shared/design/domain-notes.md, docs.tigerbeetle.com/operating/*):
 * - replica count is fixed at format time, 1 to 6; cluster ID 0 is reserved for testing;
 * - at least 6 GiB of memory per replica in production; `--development` not for production;
 * - a lost replica is rebuilt with `tigerbeetle recover`, never `format`
 *   (docs.tigerbeetle.com/operating/recovering).
 */

/** The largest cluster TigerBeetle supports. */
const MAX_REPLICAS = 6;
/** Minimum memory limit per replica in production. */
const PRODUCTION_MIN_MEMORY = "6Gi";
const U128_MAX = (1n << 128n) - 1n;

export const tigerbeetleSchema = z.strictObject({
  /** Tag of `ghcr.io/tigerbeetle/tigerbeetle`. */
  imageTag: imageTagSchema,
  /** `--cluster`: a 128-bit unsigned integer in decimal. Fixed at format time. */
  clusterId: z.preprocess(
    // `pulumi config set --path` stores digits as a number; one that large is not read exactly.
    (value) =>
      typeof value === "number" && Number.isSafeInteger(value) && value >= 0
        ? String(value)
        : value,
    z
      .string({
        error: (issue) =>
          typeof issue.input === "number"
            ? "expected the cluster ID as text: a number this large is not read exactly; set it with pulumi config set --path --type string tigerbeetle.clusterId <id>"
            : undefined,
      })
      .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal cluster ID such as "1"')
      .refine((id) => !/^[0-9]+$/.test(id) || BigInt(id) <= U128_MAX, "expected at most 2^128-1"),
  ),
  /** `--replica-count`: 1 to 6. Fixed at format time. */
  replicaCount: count(z.number().int().min(1).max(MAX_REPLICAS)),
  resources: resourcesSchema,
  storage: z.strictObject({
    /** StorageClass of the data volumes; "" uses the cluster default. */
    className: z.string().regex(/^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "expected a class name"),
    /** Size of each replica's data volume. */
    size: z
      .string()
      .refine((s) => (parseQuantity(s) ?? 0n) > 0n, 'expected a size such as "100Gi"'),
  }),
  /** `--development` on every replica (all or none); refused in production. */
  development: flag(),
  /** io_uring-capable seccomp profile for TigerBeetle and connector pods. */
  seccomp: ioUringSeccompSchema,
  /**
   * Where replicas may run. `nodes`: one replica per node, `required` (a replica stays Pending
   * rather than share a node) or `preferred`. `zones`: an even spread over
   * `topology.kubernetes.io/zone` from 3 replicas up, `required` (Pending on nodes without a zone
   * label, or with too few zones), `preferred`, or `off`.
   */
  placement: z.strictObject({
    nodes: z.enum(["required", "preferred"]),
    zones: z.enum(["required", "preferred", "off"]),
  }),
  /**
   * True only for the first `pulumi up` of a brand-new cluster: that update runs one Job per
   * replica that formats its data file (once, never over an existing file) before any replica
   * starts. Replica pods never format: a data file missing later is rebuilt with
   * `tigerbeetle recover`. See the README, "TigerBeetle: bootstrap".
   */
  bootstrap: flag(),
});
export type TigerBeetleConfig = z.infer<typeof tigerbeetleSchema>;

/** The smallest memory limit of a replica in any environment (see `cacheGridSize`). */
const MIN_MEMORY = "1Gi";

/**
 * The production rules TigerBeetle's own documentation gives. Pure: tests call it directly. It
 * takes what parsed of the section: each rule runs when the field it reads is there.
 */
export function tigerbeetleRules(environment: string, tb: Partial<TigerBeetleConfig>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const memoryText = tb.resources?.limits?.memory;
  const memory = memoryText === undefined ? undefined : parseQuantity(memoryText);
  if (memory !== undefined && memory < parseQuantity(MIN_MEMORY)!) {
    issues.push({
      path: ["resources", "limits", "memory"],
      input: memoryText,
      message: `expected at least ${MIN_MEMORY} per replica (--cache-grid takes at least 256MiB, and TigerBeetle needs as much again beside it)`,
    });
  }
  if (environment !== "production") return issues;
  if (tb.replicaCount !== undefined && tb.replicaCount < 3) {
    issues.push({
      path: ["replicaCount"],
      input: tb.replicaCount,
      message: "expected at least 3 replicas in production (6 over three zones recommended)",
    });
  }
  if (tb.clusterId === "0") {
    issues.push({
      path: ["clusterId"],
      input: tb.clusterId,
      message: "expected a cluster ID other than 0 in production (0 is reserved for testing)",
    });
  }
  if (memory !== undefined && memory < parseQuantity(PRODUCTION_MIN_MEMORY)!) {
    issues.push({
      path: ["resources", "limits", "memory"],
      input: memoryText,
      message: `expected at least ${PRODUCTION_MIN_MEMORY} per replica in production`,
    });
  }
  if (tb.development === true) {
    issues.push({
      path: ["development"],
      input: tb.development,
      message: "expected false in production (--development relaxes TigerBeetle's requirements)",
    });
  }
  return issues;
}

const MiB = 1024n * 1024n;
const GiB = 1024n * MiB;

/**
 * `--cache-grid` from the memory limit. TigerBeetle's `--help` (src/tigerbeetle/cli.zig) sizes
 * the grid cache as "(Total RAM) - 3GiB (TigerBeetle) - 1GiB (System)"; in a container the limit
 * is what TigerBeetle may use, so: the limit minus 3 GiB (minus half the limit when that is
 * smaller, as with `--development`'s smaller defaults), rounded down to 256 MiB, at least
 * 256 MiB. 6Gi → 3GiB, 8Gi → 5GiB, 2Gi → 1GiB.
 */
export function cacheGridSize(memoryLimit: string): string {
  const bytes = toBytes(parseQuantity(memoryLimit) ?? 0n);
  const reserve = bytes / 2n < 3n * GiB ? bytes / 2n : 3n * GiB;
  const step = 256n * MiB;
  let cache = ((bytes - reserve) / step) * step;
  if (cache < step) cache = step;
  return cache % GiB === 0n ? `${cache / GiB}GiB` : `${cache / MiB}MiB`;
}

/** Minimum pods that keep a quorum: a majority of the replicas (6 → 4, 3 → 2, 1 → 1). */
export function quorumSize(replicaCount: number): number {
  return Math.floor(replicaCount / 2) + 1;
}

/** Spread across zones only when every zone can hold more than one replica's worth: n ≥ 3. */
export function spreadsAcrossZones(replicaCount: number): boolean {
  return replicaCount >= 3;
}

/** The data file name of replica `i`: `<cluster>_<replica>.tigerbeetle`, as the docs name it. */
export function dataFileName(clusterId: string, replica: number): string {
  return `${clusterId}_${replica}.tigerbeetle`;
}

/** TigerBeetle's own disk beside its claim: logs and the image's writable layer. */
const STORAGE = { request: "256Mi", limit: "1Gi" };

/** Values both environments share; `clusterId` has no default: every stack sets its own. */
const common = {
  imageTag: "0.16.68",
  // Unconfined: the runtime's default profile blocks io_uring (see the README, "io_uring").
  seccomp: { type: "unconfined" as const },
  bootstrap: false,
};

/**
 * The ledger. Its nature differs from the stateless services' (one StatefulSet per replica, data
 * claims, a cluster record), so it has a component of its own (`components/tigerbeetle.ts`) and
 * no `run`; everything else about it is here, as for every service.
 */
export const tigerbeetle = serviceRecord({
  summary: "the ledger (StatefulSets, one per replica)",
  namespace: "tigerbeetle",
  app: "tigerbeetle",
  ports: { tigerbeetle: 3000 },
  endpoints: {
    /** Over all replicas, DNS only: clients take every replica's address (`addresses`). */
    headless: { service: "tigerbeetle", port: "tigerbeetle", scheme: "tcp", headless: true },
  },
  calls: [
    {
      to: "tigerbeetle",
      endpoint: "headless",
      why: "replicas replicate to each other (through each replica's ClusterIP Service)",
    },
  ],
  // The official image, not under `imageRegistry` (which holds the platform's own).
  image: { repository: "ghcr.io/tigerbeetle/tigerbeetle", underRegistry: false },
  config: tigerbeetleSchema,
  rules: tigerbeetleRules,
  defaults: {
    staging: {
      ...common,
      replicaCount: 3,
      resources: plusStorage(
        { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "2Gi" } },
        STORAGE,
      ),
      storage: { className: "", size: "20Gi" },
      development: true,
      // Staging clusters are small and often have no zones: spread when possible, never Pending.
      placement: { nodes: "preferred", zones: "preferred" },
    },
    production: {
      ...common,
      replicaCount: 6,
      resources: plusStorage(
        { requests: { cpu: "2", memory: "8Gi" }, limits: { cpu: "4", memory: "8Gi" } },
        STORAGE,
      ),
      storage: { className: "", size: "200Gi" },
      development: false,
      // Production: a node or zone loss costs at most one replica, or the replica waits (README).
      placement: { nodes: "required", zones: "required" },
    },
  },
});

/** The replica port: replication and clients. */
export const TIGERBEETLE_PORT = tigerbeetle.ports.tigerbeetle;
