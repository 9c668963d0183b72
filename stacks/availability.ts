/**
 * How every workload stays available through rollouts and voluntary disruptions: one rollout
 * and one disruption rule, for the platform's services, TigerBeetle and the kgents agents alike.
 * Pure data and functions: the components write them, the budgets count the rollout's surge pod.
 */

/**
 * The rolling update of every Deployment: a new pod first, then an old one goes, so a rollout
 * never drops below the desired count. Budgets count the surge pod (`kgents/budget.ts`).
 */
export const ROLLING_UPDATE = { maxUnavailable: 0, maxSurge: 1 } as const;

/** A PodDisruptionBudget's rule: how many pods a drain must leave, or may take. */
type DisruptionRule = { readonly minAvailable: number } | { readonly maxUnavailable: 1 };

/**
 * The one disruption rule. With two or more replicas a drain evicts pods only while `keep` of
 * them serve: one for a stateless workload (Story 23.2's `minAvailable: 1`), a quorum for
 * TigerBeetle (`quorumSize`). With one replica, `minAvailable: 1` would block every drain and node
 * upgrade for good, so the budget becomes `maxUnavailable: 1`: the drain evicts the pod, and its
 * controller starts it again elsewhere. Every workload gets one, one replica included.
 */
export function disruptionRule(replicas: number, keep: number = 1): DisruptionRule {
  return replicas >= 2 ? { minAvailable: keep } : { maxUnavailable: 1 };
}
