/**
 * Validates objects against the Kubernetes OpenAPI schema, using the generated validators of
 * `kubernetes-models` (one module per API group and version).
 */
import type { Manifest } from "../scripts/render-lib";

interface ModelClass {
  new (data: unknown): { validate(): void };
}

function groupModule(apiVersion: string): string {
  // "v1" is the core group; "apps/v1" and "networking.k8s.io/v1" map to folders of the same name.
  return `kubernetes-models/${apiVersion}`;
}

/** Returns the schema errors of one object, or [] when it is valid. */
export function schemaErrors(manifest: Manifest): string[] {
  let model: ModelClass | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const group = require(groupModule(manifest.apiVersion)) as Record<string, ModelClass>;
    model = group[manifest.kind];
  } catch {
    model = undefined;
  }
  if (model === undefined)
    return [`no Kubernetes schema for ${manifest.apiVersion} ${manifest.kind}`];
  try {
    new model(manifest).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** True for kinds that the Kubernetes API itself defines (custom resources are checked elsewhere). */
export function isBuiltIn(manifest: Manifest): boolean {
  return !manifest.apiVersion.includes(".") || manifest.apiVersion.includes(".k8s.io/");
}
