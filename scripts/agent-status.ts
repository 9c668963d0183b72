/**
 * `npm run agents`: each kgents agent as it runs, one line each (what the operator's
 * `kgents infra status` gave): its genus, the replicas its Deployment wants and has ready, the
 * images of its containers, whether it has the D-gent sidecar, whom its NetworkPolicy lets it call
 * and be called by, and the last restart or failure of its pods (or why pods are missing). Pure
 * functions over what `kubectl get` returned; `scripts/agents.ts` reads the cluster.
 */
import { GENUS_LABEL, LOGIC_CONTAINER, SIDECAR_CONTAINER } from "../components/agent";
import { SELECTOR_LABEL } from "../components/shared/labels";
import { agentApp } from "../stacks/topology";
import type { PlannedAgentName } from "./stack-plan";
import { AGENTS_SCHEMA_VERSION, AgentStatus, AgentsReport } from "./report-schemas";
import {
  ContainerStatus,
  Deployment,
  NamespaceObjects,
  NetworkPolicy,
  NetworkPolicyPeer,
  Pod,
} from "./live-objects";
import { table } from "./table";

type Issue = NonNullable<AgentStatus["issue"]>;
/** What a container, a pod or the Deployment reports; its agent's restarts are added after. */
type Found = Omit<Issue, "restarts">;

/** Every container status of a pod, its init containers' first. */
function statusesOf(pod: Pod): ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The genera a policy's peers select, by their pods' app label; and whether one is the internet. */
function peersOf(
  peers: readonly NetworkPolicyPeer[],
  agents: readonly PlannedAgentName[],
): { genera: string[]; internet: boolean } {
  const genera = peers.flatMap((p) => {
    const app = p.podSelector?.matchLabels?.[SELECTOR_LABEL];
    const agent = agents.find((a) => agentApp(a.genus) === app);
    return agent === undefined ? [] : [agent.genus];
  });
  return { genera, internet: peers.some((p) => p.ipBlock?.cidr === "0.0.0.0/0") };
}

/** Whom an agent's NetworkPolicy lets it call (`to`) and be called by (`from`). */
export function policyPeers(
  policy: NetworkPolicy | undefined,
  agents: readonly PlannedAgentName[],
): AgentStatus["peers"] {
  const out = peersOf(
    (policy?.spec.egress ?? []).flatMap((r) => r.to ?? []),
    agents,
  );
  const inbound = peersOf(
    (policy?.spec.ingress ?? []).flatMap((r) => r.from ?? []),
    agents,
  );
  const sorted = (genera: string[]) => [...new Set(genera)].sort();
  return { to: sorted(out.genera), from: sorted(inbound.genera), internet: out.internet };
}

/** What a container status says went wrong: waiting now, or the last time it stopped. */
function containerIssues(pod: Pod, status: ContainerStatus): Found[] {
  const object = `Pod/${pod.metadata.name}`;
  const restarts = status.restartCount ?? 0;
  const issues: Found[] = [];
  const waiting = status.state?.waiting;
  if (waiting?.reason !== undefined && waiting.reason !== "ContainerCreating") {
    const message = `${status.name}: ${waiting.message ?? waiting.reason}`;
    issues.push({ time: null, object, reason: waiting.reason, message });
  }
  for (const terminated of [status.state?.terminated, status.lastState?.terminated]) {
    if (terminated === undefined || (terminated.reason === "Completed" && restarts === 0)) continue;
    const exit = terminated.exitCode === undefined ? "" : ` (exit code ${terminated.exitCode})`;
    issues.push({
      time: terminated.finishedAt ?? null,
      object,
      reason: terminated.reason ?? "Terminated",
      message: `${status.name}: ${terminated.message ?? "terminated"}${exit}`,
    });
  }
  return issues;
}

/** A pod that failed (evicted), or that waits unscheduled, as an issue. */
function podIssues(pod: Pod): Found[] {
  const object = `Pod/${pod.metadata.name}`;
  if (pod.status?.phase === "Failed") {
    const message = pod.status.message ?? "the pod failed";
    return [{ time: null, object, reason: pod.status.reason ?? "Failed", message }];
  }
  const unscheduled = pod.status?.conditions?.find(
    (c) => c.type === "PodScheduled" && c.status === "False",
  );
  if (unscheduled === undefined) return [];
  return [
    {
      time: unscheduled.lastTransitionTime ?? null,
      object,
      reason: unscheduled.reason ?? "Unschedulable",
      message: unscheduled.message ?? "",
    },
  ];
}

