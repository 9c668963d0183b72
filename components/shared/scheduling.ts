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
