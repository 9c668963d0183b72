import type {
  Policies,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
} from "@pulumi/policy";
import { KubeObject, OBJECT_CHECKS, STACK_CHECKS } from "./policies";

/**
 * The checks of `policies.ts` as CrossGuard policies, all mandatory. Object checks run on every
 * `kubernetes:*` resource's inputs; stack checks run once over every Kubernetes object of the
 * stack, after everything is registered: in `pulumi up` that is after the changes, so a stack
 * violation fails the update without preventing it; preview first (CI does). During a preview, a value that is not known yet (a pod spec built from Service IPs that
 * do not exist yet) makes the engine report that the policy could not run, as advisory; `pulumi
 * up` checks the same resource with its values known.
 */

/** Whether a resource is a Kubernetes object (not a provider, component or Helm chart). */
function asKubeObject(type: string, props: Record<string, unknown>): KubeObject | undefined {
  return type.startsWith("kubernetes:") &&
    typeof props.apiVersion === "string" &&
    typeof props.kind === "string"
    ? (props as unknown as KubeObject)
    : undefined;
}

export const policies: Policies = [
  ...OBJECT_CHECKS.map((c) => ({
    name: c.name,
    description: c.description,
    enforcementLevel: "mandatory" as const,
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      const object = asKubeObject(args.type, args.props);
      if (object !== undefined) c.check(object).forEach((message) => reportViolation(message));
    },
  })),
  ...STACK_CHECKS.map((c) => ({
    name: c.name,
    description: c.description,
    enforcementLevel: "mandatory" as const,
    validateStack: (args: { resources: PolicyResource[] }, reportViolation: ReportViolation) => {
      const objects = args.resources
        .map((r) => asKubeObject(r.type, r.props))
        .filter((o): o is KubeObject => o !== undefined);
      c.check(objects).forEach((message) => reportViolation(message));
    },
  })),
];
