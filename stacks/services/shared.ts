import { ComputeResources, Resources, withStorage } from "../schema-parts";

/**
 * What the service records' defaults share: the ephemeral storage of a platform service's
 * container (its writable layer, its logs and its `/tmp` emptyDir of 64Mi, which the limit holds
 * with room to spare), added to the CPU and memory each environment gives it.
 */
const SERVICE_STORAGE = { request: "128Mi", limit: "512Mi" } as const;

/** A service's CPU and memory, with a platform service's ephemeral storage (or `storage`). */
export function plusStorage(
  compute: ComputeResources,
  storage: { readonly request: string; readonly limit: string } = SERVICE_STORAGE,
): Resources {
  return withStorage(compute, storage);
}
