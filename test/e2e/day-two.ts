/**
 * Day two on the live cluster, as an operator meets it (README "Day two"): `npm run agents` and
 * `npm run budget -- --live` after up and after an agent is scaled past its budget by hand, then
 * `npm run stack -- drift` naming each hand edit by object and field (agent-society scaled, a
 * NetworkPolicy labelled, a TigerBeetle StatefulSet's resources set) and `up --refresh` restoring
 * every one without replacing the ledger's StatefulSet or touching its claims. All on staging.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { ROOT } from "../../scripts/engine";
import type { AgentsReport, DriftReport, LiveBudgetReport } from "../../scripts/report-schemas";
import { kubectl } from "./cluster";
import { check, expect, expectEqual, npmScript, npmStack, renders } from "./world";

const STACK = "staging";
const AGENTS_NAMESPACE = "kgents-agents-staging";
/** The agent scaled past its budget by hand, and how far: 8 of L-gent's pods do not fit. */
const SCALED = { genus: "L", deployment: "l-gent-staging", replicas: 8 };
const SOCIETY = { namespace: "agent-society-staging", name: "agent-society-staging" };
const LEDGER = { namespace: "tigerbeetle-staging", statefulSet: "tigerbeetle-0-staging" };

/** A command's `--json` report, which must exit `code` and follow its schema in schema/. */
async function report<T>(script: string, args: string[], schema: string, code = 0): Promise<T> {
  const run = await npmScript(script, [...args, "--stack", STACK, "--json"]);
  expectEqual(run.code, code, `npm run ${script} exit code (${run.stderr.slice(-800)})`);
  const value = JSON.parse(run.stdout) as T;
  const file = path.join(ROOT, "schema", `${schema}.schema.json`);
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(
    JSON.parse(fs.readFileSync(file, "utf8")) as object,
  );
  expect(validate(value) === true, `${schema} schema: ${JSON.stringify(validate.errors)}`);
  return value;
}

/** The agents' Deployments as the render has them: replicas and each container's image. */
function renderedAgents(): Map<string, { replicas: number; images: string[] }> {
  const deployments = renders
    .get(STACK)!
    .objects.map((o) => o.manifest as unknown as RenderedDeployment)
    .filter((m) => m.kind === "Deployment" && m.metadata.namespace === AGENTS_NAMESPACE);
  return new Map(
    deployments.map((d) => [
      d.metadata.name,
      { replicas: d.spec.replicas, images: d.spec.template.spec.containers.map((c) => c.image) },
    ]),
  );
}

interface RenderedDeployment {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

/** Polls until `done` holds (every second, at most `seconds`). */
async function until(what: string, seconds: number, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`after ${seconds} s: ${what}`);
}

/** `npm run agents` says what runs: the render's replicas, all ready, its images. */
async function agentsAsDeployed(): Promise<void> {
  const agents = (await report<AgentsReport>("agents", [], "agents")).agents;
  const expected = renderedAgents();
  expectEqual(
    agents.map((a) => ({
      deployment: a.deployment,
      desired: a.desired,
      ready: a.ready,
      images: [a.image, ...(a.sidecar === null ? [] : [a.sidecar])],
      issue: a.issue,
    })),
    [...expected.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([deployment, d]) => ({
        deployment,
        desired: d.replicas,
        ready: d.replicas,
        images: d.images,
        issue: null,
      })),
    "npm run agents after up",
  );
}

/** L-gent scaled by hand until the quota refuses its pods, the refusal seen by the API server. */
async function scalePastBudget(): Promise<void> {
  await kubectl([
    "scale",
    "deployment",
    SCALED.deployment,
    "-n",
    AGENTS_NAMESPACE,
    `--replicas=${SCALED.replicas}`,
  ]);
  await until("no quota refusal event", 60, async () => {
    const events = JSON.parse(
      await kubectl(["get", "events", "-n", AGENTS_NAMESPACE, "-o", "json"]),
    ) as { items: { reason?: string; message?: string }[] };
    return events.items.some(
      (e) => e.reason === "FailedCreate" && /exceeded quota/.test(e.message ?? ""),
    );
  });
}

