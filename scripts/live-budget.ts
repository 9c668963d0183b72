/**
 * `npm run budget -- --live`: each kgents namespace's ResourceQuota as the cluster counts it
 * (`status.used` against `status.hard`), each agent's share from its live pods, the plan beside
 * both, what is over or near its budget, and the quota refusals and evictions the API server
 * still keeps. Pure functions over what `kubectl get` returned; `scripts/budget.ts` reads it.
 */
import {
  Amounts,
  BudgetFigures,
  DIMENSIONS,
  RESOURCE_DIMENSIONS,
  formatAmount,
  formatAmounts,
  parseAmount,
  zeroAmounts,
} from "../kgents/budget";
import { GENUS_LABEL } from "../components/agent";
import { KGENTS_QUOTA_NAME } from "../components/kgents-namespaces";
import { parseQuantity } from "../stacks/quantity";
import type { PlannedAgentName } from "./stack-plan";
import {
  BudgetEvent,
  DimensionRow,
  LIVE_BUDGET_SCHEMA_VERSION,
  LiveAgent,
  LiveBudgetReport,
  LiveNamespace,
} from "./report-schemas";
import {
  KubeEvent,
  NamespaceObjects,
  Pod,
  ResourceList,
  countedByQuota,
  eventTime,
} from "./live-objects";
import { table } from "./table";

/** What the stack plans, and how to name what the cluster holds. */
export interface LiveBudgetPlan {
  readonly stack: string;
  /** The cluster read, for the report: `kube context "local"`. */
  readonly cluster: string;
  /** `budgets.nearPercent`. */
  readonly nearPercent: number;
  /** The plan's figures per kgents namespace (`npm run budget`). */
  readonly planned: readonly BudgetFigures[];
  /** The stack's agents and their Deployments' names. */
  readonly agents: readonly PlannedAgentName[];
}

function fromList(list: ResourceList | undefined): Amounts {
  const amounts = zeroAmounts();
  for (const d of DIMENSIONS) amounts[d] = parseAmount(d, list?.[d]);
  return amounts;
}

/**
 * What the quota charges a pod: per resource, the sum over its containers or the largest of its
 * init containers, whichever is more (as Kubernetes computes a pod's requests), and one pod.
 */
export function podAmounts(pod: Pod): Amounts {
  const amounts = zeroAmounts();
  for (const kind of ["requests", "limits"] as const) {
    for (const r of RESOURCE_DIMENSIONS) {
      const of = (c: Pod["spec"]["containers"][number]) =>
        parseQuantity(c.resources?.[kind]?.[r] ?? "0") ?? 0n;
      const sum = pod.spec.containers.reduce((total, c) => total + of(c), 0n);
      const init = (pod.spec.initContainers ?? []).reduce(
        (max, c) => (of(c) > max ? of(c) : max),
        0n,
      );
      amounts[`${kind}.${r}`] = sum > init ? sum : init;
    }
  }
  amounts.pods = 1n;
  return amounts;
}

/** How a namespace dimension stands: over (used past hard), full (at hard), near, or ok. */
export function budgetFlag(used: bigint, hard: bigint, nearPercent: number): DimensionRow["flag"] {
  if (used > hard) return "over";
  if (used === hard) return "full";
  return used * 100n >= hard * BigInt(nearPercent) ? "near" : "ok";
}

/** The agent an object (a pod, a ReplicaSet) belongs to: by its genus label, else by its name. */
export function agentOfObject(
  agents: readonly PlannedAgentName[],
  name: string,
  labels?: Readonly<Record<string, string>>,
): PlannedAgentName | undefined {
  const genus = labels?.[GENUS_LABEL];
  if (genus !== undefined) return agents.find((a) => a.genus === genus);
  return agents
    .filter((a) => name.startsWith(`${a.deployment}-`))
    .sort((a, b) => b.deployment.length - a.deployment.length)[0];
}

