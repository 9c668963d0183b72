import type { Resources } from "../schema-parts";

/**
 * What the service records' defaults share: the ephemeral storage of a platform service's
 * container (its writable layer, its logs and its `/tmp` emptyDir of 64Mi, which the limit holds
 * with room to spare), added to the CPU and memory each environment gives it.
 */
const SERVICE_STORAGE = { request: "128Mi", limit: "512Mi" } as const;

/** CPU and memory requests and limits, with an ephemeral-storage request and limit added. */
export function plusStorage(
  compute: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  },
  storage: { readonly request: string; readonly limit: string } = SERVICE_STORAGE,
): Resources {
  return {
    requests: { ...compute.requests, "ephemeral-storage": storage.request },
    limits: { ...compute.limits, "ephemeral-storage": storage.limit },
  };
}
