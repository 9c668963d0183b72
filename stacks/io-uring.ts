import type * as k8s from "@pulumi/kubernetes";
import { z } from "zod";

/**
 * io_uring, as data about the services that use it: TigerBeetle and its client in the connector.
 * Both use io_uring, which the RuntimeDefault seccomp profile of containerd and Docker 25+
 * blocks, and TigerBeetle has no fallback (../shared/design/domain-notes.md). This is the one
 * named exception to the RuntimeDefault profile every other pod runs with: the stack config
 * (`tigerbeetle.seccomp`) chooses `unconfined`, or a `localhost` profile installed on every node.
 */

type SeccompProfile = k8s.types.input.core.v1.SeccompProfile;

/** Seccomp profile that lets TigerBeetle (and its clients) use io_uring. */
export const ioUringSeccompSchema = z
  .strictObject({
    /**
     * `unconfined`: no seccomp filter, which needs the namespace at Pod Security level
     * `privileged`; `localhost`: a profile installed on every node under the kubelet's seccomp
     * directory, allowed by `restricted`.
     */
    type: z.enum(["unconfined", "localhost"]),
    /** With `localhost` only: the profile's path relative to the kubelet's seccomp directory. */
    localhostProfile: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\.json$/,
        'expected a relative profile path such as "profiles/io-uring.json"',
      )
      .refine(
        (path) => !path.split("/").some((part) => part === "." || part === ".."),
        'expected a path without "." or ".." segments (the kubelet refuses them)',
      )
      .optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.type === "localhost") !== (value.localhostProfile !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["localhostProfile"],
        input: value.localhostProfile,
        message:
          value.type === "localhost"
            ? 'expected a profile path with type "localhost"'
            : 'expected no profile path with type "unconfined"',
      });
    }
  });
export type IoUringSeccomp = z.infer<typeof ioUringSeccompSchema>;

/**
 * The seccomp profile of a pod that runs TigerBeetle or a TigerBeetle client (the connector):
 * `Unconfined`, or the `localhost` profile (a path relative to the kubelet's seccomp directory).
 */
function ioUringSeccompProfile(setting: IoUringSeccomp): SeccompProfile {
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
function ioUringPodAnnotations(setting: IoUringSeccomp): Record<string, string> {
  return setting.type === "unconfined"
    ? { [SECCOMP_EXCEPTION_ANNOTATION]: SECCOMP_EXCEPTION_IO_URING }
    : {};
}

/**
 * The Pod Security level a namespace needs for pods with `ioUringSeccompProfile(setting)`.
 * "baseline" and "restricted" both forbid an explicit `Unconfined` seccomp profile, so
 * `unconfined` needs "privileged" (the pods themselves still use the restricted contexts of
 * components/shared/pod.ts); a `localhost` profile is allowed by "restricted".
 */
function ioUringPodSecurityLevel(setting: IoUringSeccomp): "restricted" | "privileged" {
  return setting.type === "unconfined" ? "privileged" : "restricted";
}

/** The io_uring exception of a pod that runs TigerBeetle or its client, its three parts together. */
export interface IoUringException {
  /** Its namespace's Pod Security level. */
  readonly podSecurity: "restricted" | "privileged";
  /** Its pod's seccomp profile, in place of RuntimeDefault. */
  readonly seccompProfile: SeccompProfile;
  /** Its pod template's annotations: the named exception where the profile is Unconfined. */
  readonly podAnnotations: Record<string, string>;
}

/** The exception `setting` (the ledger's `seccomp`) makes, as every such pod and namespace has it. */
export function ioUringException(setting: IoUringSeccomp): IoUringException {
  return {
    podSecurity: ioUringPodSecurityLevel(setting),
    seccompProfile: ioUringSeccompProfile(setting),
    podAnnotations: ioUringPodAnnotations(setting),
  };
}
