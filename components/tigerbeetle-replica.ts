import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
  TIGERBEETLE_PORT,
  TigerBeetleConfig,
  cacheGridSize,
  dataFileName,
} from "../stacks/services/tigerbeetle";
import { LIVENESS, READINESS, ProbeTiming, tcpProbe } from "./shared/probes";
import { ContainerDeclaration, hardenedPodSpec } from "./shared/pod";
import { ioUringException } from "../stacks/io-uring";
import {
  preferSpreadAcrossNodes,
  requireSpreadAcrossNodes,
  spreadAcrossZones,
} from "./shared/scheduling";
import { spreadsAcrossZones } from "../stacks/services/tigerbeetle";

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
const DATA_DIR = "/data";
/** The image's TigerBeetle binary. */
const BINARY = "/tigerbeetle";
/** Label that tells one replica's pod from the others; its Service selects on it. */
export const REPLICA_LABEL = "tigerbeetle.agent-platform.io/replica";

/**
 * The replica pod's init container. It exits 0 at once when the data file exists (a restart), and
 * otherwise rebuilds the replica from the cluster with `recover`. A replica pod never formats:
 * formatting belongs to the one-shot bootstrap Jobs (FORMAT_SCRIPT), which exist only for the
 * first `pulumi up` of a brand-new cluster. It runs in the image's busybox shell; the main
 * container does not.
 */
export const RECOVER_SCRIPT = [
  "set -eu",
  'file="$1"; shift',
  'if [ -e "$file" ]; then echo "data file $file exists: starting the replica"; exit 0; fi',
  'echo "data file $file missing in an existing cluster: recovering it from the other replicas"',
  `exec ${BINARY} recover "$@" "$file"`,
].join("\n");

/**
 * The bootstrap Job's script: formats the replica's data file once, and never over an existing
 * file (a Job that runs again finds the file and does nothing).
 */
export const FORMAT_SCRIPT = [
  "set -eu",
  'file="$1"; shift',
  'if [ -e "$file" ]; then echo "data file $file exists: already formatted, nothing to do"; exit 0; fi',
  'echo "bootstrap: formatting new data file $file"',
  `exec ${BINARY} format "$@" "$file"`,
].join("\n");

/** The address list replica `replica` is given: every replica's `ip:port`, its own as 0.0.0.0. */
export function replicaAddresses(ips: readonly string[], replica: number): string {
  return ips
    .map((ip, i) => (i === replica ? `0.0.0.0:${TIGERBEETLE_PORT}` : `${ip}:${TIGERBEETLE_PORT}`))
    .join(",");
}

/** Flags `format` and `recover` share; both take `--development` too (src/tigerbeetle/cli.zig). */
function clusterFlags(settings: TigerBeetleConfig, replica: number): string[] {
  return [
    `--cluster=${settings.clusterId}`,
    `--replica=${replica}`,
    `--replica-count=${settings.replicaCount}`,
    ...(settings.development ? ["--development"] : []),
  ];
}

/** RECOVER_SCRIPT's arguments: the data file, then `recover`'s flags, `--addresses` included. */
function recoverArgs(settings: TigerBeetleConfig, replica: number, addresses: string): string[] {
  return [
    dataPath(settings, replica),
    ...clusterFlags(settings, replica),
    `--addresses=${addresses}`,
  ];
}

/** FORMAT_SCRIPT's arguments: the data file, then `format`'s flags (no addresses). */
function formatArgs(settings: TigerBeetleConfig, replica: number): string[] {
  return [dataPath(settings, replica), ...clusterFlags(settings, replica)];
}

