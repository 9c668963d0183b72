import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KEPT, formerType } from "./kept";
import { podSecurityLabels } from "./security";

/** A platform namespace: its name, Pod Security level, and the labels and annotations it carries. */
interface NamespaceSpec {
  readonly name: string;
  /** Enforced by Pod Security Admission: "restricted" unless its creator names an exception. */
  readonly podSecurity: "restricted" | "baseline" | "privileged";
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** A namespace of the platform, with its Pod Security Admission level enforced. */
export function platformNamespace(
  resourceName: string,
  spec: NamespaceSpec,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(resourceName, namespaceArgs(spec), opts);
}

/**
 * A platform namespace that `pulumi destroy` leaves and the next `up` adopts (`kept.ts`):
 * TigerBeetle's, since deleting a namespace deletes the data claims in it.
 */
export function keptNamespace(
  resourceName: string,
  spec: NamespaceSpec,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.NamespacePatch {
  return new k8s.core.v1.NamespacePatch(resourceName, namespaceArgs(spec), {
    ...opts,
    ...KEPT,
    ...formerType("kubernetes:core/v1:Namespace"),
  });
}

function namespaceArgs({ name, podSecurity, labels, annotations }: NamespaceSpec) {
  return {
    metadata: { name, labels: { ...labels, ...podSecurityLabels(podSecurity) }, annotations },
  };
}
