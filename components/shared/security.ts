import * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type SeccompProfile = k8s.types.input.core.v1.SeccompProfile;

/** The uid and gid the platform's own images run as. */
const APP_UID = 1000;

/** The seccomp profile every pod gets unless an exception is named where it is made. */
const RUNTIME_DEFAULT_SECCOMP: SeccompProfile = { type: "RuntimeDefault" };

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
