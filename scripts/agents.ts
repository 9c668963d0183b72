/**
 * npm run agents -- --stack <staging|production> [--json]
 *
 * Each kgents agent of the stack as it runs in the stack's cluster (scripts/kube.ts), one line
 * each: genus, the replicas its Deployment wants and has ready, the images of its `logic`
 * container and D-gent sidecar, whom its NetworkPolicy lets it call and be called by, and the last
 * restart or failure reason of its pods (scripts/agent-status.ts). `--json` prints the report of
 * `schema/agents.schema.json`. It only reads.
 */
import { UsageError, parseOptions, runCli } from "./cli";
import { agentsReport, agentsText } from "./agent-status";
import { Cluster } from "./kube";
import { byKind } from "./live-objects";
import { agentNames, stackPlan } from "./stack-plan";

const USAGE = "usage: npm run agents -- --stack <staging|production> [--json]";

/** What it reads of the agents' namespace. */
const KINDS = ["deployments", "networkpolicies", "pods"];

runCli(async () => {
  const values = parseOptions("agents", USAGE, {
    stack: { type: "string" },
    json: { type: "boolean", default: false },
  });
  if (values.stack === undefined) throw new UsageError(USAGE);
  const plan = stackPlan(values.stack);
  const namespace = plan.topology.kgents.agents;
  const cluster = await Cluster.open(values.stack);
  await cluster.requireNamespace(namespace);
  const objects = byKind(await cluster.get<{ kind: string }>(namespace, KINDS));
  const report = agentsReport(
    { stack: values.stack, cluster: cluster.where, namespace },
    agentNames(plan),
    objects,
  );
  console.log(values.json ? JSON.stringify(report, null, 2) : agentsText(report));
});
