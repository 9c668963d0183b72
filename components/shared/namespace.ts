import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KEPT, formerType } from "./kept";
import { podSecurityLabels } from "./security";

/**
 * A namespace of the platform, with its Pod Security Admission level enforced. Every namespace
 * is "restricted" unless its creator names and explains an exception.
 */
export function platformNamespace(
  resourceName: string,
  name: string,
  podSecurity: PodSecurityLevel,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    resourceName,
    namespaceArgs(name, podSecurity, labels, annotations),
    opts,
  );
}

/**
 * A platform namespace that `pulumi destroy` leaves and the next `up` adopts (`kept.ts`):
 * TigerBeetle's, since deleting a namespace deletes the data claims in it.
 */
export function keptNamespace(
  resourceName: string,
  name: string,
  podSecurity: PodSecurityLevel,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.NamespacePatch {
  return new k8s.core.v1.NamespacePatch(
    resourceName,
    namespaceArgs(name, podSecurity, labels, annotations),
    { ...opts, ...KEPT, ...formerType("kubernetes:core/v1:Namespace") },
  );
}

type PodSecurityLevel = "restricted" | "baseline" | "privileged";

function namespaceArgs(
  name: string,
  podSecurity: PodSecurityLevel,
  labels: Record<string, string>,
  annotations: Record<string, string>,
) {
  return {
    metadata: { name, labels: { ...labels, ...podSecurityLabels(podSecurity) }, annotations },
  };
}
