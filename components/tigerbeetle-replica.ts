import * as k8s from "@pulumi/kubernetes";
import { PORTS } from "../stacks/topology";
import { TigerBeetleConfig, cacheGridSize, dataFileName } from "../stacks/tigerbeetle";
import { LIVENESS, READINESS, ProbeTiming, tcpProbe } from "./shared/probes";
import {
  ioUringSeccompProfile,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./shared/security";
import { requireSpreadAcrossNodes, spreadAcrossZones } from "./shared/scheduling";
import { spreadsAcrossZones } from "../stacks/tigerbeetle";

/**
 * The pod of one TigerBeetle replica, as pure functions of the config and the address list, so
 * that tests can check the exact commands. Facts relied on:
 * - `--addresses` takes IP literals only; replica i takes slot i of a list that is the same on
 *   every replica (docs.tigerbeetle.com/operating/deploying, domain notes);
 * - `format --cluster --replica --replica-count <file>` creates a replica once; a lost data file
 *   in an existing cluster is rebuilt with `recover --cluster --addresses --replica
 *   --replica-count <file>`, whose own address "is just a placeholder", and which needs the rest
 *   of the cluster healthy (docs.tigerbeetle.com/operating/recovering);
 * - the official image is alpine with `ENTRYPOINT ["tini", "--", "/tigerbeetle"]`: the main
 *   container only sets `args`, so tini stays PID 1 (TigerBeetle installs no SIGTERM handler).
 */

/** Where the data volume is mounted. */
export const DATA_DIR = "/data";
/** The image's TigerBeetle binary. */
const BINARY = "/tigerbeetle";
/** Label that tells one replica's pod from the others; its Service selects on it. */
export const REPLICA_LABEL = "tigerbeetle.agent-platform.io/replica";

/** What the init container does when the data file is missing. Never both, never unconditional. */
export type MissingFileAction = "format" | "recover";

export function missingFileAction(
  settings: Pick<TigerBeetleConfig, "bootstrap">,
): MissingFileAction {
  return settings.bootstrap ? "format" : "recover";
}

/**
 * The init container's script. It runs in the image's busybox shell; the main container does not.
 * It exits 0 at once when the data file exists (a restart), and otherwise runs exactly one of
 * `format` (bootstrap of a new cluster only) or `recover` (a replica lost in a running cluster).
 */
export const INIT_SCRIPT = [
  "set -eu",
  'action="$1"; file="$2"; shift 2',
  'if [ -e "$file" ]; then echo "data file $file exists: starting the replica"; exit 0; fi',
  'case "$action" in',
  `  format) echo "bootstrap: formatting new data file $file"; exec ${BINARY} format "$@" "$file" ;;`,
  `  recover) echo "data file $file missing in an existing cluster: recovering"; exec ${BINARY} recover "$@" "$file" ;;`,
  '  *) echo "unknown action $action" >&2; exit 1 ;;',
  "esac",
].join("\n");

/** The address list replica `replica` is given: every replica's `ip:port`, its own as 0.0.0.0. */
export function replicaAddresses(ips: readonly string[], replica: number): string {
  return ips
    .map((ip, i) => (i === replica ? `0.0.0.0:${PORTS.tigerbeetle}` : `${ip}:${PORTS.tigerbeetle}`))
    .join(",");
}

/** The init container's arguments after the script: action, data file, TigerBeetle flags. */
export function initArgs(
  settings: TigerBeetleConfig,
  replica: number,
  addresses: string,
): string[] {
  const action = missingFileAction(settings);
  // `format` and `recover` take `--development` too (Direct IO may be unavailable), per
  // tigerbeetle/tigerbeetle src/tigerbeetle/cli.zig (CLIArgs.Format, CLIArgs.Recover).
  const common = [
    `--cluster=${settings.clusterId}`,
    `--replica=${replica}`,
    `--replica-count=${settings.replicaCount}`,
    ...(settings.development ? ["--development"] : []),
  ];
  const flags = action === "format" ? common : [...common, `--addresses=${addresses}`];
  return [action, dataPath(settings, replica), ...flags];
}

/** The main container's arguments to the image's entrypoint (`tini -- /tigerbeetle`). */
export function startArgs(
  settings: TigerBeetleConfig,
  replica: number,
  addresses: string,
): string[] {
  return [
    "start",
    `--addresses=${addresses}`,
    `--cache-grid=${cacheGridSize(settings.resources.limits.memory)}`,
    ...(settings.development ? ["--development"] : []),
    dataPath(settings, replica),
  ];
}

function dataPath(settings: TigerBeetleConfig, replica: number): string {
  return `${DATA_DIR}/${dataFileName(settings.clusterId, replica)}`;
}

/** Startup: up to 10 minutes, since a recovering replica state-syncs before it listens. */
export const TIGERBEETLE_STARTUP: ProbeTiming = {
  initialDelaySeconds: 5,
  periodSeconds: 10,
  timeoutSeconds: 2,
  failureThreshold: 60,
};

/** Seconds a stopping replica gets; TigerBeetle's own writes are durable as they complete. */
export const TERMINATION_GRACE_SECONDS = 120;

/** The pod spec of replica `replica`. */
export function replicaPodSpec(
  settings: TigerBeetleConfig,
  app: string,
  serviceAccountName: string,
  image: string,
  replica: number,
  addresses: string,
): k8s.types.input.core.v1.PodSpec {
  const dataMount = [{ name: "data", mountPath: DATA_DIR }];
  return {
    serviceAccountName,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    securityContext: restrictedPodSecurityContext(ioUringSeccompProfile(settings.seccomp)),
    affinity: requireSpreadAcrossNodes(app),
    ...(spreadsAcrossZones(settings.replicaCount)
      ? { topologySpreadConstraints: spreadAcrossZones(app) }
      : {}),
    initContainers: [
      {
        name: "data-file",
        image,
        imagePullPolicy: "IfNotPresent",
        command: [
          "/bin/sh",
          "-c",
          INIT_SCRIPT,
          "data-file",
          ...initArgs(settings, replica, addresses),
        ],
        resources: settings.resources,
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: dataMount,
      },
    ],
    containers: [
      {
        name: "tigerbeetle",
        image,
        imagePullPolicy: "IfNotPresent",
        args: startArgs(settings, replica, addresses),
        ports: [{ name: "tigerbeetle", containerPort: PORTS.tigerbeetle, protocol: "TCP" }],
        resources: settings.resources,
        securityContext: restrictedContainerSecurityContext(),
        startupProbe: tcpProbe("tigerbeetle", TIGERBEETLE_STARTUP),
        livenessProbe: tcpProbe("tigerbeetle", LIVENESS),
        readinessProbe: tcpProbe("tigerbeetle", READINESS),
        volumeMounts: dataMount,
      },
    ],
  };
}