/** The quota and dimensions of an `exceeded quota` refusal, from the controller's message. */
export function quotaRefusal(
  message: string,
): { quota: string; exceeded: BudgetEvent["exceeded"] } | undefined {
  const match = /exceeded quota: ([^,]+), requested: (\S+), used: (\S+), limited: (\S+)/.exec(
    message,
  );
  if (!match) return undefined;
  const pairs = (text: string) =>
    new Map(text.split(",").map((p) => p.split("=") as [string, string]));
  const [requested, used, limited] = [pairs(match[2]), pairs(match[3]), pairs(match[4])];
  return {
    quota: match[1],
    exceeded: [...requested.keys()].map((dimension) => ({
      dimension,
      requested: requested.get(dimension) ?? "",
      used: used.get(dimension) ?? "",
      limited: limited.get(dimension) ?? "",
    })),
  };
}

/** Reasons of the events that tell of an eviction: the kubelet's, the scheduler's, taints'. */
const EVICTION_REASONS = ["Evicted", "Preempted", "TaintManagerEviction"];

/**
 * The quota refusals (`FailedCreate ... exceeded quota`) and evictions among a namespace's events,
 * and the pods being evicted right now (condition DisruptionTarget), newest first.
 */
export function budgetEvents(
  objects: Pick<NamespaceObjects, "events" | "pods" | "replicaSets">,
  agents: readonly PlannedAgentName[],
): BudgetEvent[] {
  const labelsOf = (kind: string | undefined, name: string) =>
    (kind === "Pod" ? objects.pods : kind === "ReplicaSet" ? objects.replicaSets : []).find(
      (o) => o.metadata.name === name,
    )?.metadata.labels;
  const fromEvent = (e: KubeEvent): BudgetEvent | undefined => {
    const refusal = e.reason === "FailedCreate" ? quotaRefusal(e.message ?? "") : undefined;
    if (refusal === undefined && !EVICTION_REASONS.includes(e.reason ?? "")) return undefined;
    const name = e.involvedObject.name ?? "";
    return {
      time: eventTime(e),
      kind: refusal === undefined ? "eviction" : "quota",
      reason: e.reason ?? "",
      object: `${e.involvedObject.kind ?? "?"}/${name}`,
      agent: agentOfObject(agents, name, labelsOf(e.involvedObject.kind, name))?.name ?? null,
      count: e.count ?? 1,
      message: e.message ?? "",
      quota: refusal?.quota ?? null,
      exceeded: refusal?.exceeded ?? [],
    };
  };
  const fromEvents = objects.events.map(fromEvent).filter((e) => e !== undefined);
  const evicting = objects.pods.flatMap((pod): BudgetEvent[] => {
    const condition = pod.status?.conditions?.find(
      (c) => c.type === "DisruptionTarget" && c.status === "True",
    );
    const object = `Pod/${pod.metadata.name}`;
    if (condition === undefined || fromEvents.some((e) => e.object === object)) return [];
    return [
      {
        time: condition.lastTransitionTime ?? "",
        kind: "eviction",
        reason: condition.reason ?? "DisruptionTarget",
        object,
        agent: agentOfObject(agents, pod.metadata.name, pod.metadata.labels)?.name ?? null,
        count: 1,
        message: condition.message ?? "",
        quota: null,
        exceeded: [],
      },
    ];
  });
  return [...fromEvents, ...evicting].sort(
    (a, b) => b.time.localeCompare(a.time) || a.object.localeCompare(b.object),
  );
}

/** The planned share of an agent as figures (its pods, requests and limits). */
function plannedShare(planned: BudgetFigures | undefined, name: string): Amounts {
  const share = planned?.agents.find((a) => a.name === name);
  const amounts = zeroAmounts();
  if (share === undefined) return amounts;
  for (const r of RESOURCE_DIMENSIONS) {
    amounts[`requests.${r}`] = parseAmount(`requests.${r}`, share.requests[r]);
    amounts[`limits.${r}`] = parseAmount(`limits.${r}`, share.limits[r]);
  }
  amounts.pods = BigInt(share.pods);
  return amounts;
}

/** `hard` of a dimension the quota does not bound. */
const UNBOUNDED = "none";

