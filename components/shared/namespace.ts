import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podSecurityLabels } from "./security";

/**
 * A namespace of the platform, with its Pod Security Admission level enforced. Every namespace
 * is "restricted" unless its creator names and explains an exception.
 */
export function platformNamespace(
  resourceName: string,
  name: string,
  podSecurity: "restricted" | "baseline" | "privileged",
  labels: Record<string, string>,
  annotations: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    resourceName,
    { metadata: { name, labels: { ...labels, ...podSecurityLabels(podSecurity) }, annotations } },
    opts,
  );
}
