import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../stacks/topology";
import { appLabels, commonAnnotations } from "./shared/labels";
import { platformNamespace } from "./shared/namespace";
import { defaultDenyPolicy } from "./shared/network";

type LimitRangeItem = k8s.types.input.core.v1.LimitRangeItem;

/**
 * The kgents design document's LimitRanges: what a container gets when it sets no requests or
 * limits, and (in `kgents-ephemeral`) the most it may ask for; ephemeral storage added, since the
 * namespaces' ResourceQuotas count it (a pod without it would be refused).
 */
const KGENTS_LIMIT_RANGES: Readonly<Record<"agents" | "ephemeral", LimitRangeItem>> = {
  agents: {
    type: "Container",
    default: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "1536Mi" },
    defaultRequest: { cpu: "50m", memory: "128Mi", "ephemeral-storage": "256Mi" },
  },
  ephemeral: {
    type: "Container",
    default: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "512Mi" },
    defaultRequest: { cpu: "25m", memory: "64Mi", "ephemeral-storage": "128Mi" },
    max: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "1Gi" },
  },
};

/** The name of each kgents namespace's ResourceQuota, the stack's budget there. */
export const KGENTS_QUOTA_NAME = "kgents-budget";

export interface KgentsNamespacesArgs {
  /** Written as the `environment` annotation on every object. */
  readonly environment: string;
  /** Names of the two namespaces (`topology.kgents`). */
  readonly topology: Topology;
  /** The ResourceQuota of each namespace (`spec.hard`), from `quotaHard`. */
  readonly quotas: Readonly<Record<"agents" | "ephemeral", Record<string, string>>>;
}

/**
 * The kgents namespaces: `kgents-agents` (the agents of `spec/agents/`) and `kgents-ephemeral`
 * (short-lived agents started at run time), each with Pod Security `restricted`, its
 * LimitRange (defaults for containers that set no resources), its ResourceQuota (the stack's
 * budget) and a default-deny NetworkPolicy.
 */
export class KgentsNamespaces extends pulumi.ComponentResource {
  public readonly agents: k8s.core.v1.Namespace;
  public readonly ephemeral: k8s.core.v1.Namespace;

  constructor(name: string, args: KgentsNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("agent-platform:index:KgentsNamespaces", name, {}, opts);
    const annotations = commonAnnotations(args.environment);
    const child = { parent: this };
    const make = (key: "agents" | "ephemeral"): k8s.core.v1.Namespace => {
      const namespaceName = args.topology.kgents[key];
      const labels = appLabels("kgents", `kgents-${key}`);
      const namespace = platformNamespace(
        `${name}-${key}`,
        { name: namespaceName, podSecurity: "restricted", labels, annotations },
        child,
      );
      new k8s.core.v1.LimitRange(
        `${name}-${key}-limits`,
        {
          metadata: {
            name: "kgents-limits",
            namespace: namespace.metadata.name,
            labels,
            annotations,
          },
          spec: { limits: [KGENTS_LIMIT_RANGES[key]] },
        },
        child,
      );
      // A budget change patches the quota in place: running pods are not restarted.
      new k8s.core.v1.ResourceQuota(
        `${name}-${key}-budget`,
        {
          metadata: {
            name: KGENTS_QUOTA_NAME,
            namespace: namespace.metadata.name,
            labels,
            annotations,
          },
          spec: { hard: args.quotas[key] },
        },
        child,
      );
      defaultDenyPolicy(`${name}-${key}-default-deny`, namespace.metadata.name, annotations, child);
      return namespace;
    };
    this.agents = make("agents");
    this.ephemeral = make("ephemeral");
    this.registerOutputs({});
  }
}