/** Each dimension of a namespace's quota as the cluster counts it, beside the plan. */
function quotaDimensions(
  quota: NamespaceObjects["quotas"][number] | undefined,
  planned: BudgetFigures,
  nearPercent: number,
): DimensionRow[] {
  if (quota === undefined) return [];
  const [used, hard] = [fromList(quota.status?.used), fromList(quota.status?.hard)];
  return DIMENSIONS.map((d) => {
    // A dimension the quota does not bound (its spec.hard was edited) is never full.
    const bounded = quota.status?.hard?.[d] !== undefined;
    return {
      dimension: d,
      used: formatAmount(d, used[d]),
      hard: bounded ? formatAmount(d, hard[d]) : UNBOUNDED,
      percent: bounded && hard[d] > 0n ? Number((used[d] * 100n) / hard[d]) : null,
      planned: planned.used[d],
      budget: planned.budget[d],
      flag: bounded ? budgetFlag(used[d], hard[d], nearPercent) : "ok",
    };
  });
}

/** What the quota counts of each agent's live pods, and of pods of no agent (`other`). */
function liveShares(
  plan: LiveBudgetPlan,
  objects: NamespaceObjects,
): { shares: Map<string, Amounts>; other: Amounts } {
  const shares = new Map<string, Amounts>();
  const other = zeroAmounts();
  for (const pod of objects.pods.filter(countedByQuota)) {
    const agent = agentOfObject(plan.agents, pod.metadata.name, pod.metadata.labels);
    const into = agent === undefined ? other : (shares.get(agent.name) ?? zeroAmounts());
    const amounts = podAmounts(pod);
    for (const d of DIMENSIONS) into[d] += amounts[d];
    if (agent !== undefined) shares.set(agent.name, into);
  }
  return { shares, other };
}

/** One agent's live pods against its planned share, and its flags. */
function agentRow(
  agent: PlannedAgentName,
  live: Amounts,
  planned: BudgetFigures,
  objects: NamespaceObjects,
  events: readonly BudgetEvent[],
): LiveAgent {
  const share = plannedShare(planned, agent.name);
  const deployment = objects.deployments.find((d) => d.metadata.name === agent.deployment);
  const flags: LiveAgent["flags"] = [];
  if (deployment === undefined) flags.push("missing");
  if (DIMENSIONS.some((d) => live[d] > share[d])) flags.push("over-plan");
  if (events.some((e) => e.kind === "quota" && e.agent === agent.name)) flags.push("refused");
  return {
    name: agent.name,
    genus: agent.genus,
    deployment: agent.deployment,
    wanted: deployment?.spec.replicas ?? null,
    live: formatAmounts(live),
    planned: formatAmounts(share),
    flags,
  };
}

/** One kgents namespace: its quota's dimensions, its agents, other pods, and the events. */
function namespaceReport(
  plan: LiveBudgetPlan,
  planned: BudgetFigures,
  objects: NamespaceObjects,
): LiveNamespace {
  const quota = objects.quotas.find((q) => q.metadata.name === KGENTS_QUOTA_NAME);
  const events = budgetEvents(objects, plan.agents);
  const { shares, other } = liveShares(plan, objects);
  const agents = planned.agents
    .map((a) => plan.agents.find((p) => p.name === a.name)!)
    .map((agent) =>
      agentRow(agent, shares.get(agent.name) ?? zeroAmounts(), planned, objects, events),
    );
  return {
    namespace: planned.namespace,
    quota: quota === undefined ? null : KGENTS_QUOTA_NAME,
    dimensions: quotaDimensions(quota, planned, plan.nearPercent),
    agents,
    otherPods: formatAmounts(other),
    events,
  };
}

/** The whole report, one entry per kgents namespace of the plan. */
export function liveBudgetReport(
  plan: LiveBudgetPlan,
  live: ReadonlyMap<string, NamespaceObjects>,
): LiveBudgetReport {
  return {
    schemaVersion: LIVE_BUDGET_SCHEMA_VERSION,
    stack: plan.stack,
    cluster: plan.cluster,
    nearPercent: plan.nearPercent,
    namespaces: plan.planned.map((planned) =>
      namespaceReport(plan, planned, live.get(planned.namespace)!),
    ),
  };
}

const DIMENSION_FLAG: Record<DimensionRow["flag"], string> = {
  ok: "",
  near: "near",
  full: "FULL: the next pod is refused",
  over: "OVER",
};
const AGENT_FLAG: Record<LiveAgent["flags"][number], string> = {
  "over-plan": "over its plan",
  refused: "pods refused by the quota",
  missing: "no Deployment",
};

