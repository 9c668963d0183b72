import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { pullPolicy } from "../../stacks/images";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./security";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;
type Volume = k8s.types.input.core.v1.Volume;

/**
 * The one pod builder: every pod of the stack (the platform services', TigerBeetle's replicas and
 * format Jobs, the kgents agents') is declared as what it runs, and gets the same hardening here:
 * restricted security contexts with a read-only root filesystem, no API token, the pull policy
 * its image calls for, its requests and limits, and its probes. An exception (TigerBeetle's
 * seccomp) is an argument its caller names, never a second builder.
 */

/** A container as a workload declares it: what it runs, with what, and how it is probed. */
export interface ContainerDeclaration {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: readonly { readonly name: string; readonly containerPort: number }[];
  readonly env?: readonly k8s.types.input.core.v1.EnvVar[];
  readonly envFrom?: readonly k8s.types.input.core.v1.EnvFromSource[];
  readonly resources: k8s.types.input.core.v1.ResourceRequirements;
  /** Required of every long-running container (policy pack); none for a Job's one step. */
  readonly probes?: {
    readonly startup: Probe;
    readonly liveness: Probe;
    readonly readiness: Probe;
  };
  readonly volumeMounts: readonly k8s.types.input.core.v1.VolumeMount[];
}

/** A pod as a workload declares it. */
export interface PodDeclaration {
  readonly serviceAccountName?: pulumi.Input<string>;
  readonly terminationGracePeriodSeconds?: number;
  readonly restartPolicy?: "Never";
  /** Replaces RuntimeDefault, only where the caller names why (io_uring). */
  readonly seccompProfile?: k8s.types.input.core.v1.SeccompProfile;
  /** Where its pods may run: node affinity and zone spread. */
  readonly placement: Pick<PodSpec, "affinity" | "topologySpreadConstraints">;
  readonly initContainers?: readonly ContainerDeclaration[];
  readonly containers: readonly ContainerDeclaration[];
  readonly volumes: readonly Volume[];
}

/** A pod spec with every container hardened the same way. */
export function hardenedPodSpec(pod: PodDeclaration): PodSpec {
  return {
    ...(pod.serviceAccountName === undefined ? {} : { serviceAccountName: pod.serviceAccountName }),
    automountServiceAccountToken: false,
    ...(pod.terminationGracePeriodSeconds === undefined
      ? {}
      : { terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds }),
    ...(pod.restartPolicy === undefined ? {} : { restartPolicy: pod.restartPolicy }),
    securityContext: restrictedPodSecurityContext(pod.seccompProfile),
    ...pod.placement,
    ...(pod.initContainers === undefined
      ? {}
      : { initContainers: pod.initContainers.map(hardenedContainer) }),
    containers: pod.containers.map(hardenedContainer),
    volumes: [...pod.volumes],
  };
}

/** One container with the hardening every container gets. */
function hardenedContainer(c: ContainerDeclaration): Container {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: pullPolicy(c.image),
    ...(c.command === undefined ? {} : { command: [...c.command] }),
    ...(c.args === undefined ? {} : { args: [...c.args] }),
    ...(c.ports === undefined ? {} : { ports: c.ports.map((p) => ({ ...p, protocol: "TCP" })) }),
    ...(c.env === undefined ? {} : { env: [...c.env] }),
    ...(c.envFrom === undefined ? {} : { envFrom: [...c.envFrom] }),
    resources: c.resources,
    securityContext: restrictedContainerSecurityContext(),
    ...(c.probes === undefined
      ? {}
      : {
          startupProbe: c.probes.startup,
          livenessProbe: c.probes.liveness,
          readinessProbe: c.probes.readiness,
        }),
    volumeMounts: [...c.volumeMounts],
  };
}

/**
 * A writable emptyDir, for a read-only root filesystem's scratch (`/tmp`, an agent's `/state`),
 * with a size limit the container's ephemeral-storage limit holds.
 */
export function scratchVolume(name: string, sizeLimit: string): Volume {
  return { name, emptyDir: { sizeLimit } };
}