/** The main container's arguments to the image's entrypoint (`tini -- /tigerbeetle`). */
function startArgs(settings: TigerBeetleConfig, replica: number, addresses: string): string[] {
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
const TIGERBEETLE_STARTUP: ProbeTiming = {
  initialDelaySeconds: 5,
  periodSeconds: 10,
  timeoutSeconds: 2,
  failureThreshold: 60,
};

/** Seconds a stopping replica gets; TigerBeetle's own writes are durable as they complete. */
const TERMINATION_GRACE_SECONDS = 120;

/** What a TigerBeetle pod needs besides its command: the same for replicas and bootstrap Jobs. */
export interface PodContext {
  readonly settings: TigerBeetleConfig;
  readonly serviceAccountName: string;
  readonly image: string;
  /** The replica's PersistentVolumeClaim, created by the stack (not by the StatefulSet). */
  readonly claimName: pulumi.Input<string>;
}

const DATA_MOUNT = [{ name: "data", mountPath: DATA_DIR }];

/** A shell step in TigerBeetle's image, with the data volume: the replica's init, or a Job. */
function scriptContainer(
  ctx: PodContext,
  name: string,
  script: string,
  args: string[],
): ContainerDeclaration {
  return {
    name,
    image: ctx.image,
    command: ["/bin/sh", "-c", script, name, ...args],
    resources: ctx.settings.resources,
    volumeMounts: DATA_MOUNT,
  };
}

/** What every TigerBeetle pod declares: identity, the io_uring seccomp exception, the data volume. */
function podBase(ctx: PodContext) {
  return {
    serviceAccountName: ctx.serviceAccountName,
    seccompProfile: ioUringException(ctx.settings.seccomp).seccompProfile,
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: ctx.claimName } }],
  };
}

/** The pod spec of replica `replica`: recover if its data file is missing, then start. */
export function replicaPodSpec(
  ctx: PodContext,
  app: string,
  replica: number,
  addresses: string,
): k8s.types.input.core.v1.PodSpec {
  const { settings } = ctx;
  return hardenedPodSpec({
    ...podBase(ctx),
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    placement: placementOf(settings, app),
    initContainers: [
      scriptContainer(ctx, "data-file", RECOVER_SCRIPT, recoverArgs(settings, replica, addresses)),
    ],
    containers: [
      {
        name: "tigerbeetle",
        image: ctx.image,
        args: startArgs(settings, replica, addresses),
        ports: [{ name: "tigerbeetle", containerPort: TIGERBEETLE_PORT }],
        resources: settings.resources,
        probes: {
          startup: tcpProbe("tigerbeetle", TIGERBEETLE_STARTUP),
          liveness: tcpProbe("tigerbeetle", LIVENESS),
          readiness: tcpProbe("tigerbeetle", READINESS),
        },
        volumeMounts: DATA_MOUNT,
      },
    ],
  });
}

/**
 * The pod spec of replica `replica`'s bootstrap Job: format its data file unless it exists. The
 * Job pods spread over zones like the replicas do: with `WaitForFirstConsumer` storage, the Job
 * is the volume's first consumer and so decides the zone the replica will run in.
 */
export function formatPodSpec(
  ctx: PodContext,
  formatApp: string,
  replica: number,
): k8s.types.input.core.v1.PodSpec {
  return hardenedPodSpec({
    ...podBase(ctx),
    restartPolicy: "Never",
    placement: zoneSpreadOf(ctx.settings, formatApp),
    containers: [scriptContainer(ctx, "format", FORMAT_SCRIPT, formatArgs(ctx.settings, replica))],
  });
}

/** Node and zone rules of a replica's pod, from `tigerbeetle.placement`. */
function placementOf(
  settings: TigerBeetleConfig,
  app: string,
): Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints"> {
  const affinity =
    settings.placement.nodes === "required"
      ? requireSpreadAcrossNodes(app)
      : preferSpreadAcrossNodes(app);
  return { affinity, ...zoneSpreadOf(settings, app) };
}

/** The zone spread, when on and when there are at least 3 replicas to spread. */
function zoneSpreadOf(
  settings: TigerBeetleConfig,
  app: string,
): Pick<k8s.types.input.core.v1.PodSpec, "topologySpreadConstraints"> {
  const { zones } = settings.placement;
  if (zones === "off" || !spreadsAcrossZones(settings.replicaCount)) return {};
  return { topologySpreadConstraints: spreadAcrossZones(app, zones) };
}
