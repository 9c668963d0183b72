import * as k8s from "@pulumi/kubernetes";
import type { IoUringSeccomp } from "../../stacks/tigerbeetle";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type SeccompProfile = k8s.types.input.core.v1.SeccompProfile;

/** The uid and gid the platform's own images run as. */
export const APP_UID = 1000;

/** The seccomp profile every pod gets unless an exception is named where it is made. */
export const RUNTIME_DEFAULT_SECCOMP: SeccompProfile = { type: "RuntimeDefault" };

/**
 * Pod security context that meets the Pod Security Standards "restricted" level: non-root
 * uid/gid 1000 and a seccomp profile. `seccompProfile` may be replaced only by a caller that
 * documents why (TigerBeetle needs io_uring).
 */
export function restrictedPodSecurityContext(
  seccompProfile: SeccompProfile = RUNTIME_DEFAULT_SECCOMP,
): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: APP_UID,
    runAsGroup: APP_UID,
    fsGroup: APP_UID,
    seccompProfile,
  };
}

/** Container security context of the "restricted" level, with a read-only root filesystem. */
export function restrictedContainerSecurityContext(): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
  };
}

/** Pod Security Admission labels that enforce, audit and warn at one level. */
export function podSecurityLabels(
  level: "restricted" | "baseline" | "privileged",
): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/audit": level,
    "pod-security.kubernetes.io/warn": level,
  };
}

/**
 * The seccomp profile of a pod that runs TigerBeetle or a TigerBeetle client (the connector).
 * Both use io_uring, which the RuntimeDefault profile of containerd and Docker 25+ blocks, and
 * TigerBeetle has no fallback (../shared/design/domain-notes.md). This is the one named
 * exception to RUNTIME_DEFAULT_SECCOMP; the stack config chooses `unconfined` or a `localhost`
 * profile (a path relative to the kubelet's seccomp directory, installed on every node).
 */
export function ioUringSeccompProfile(setting: IoUringSeccomp): SeccompProfile {
  return setting.type === "localhost" && setting.localhostProfile !== undefined
    ? { type: "Localhost", localhostProfile: setting.localhostProfile }
    : { type: "Unconfined" };
}

/**
 * The pod annotation that names the io_uring seccomp exception. The policy pack (`policy/`)
 * refuses an `Unconfined` seccomp profile on any pod whose template does not carry it with the
 * value `SECCOMP_EXCEPTION_IO_URING`, so the exception is visible on the pod and nowhere implied.
 */
export const SECCOMP_EXCEPTION_ANNOTATION = "agent-platform.io/seccomp-exception";
export const SECCOMP_EXCEPTION_IO_URING = "io-uring";

/**
 * The annotations a pod with `ioUringSeccompProfile(setting)` carries: the named exception when
 * the profile is `Unconfined`; none with a `localhost` profile, which is no exception.
 */
export function ioUringPodAnnotations(setting: IoUringSeccomp): Record<string, string> {
  return setting.type === "unconfined"
    ? { [SECCOMP_EXCEPTION_ANNOTATION]: SECCOMP_EXCEPTION_IO_URING }
    : {};
}

/**
 * The Pod Security level a namespace needs for pods with `ioUringSeccompProfile(setting)`.
 * "baseline" and "restricted" both forbid an explicit `Unconfined` seccomp profile, so
 * `unconfined` needs "privileged" (the pods themselves still use the restricted contexts
 * above); a `localhost` profile is allowed by "restricted".
 */
export function ioUringPodSecurityLevel(setting: IoUringSeccomp): "restricted" | "privileged" {
  return setting.type === "unconfined" ? "privileged" : "restricted";
}
