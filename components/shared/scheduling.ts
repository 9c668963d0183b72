import * as k8s from "@pulumi/kubernetes";
import { selectorLabels } from "./labels";

/** Prefer one pod of an app per node: replicas survive a node loss when the cluster allows. */
export function preferSpreadAcrossNodes(app: string): k8s.types.input.core.v1.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchLabels: selectorLabels(app) },
          },
        },
      ],
    },
  };
}

/** Never two pods of an app on one node: a node loss costs at most one replica. */
export function requireSpreadAcrossNodes(app: string): k8s.types.input.core.v1.Affinity {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          topologyKey: "kubernetes.io/hostname",
          labelSelector: { matchLabels: selectorLabels(app) },
        },
      ],
    },
  };
}

/**
 * An app's pods spread evenly over zones (at most one more in any zone). `required`: a pod that
 * cannot keep the spread (or finds no node with a zone label) stays Pending; `preferred`: the
 * scheduler tries, then places it anyway.
 */
export function spreadAcrossZones(
  app: string,
  mode: "required" | "preferred" = "required",
): k8s.types.input.core.v1.TopologySpreadConstraint[] {
  return [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: mode === "required" ? "DoNotSchedule" : "ScheduleAnyway",
      labelSelector: { matchLabels: selectorLabels(app) },
    },
  ];
}