/** `budget --live` names the agent, the figure over and the event; `agents` the refusal. */
async function overBudgetNamed(): Promise<void> {
  const live = await report<LiveBudgetReport>("budget", ["--live"], "budget-live");
  const agents = live.namespaces.find((n) => n.namespace === AGENTS_NAMESPACE)!;
  const flagged = agents.agents
    .filter((a) => a.flags.length > 0)
    .map((a) => ({ genus: a.genus, wanted: a.wanted, flags: a.flags }));
  expectEqual(
    flagged,
    [{ genus: SCALED.genus, wanted: SCALED.replicas, flags: ["over-plan", "refused"] }],
    "agents flagged by budget --live",
  );
  // The figures README "Live budgets" shows: 7 of L-gent's 8 pods fit, the eighth does not.
  expectEqual(
    agents.dimensions.map((d) => `${d.dimension} ${d.used}/${d.hard} ${d.flag}`),
    [
      "requests.cpu 1600m/2 near",
      "requests.memory 3968Mi/4Gi near",
      "requests.ephemeral-storage 5Gi/6Gi near",
      "limits.cpu 3350m/4 near",
      "limits.memory 5504Mi/6Gi near",
      "limits.ephemeral-storage 30Gi/32Gi near",
      "pods 11/15 ok",
    ],
    "the quota of kgents-agents-staging",
  );
  const refusals = agents.events.filter((e) => e.kind === "quota");
  expect(refusals.length > 0, "no quota refusal listed");
  expectEqual(
    [...new Set(refusals.map((e) => JSON.stringify([e.agent, e.quota, e.exceeded])))],
    [
      JSON.stringify([
        `${SCALED.genus}-gent`,
        "kgents-budget",
        [
          {
            dimension: "limits.ephemeral-storage",
            requested: "3Gi",
            used: "30Gi",
            limited: "32Gi",
          },
          { dimension: "requests.memory", requested: "384Mi", used: "3968Mi", limited: "4Gi" },
        ],
      ]),
    ],
    "every refusal: L-gent's, by the quota, with its figures",
  );
  for (const event of refusals) {
    expect(event.object.startsWith(`ReplicaSet/${SCALED.deployment}-`), `object ${event.object}`);
  }

  // Pods the quota admitted become ready in their own time.
  let scaled: AgentsReport["agents"][number] | undefined;
  await until("L-gent not at 7 ready replicas", 60, async () => {
    const status = (await report<AgentsReport>("agents", [], "agents")).agents;
    scaled = status.find((a) => a.deployment === SCALED.deployment)!;
    return scaled.ready === SCALED.replicas - 1;
  });
  expectEqual(scaled!.desired, SCALED.replicas, "npm run agents: L-gent desired");
  expectEqual(
    [scaled!.issue?.object, scaled!.issue?.reason],
    [`Deployment/${SCALED.deployment}`, "FailedCreate"],
    "npm run agents: L-gent's last failure",
  );
  expect(
    /exceeded quota: kgents-budget, requested: limits\.ephemeral-storage=3Gi,requests\.memory=384Mi/.test(
      scaled!.issue!.message,
    ),
    `L-gent's last failure: ${JSON.stringify(scaled!.issue)}`,
  );
}

/** The hand edits of the issue: agent-society scaled, its policy labelled, a replica's CPU set. */
async function editByHand(): Promise<void> {
  const { namespace, name } = SOCIETY;
  await kubectl(["scale", "deployment", name, "-n", namespace, "--replicas=2"]);
  await kubectl([
    "label",
    "--overwrite",
    "networkpolicy",
    name,
    "-n",
    namespace,
    "app.kubernetes.io/part-of=hand-edited",
  ]);
  await kubectl(["label", "networkpolicy", name, "-n", namespace, "team=payments"]);
  await kubectl([
    "set",
    "resources",
    "statefulset",
    LEDGER.statefulSet,
    "-n",
    LEDGER.namespace,
    "-c",
    "tigerbeetle",
    "--limits=cpu=3",
  ]);
}

/** Each drifted object and field, as the drift report gives them. */
function driftFields(drift: DriftReport): string[] {
  return drift.objects.flatMap((o) =>
    o.fields.map(
      (f) =>
        `${o.kind} ${o.namespace}/${o.name} ${f.path}: ${JSON.stringify(f.live)} ` +
        `(stack ${JSON.stringify(f.stack)}; ${f.origin}; by ${f.setBy.join(",")}; restored ${f.restoredByUp})`,
    ),
  );
}

