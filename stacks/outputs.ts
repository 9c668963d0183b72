import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DIMENSIONS, Dimension, RESOURCE_DIMENSIONS } from "../kgents/budget";
import { ENVIRONMENTS } from "./environments";
import { CATALOG, Catalog, startOrder, statelessKeys } from "./catalog";

/**
 * The stack outputs, as a contract for dashboards (`pulumi stack output --json`, or a
 * StackReference). Defined once here; `npm run outputs:schema` writes the JSON Schema in
 * `schema/outputs.schema.json` from it, and the tests check both renders against that file.
 *
 * Versioning: a new optional field is a minor change; removing or renaming a field, or changing
 * its meaning, is a major one. Dashboards should check the major version of `schemaVersion`.
 */
export const OUTPUTS_SCHEMA_VERSION = "1.1.0";

const url = z
  .string()
  .regex(/^(https?|wss?):\/\/[a-z0-9.-]+:[0-9]+$/)
  .describe("scheme://<service>.<namespace>.svc.cluster.local:<port>");
const hostPort = z
  .string()
  .regex(/^[a-z0-9.-]+:[0-9]+$/)
  .describe("<host>:<port>");

const service = z.strictObject({
  namespace: z.string().describe("Kubernetes namespace of the service"),
  image: z.string().describe("image reference the pods run"),
  replicas: z.number().int().min(0).describe("pods (for TigerBeetle: cluster replicas)"),
  endpoints: z
    .record(z.string(), z.union([url, hostPort]))
    .describe("in-cluster endpoints by name"),
});

const agent = z.strictObject({
  name: z.string().describe("agent name, e.g. B-gent"),
  genus: z.string().describe("genus, e.g. B"),
  namespace: z.string(),
  replicas: z.number().int().min(0),
  image: z.string(),
  endpoint: url,
});

/** Per budget dimension, a Kubernetes quantity (`"1500m"`, `"2Gi"`, pods as `"12"`). */
export const figures = z.strictObject(
  Object.fromEntries(DIMENSIONS.map((d) => [d, z.string()])) as Record<Dimension, z.ZodString>,
);
const containerFigures = z.strictObject(
  Object.fromEntries(RESOURCE_DIMENSIONS.map((r) => [r, z.string()])) as Record<
    (typeof RESOURCE_DIMENSIONS)[number],
    z.ZodString
  >,
);

const budget = z.strictObject({
  namespace: z.string().describe("the kgents namespace the ResourceQuota is in"),
  budget: figures.describe("the namespace's ResourceQuota (spec.hard)"),
  used: figures.describe("what the deployed agents need, rollout surge included"),
  free: figures.describe("budget minus used"),
  agents: z
    .array(
      z.strictObject({
        name: z.string(),
        genus: z.string(),
        replicas: z.number().int().min(0),
        surge: z.number().int().min(0).describe("extra pods a rolling update creates"),
        pods: z.number().int().min(0),
        requests: containerFigures.describe("all pods of the agent, logic and sidecar"),
        limits: containerFigures,
      }),
    )
    .describe("each agent's share"),
});

const tigerbeetleService = service.extend({
  clusterId: z
    .string()
    .regex(/^[0-9]+$/)
    .describe("TigerBeetle --cluster, decimal"),
  addresses: z
    .string()
    .regex(/^[0-9.]+:[0-9]+(,[0-9.]+:[0-9]+)*$/)
    .describe("every replica's ip:port in replica order, as TigerBeetle clients take it"),
});

/** Each stateless service's outputs, under its key. */
type StatelessServices<C extends Catalog> = {
  readonly [K in Exclude<keyof C & string, "tigerbeetle">]: typeof service;
};

/** The outputs of a stack of `catalog`: one entry under `services` per record, in start order. */
export function stackOutputsSchemaOf<C extends Catalog>(catalog: C) {
  const keys = startOrder(catalog) as [string, ...string[]];
  const stateless = Object.fromEntries(
    statelessKeys(catalog).map((key) => [key, service]),
  ) as StatelessServices<C>;
  return z
    .strictObject({
      schemaVersion: z
        .literal(OUTPUTS_SCHEMA_VERSION)
        .describe("version of this contract (semver)"),
      environment: z.enum(ENVIRONMENTS),
      startOrder: z
        .array(z.enum(keys))
        .describe("the order in which the services are created and started"),
      services: z.strictObject({ tigerbeetle: tigerbeetleService, ...stateless }),
      agents: z.array(agent).describe("the kgents agents the stack deploys"),
      budgets: z.array(budget).describe("per kgents namespace: quota, use and each agent's share"),
    })
    .meta({
      $id: "https://agent-platform.example/schema/outputs.schema.json",
      title: "agent-platform stack outputs",
      description: "What `pulumi stack output --json` returns for the agent-platform stacks.",
    });
}

/** The shipped catalog's outputs: the contract `schema/outputs.schema.json` publishes. */
const stackOutputsSchema = stackOutputsSchemaOf(CATALOG);

/** The outputs of a stack of any catalog. */
export type StackOutputsOf<C extends Catalog> = z.infer<ReturnType<typeof stackOutputsSchemaOf<C>>>;

/** `T` with any value possibly an Output: what a Pulumi program returns for an output `T`. */
export type OutputsOf<T> =
  | pulumi.Output<T>
  | (T extends readonly (infer E)[]
      ? readonly OutputsOf<E>[]
      : T extends object
        ? { [K in keyof T]: OutputsOf<T[K]> }
        : T);

/** The JSON Schema of the outputs, as written to `schema/outputs.schema.json`. */
export function outputsJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(stackOutputsSchema, { target: "draft-2020-12" }), null, 2)}\n`;
}
