/**
 * How the engine names what the Kubernetes provider registers: one rule for the program (the
 * destroy guard's dependencies) and for the offline render's stand-in for the provider
 * (scripts/mock-runtime.ts); the end-to-end tests hold both to the real engine's URNs.
 */

/** The provider's type token for a kind: `kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:Service`. */
export function kubernetesType(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** What a `yaml/v2` ConfigGroup child is named after: its identity in the group's text. */
export interface GroupObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/**
 * The resource name and URN of an object of a `yaml/v2` ConfigGroup, as the provider registers
 * it: named `<resourcePrefix>:<namespace>/<name>` (`<resourcePrefix>:<name>` when cluster-wide;
 * the prefix defaults to the group's name), a child of the group, of its kind's type.
 */
export function configGroupChild(
  groupUrn: string,
  resourcePrefix: string,
  object: GroupObject,
): { readonly type: string; readonly name: string; readonly urn: string } {
  const { name: objectName, namespace } = object.metadata;
  const type = kubernetesType(object.apiVersion, object.kind);
  const qualified = namespace === undefined ? objectName : `${namespace}/${objectName}`;
  const name = resourcePrefix === "" ? qualified : `${resourcePrefix}:${qualified}`;
  const typeChain = groupUrn.slice(0, groupUrn.lastIndexOf("::"));
  return { type, name, urn: `${typeChain}$${type}::${name}` };
}