function dimensionsText(n: LiveNamespace): string {
  if (n.quota === null) return "no ResourceQuota of the stack here: nothing bounds this namespace";
  return table([
    ["dimension", "used", "hard", "used %", "planned", "flag"],
    ...n.dimensions.map((d) => {
      const differs = parseAmount(d.dimension, d.hard) !== parseAmount(d.dimension, d.budget);
      const flag = [DIMENSION_FLAG[d.flag], differs ? `hard is not the plan's ${d.budget}` : ""];
      return [
        d.dimension,
        d.used,
        d.hard,
        d.percent === null ? "-" : String(d.percent),
        d.planned,
        flag.filter((f) => f !== "").join("; "),
      ];
    }),
  ]);
}

function agentsText(n: LiveNamespace): string {
  if (n.agents.length === 0) return "no agents from spec/agents/ run here";
  const resources = DIMENSIONS.filter((d) => d !== "pods");
  const other = DIMENSIONS.some((d) => parseAmount(d, n.otherPods[d]) > 0n)
    ? [["other pods", "-", n.otherPods.pods, ...resources.map((d) => n.otherPods[d]), ""]]
    : [];
  return table([
    ["agent", "wanted", "pods", ...resources, "flags"],
    ...n.agents.map((a) => [
      a.name,
      a.wanted === null ? "-" : String(a.wanted),
      `${a.live.pods}/${a.planned.pods}`,
      ...resources.map((d) => `${a.live[d]}/${a.planned[d]}`),
      a.flags.map((f) => AGENT_FLAG[f]).join(", "),
    ]),
    ...other,
  ]);
}

/** Why an event happened, in words: the quota's figures when it refused. */
function eventReason(e: BudgetEvent): string {
  return e.kind === "quota"
    ? `exceeded quota ${e.quota}: ${e.exceeded.map((x) => `${x.dimension} ${x.requested} requested, ${x.used} used, ${x.limited} limited`).join("; ")}`
    : e.message;
}

/**
 * One line of an event: when, what, whose, how often (since when, for a group of them), why (the
 * quota's figures when it refused).
 */
export function eventLine(e: BudgetEvent, since?: string): string {
  const times =
    (e.count > 1 ? ` x${e.count}` : "") + (since === undefined ? "" : ` since ${since}`);
  return `${e.time}  ${e.object}${e.agent === null ? "" : ` (${e.agent})`}  ${e.reason}${times}: ${eventReason(e)}`;
}

/**
 * The events as lines, newest first, one per object, reason and figures: a ReplicaSet refused
 * ten pods for the same reason is one line, with the count of them all and since when.
 */
export function eventLines(events: readonly BudgetEvent[]): string[] {
  const groups = new Map<string, BudgetEvent[]>();
  for (const e of events) {
    const key = JSON.stringify([e.object, e.agent, e.reason, eventReason(e)]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return eventLine(group[0]);
    const count = group.reduce((sum, e) => sum + e.count, 0);
    const since = group[group.length - 1].time;
    return eventLine({ ...group[0], count }, since === group[0].time ? undefined : since);
  });
}

/** The report as `npm run budget -- --live` prints it. */
export function liveBudgetText(report: LiveBudgetReport): string {
  const head = `Stack "${report.stack}" on ${report.cluster}: each quota as the cluster counts it, beside the plan (npm run budget); "near" from ${report.nearPercent}% (budgets.nearPercent). Agents' figures are live/planned.`;
  const sections = report.namespaces.map((n) => {
    const events =
      n.events.length === 0
        ? "no quota refusals or evictions (the API server keeps events for an hour by default)"
        : `quota refusals and evictions, newest first (kept for an hour by default):\n${eventLines(
            n.events,
          )
            .map((line) => `  ${line}`)
            .join("\n")}`;
    const quota = n.quota === null ? "" : ` (ResourceQuota ${n.quota})`;
    return `${n.namespace}${quota}\n\n${dimensionsText(n)}\n\n${agentsText(n)}\n\n${events}\n`;
  });
  return [head, ...sections].join("\n\n");
}