/** Pods the Deployment could not create (`ReplicaFailure`: a quota, a policy refused them). */
function deploymentIssues(deployment: Deployment | undefined): Found[] {
  const failure = deployment?.status?.conditions?.find(
    (c) => c.type === "ReplicaFailure" && c.status === "True",
  );
  if (deployment === undefined || failure === undefined) return [];
  return [
    {
      time: failure.lastTransitionTime ?? null,
      object: `Deployment/${deployment.metadata.name}`,
      reason: failure.reason ?? "ReplicaFailure",
      message: failure.message ?? "",
    },
  ];
}

/**
 * The agent's issue to show: the most recent of what its Deployment and pods report, a present
 * one (no time: waiting now, failed) first, with the restarts of every container of its pods.
 */
export function lastIssue(pods: readonly Pod[], deployment: Deployment | undefined): Issue | null {
  const issues = [
    ...deploymentIssues(deployment),
    ...pods.flatMap((pod) => [
      ...podIssues(pod),
      ...statusesOf(pod).flatMap((s) => containerIssues(pod, s)),
    ]),
  ];
  if (issues.length === 0) return null;
  const rank = (i: Found) => i.time ?? "9999"; // present problems sort as the newest
  const newest = [...issues].sort((a, b) => rank(b).localeCompare(rank(a)))[0];
  const restarts = pods.flatMap(statusesOf).reduce((n, s) => n + (s.restartCount ?? 0), 0);
  return { ...newest, restarts };
}

/** One agent's status from its Deployment, NetworkPolicy and pods. */
function agentStatus(
  agent: PlannedAgentName,
  agents: readonly PlannedAgentName[],
  objects: NamespaceObjects,
): AgentStatus {
  const deployment = objects.deployments.find((d) => d.metadata.name === agent.deployment);
  const policy = objects.networkPolicies.find((p) => p.metadata.name === agent.deployment);
  const pods = objects.pods.filter((p) => p.metadata.labels?.[GENUS_LABEL] === agent.genus);
  const containers = deployment?.spec.template.spec.containers ?? [];
  const imageOf = (name: string) => containers.find((c) => c.name === name)?.image ?? null;
  return {
    name: agent.name,
    genus: agent.genus,
    deployment: agent.deployment,
    desired: deployment === undefined ? null : (deployment.spec.replicas ?? 1),
    ready: deployment?.status?.readyReplicas ?? 0,
    updated: deployment?.status?.updatedReplicas ?? 0,
    image: imageOf(LOGIC_CONTAINER),
    sidecar: imageOf(SIDECAR_CONTAINER),
    peers: policyPeers(policy, agents),
    issue:
      deployment === undefined
        ? {
            time: null,
            object: `Deployment/${agent.deployment}`,
            reason: "Missing",
            message: "the stack's Deployment is not in the cluster (npm run stack -- drift)",
            restarts: 0,
          }
        : lastIssue(pods, deployment),
  };
}

/** The report of every agent of the stack. */
export function agentsReport(
  header: { stack: string; cluster: string; namespace: string },
  agents: readonly PlannedAgentName[],
  objects: NamespaceObjects,
): AgentsReport {
  return {
    schemaVersion: AGENTS_SCHEMA_VERSION,
    ...header,
    agents: agents.map((agent) => agentStatus(agent, agents, objects)),
  };
}

/** An issue in one cell: reason, what, when, how often restarted. */
export function issueText(issue: AgentStatus["issue"]): string {
  if (issue === null) return "-";
  const when = issue.time === null ? "" : ` at ${issue.time}`;
  const restarts = issue.restarts > 0 ? `, ${issue.restarts} restarts` : "";
  return `${issue.reason}${when} (${issue.object}${restarts}): ${issue.message}`;
}

/** The report as `npm run agents` prints it: one line per agent. */
export function agentsText(report: AgentsReport): string {
  const peers = (a: AgentStatus) =>
    [a.peers.to.join(", ") || "-", a.peers.internet ? "+ internet" : ""].filter((p) => p).join(" ");
  return [
    `Stack "${report.stack}" on ${report.cluster}, namespace ${report.namespace}: replicas from each Deployment, peers from each NetworkPolicy`,
    "",
    table([
      [
        "agent",
        "genus",
        "desired",
        "ready",
        "image",
        "sidecar",
        "calls",
        "called by",
        "last restart or failure",
      ],
      ...report.agents.map((a) => [
        a.name,
        a.genus,
        a.desired === null ? "-" : String(a.desired),
        String(a.ready),
        a.image ?? "-",
        a.sidecar ?? "-",
        peers(a),
        a.peers.from.join(", ") || "-",
        issueText(a.issue),
      ]),
    ]),
  ].join("\n");
}