/** `npm run stack -- drift` names every edit by object and field, and exits 2. */
async function driftNamed(): Promise<void> {
  const drift = await report<DriftReport>("stack", ["drift"], "drift", 2);
  expectEqual(
    driftFields(drift),
    [
      `Deployment ${SOCIETY.namespace}/${SOCIETY.name} spec.replicas: 2 (stack 1; cluster; by kubectl; restored true)`,
      `NetworkPolicy ${SOCIETY.namespace}/${SOCIETY.name} metadata.labels["app.kubernetes.io/part-of"]: "hand-edited" (stack "agent-runtime"; cluster; by kubectl-label; restored true)`,
      `NetworkPolicy ${SOCIETY.namespace}/${SOCIETY.name} metadata.labels.team: "payments" (stack undefined; unowned; by kubectl-label; restored true)`,
      `Deployment ${AGENTS_NAMESPACE}/${SCALED.deployment} spec.replicas: ${SCALED.replicas} (stack 2; cluster; by kubectl; restored true)`,
      `StatefulSet ${LEDGER.namespace}/${LEDGER.statefulSet} spec.template.spec.containers[0].resources.limits.cpu: "3" (stack "2"; cluster; by kubectl-set; restored true)`,
    ],
    "drift",
  );
  const text = await npmStack(["drift", "--stack", STACK]);
  expectEqual(text.code, 2, "drift exit code");
  expect(
    text.stdout.includes('README "TigerBeetle drift"'),
    `no word on the ledger:\n${text.stdout}`,
  );
}

/** What `up --refresh` must not touch: the ledger's StatefulSets and claims, by UID. */
async function ledgerUids(): Promise<Record<string, string>> {
  const list = JSON.parse(
    await kubectl([
      "get",
      "statefulsets,persistentvolumeclaims",
      "-n",
      LEDGER.namespace,
      "-o",
      "json",
    ]),
  ) as { items: { kind: string; metadata: { name: string; uid: string } }[] };
  return Object.fromEntries(
    list.items.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.uid]),
  );
}

/** `up --refresh` restores every edit, keeps the ledger's objects, and leaves no drift. */
async function upRestores(): Promise<void> {
  const before = await ledgerUids();
  const up = await npmStack(["up", "--refresh", "--yes", "--stack", STACK]);
  expectEqual(up.code, 0, `up --refresh (${up.stderr.slice(-1500)})`);
  expectEqual(await ledgerUids(), before, "the ledger's StatefulSets and claims (UIDs)");
  const policy = JSON.parse(
    await kubectl(["get", "networkpolicy", SOCIETY.name, "-n", SOCIETY.namespace, "-o", "json"]),
  ) as { metadata: { labels: Record<string, string> } };
  expectEqual(
    {
      partOf: policy.metadata.labels["app.kubernetes.io/part-of"],
      team: policy.metadata.labels.team,
    },
    { partOf: "agent-runtime", team: undefined },
    "the policy's labels",
  );
  const drift = await report<DriftReport>("stack", ["drift"], "drift");
  expectEqual(driftFields(drift), [], "drift after up --refresh");
  await until("L-gent not back to 2 ready replicas", 60, async () => {
    const agents = (await report<AgentsReport>("agents", [], "agents")).agents;
    const scaled = agents.find((a) => a.deployment === SCALED.deployment)!;
    return scaled.desired === 2 && scaled.ready === 2;
  });
}

/** The day-two checks, in order, each on what the one before left. */
export async function dayTwo(): Promise<void> {
  await check(`${STACK}: npm run agents shows each agent as deployed, all ready`, agentsAsDeployed);
  await check(
    `${STACK}: an agent scaled past its budget by hand: budget --live and agents name it, the figures and the refusal`,
    async () => {
      await scalePastBudget();
      await overBudgetNamed();
    },
  );
  await check(
    `${STACK}: drift names each hand edit by object and field (agent-society scaled, a NetworkPolicy labelled, a TigerBeetle StatefulSet edited) and exits 2`,
    async () => {
      await editByHand();
      await driftNamed();
    },
  );
  await check(
    `${STACK}: up --refresh restores every edit, keeps the ledger's StatefulSets and claims, and leaves no drift`,
    upRestores,
  );
}
