import { z } from "zod";
import { isNonNegativeQuantity, parseQuantity } from "./quantity";

/**
 * Building blocks of the stack config schemas, in a module of their own so that section schemas
 * (`stacks/services/*.ts`) can use them while `stacks/schema.ts` assembles the sections.
 */

const EXAMPLES = {
  CPU: '"250m" or "0.5"',
  memory: '"256Mi" or "1Gi"',
  storage: '"512Mi" or "2Gi"',
};

/**
 * Config values as the Pulumi CLI writes them. `pulumi config set --path` stores an integer as a
 * number, `true` and `false` as booleans and anything else as text; `--type string` stores digits
 * as text. Where the meaning is one and the same, the schemas take either form and normalize it
 * here, once: a quantity given as a number (`cpu: 3`) is the text `"3"`, a count given as digits
 * (`"3"`) is the number 3, and `"true"`/`"false"` are booleans. Anything else is still refused.
 */
const asText = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) ? String(value) : value;
const asCount = (value: unknown) =>
  typeof value === "string" && /^(0|[1-9][0-9]{0,14})$/.test(value) ? Number(value) : value;
const asFlag = (value: unknown) => (value === "true" ? true : value === "false" ? false : value);

/** A whole number of something (replicas, seconds, pods), as a number or as digits. */
export function count(schema: z.ZodNumber) {
  return z.preprocess(asCount, schema);
}

/** A boolean, as `true`/`false` or as their text. */
export function flag() {
  return z.preprocess(asFlag, z.boolean());
}

/** Text that may arrive as a number: a quantity (`cpu: 3`). */
function textOrNumber<T extends z.ZodType<string>>(schema: T) {
  return z.preprocess(asText, schema);
}

const quantity = (what: keyof typeof EXAMPLES) =>
  textOrNumber(
    z
      .string()
      .refine(isNonNegativeQuantity, `expected a ${what} quantity such as ${EXAMPLES[what]}`),
  );

/** CPU and memory of one container, as agent specs and their overrides give them. */
const computeResourcesSchema = z.strictObject({
  cpu: quantity("CPU"),
  memory: quantity("memory"),
});

/**
 * CPU, memory and ephemeral storage (the container's writable layer, its logs and its share of the
 * pod's emptyDirs): what every container of the stack requests and is limited to. Without an
 * ephemeral-storage request nothing is reserved for a pod's disk at scheduling, and under disk
 * pressure the kubelet evicts such pods first.
 */
export const containerResourcesSchema = z.strictObject({
  cpu: quantity("CPU"),
  memory: quantity("memory"),
  "ephemeral-storage": quantity("storage"),
});

/** `{requests, limits}` of `dimensions`; no request may exceed its limit. */
function requestsAndLimits<T extends z.ZodRawShape>(dimensions: z.ZodObject<T>) {
  return z.strictObject({ requests: dimensions, limits: dimensions }).superRefine((value, ctx) => {
    const requests = value.requests as Record<string, string>;
    const limits = value.limits as Record<string, string>;
    for (const dimension of Object.keys(dimensions.shape)) {
      const request = parseQuantity(requests[dimension]);
      const limit = parseQuantity(limits[dimension]);
      // Only two valid quantities compare; an invalid one has its own problem.
      if (request === undefined || limit === undefined || request < 0n || limit < 0n) continue;
      if (request > limit) {
        ctx.addIssue({
          code: "custom",
          path: ["requests", dimension],
          input: requests[dimension],
          message: `expected a request no larger than the limit ${limits[dimension]}`,
        });
      }
    }
  });
}

/** Requests and limits of one container: CPU, memory and ephemeral storage. */
export const resourcesSchema = requestsAndLimits(containerResourcesSchema);
export type Resources = z.infer<typeof resourcesSchema>;

/**
 * The emptyDirs the components give their pods, by `sizeLimit`: a platform service's `/tmp`, and an
 * agent's `state` (shared by `logic` and the sidecar). Ephemeral-storage limits must hold them.
 */
export const SERVICE_TMP_SIZE_LIMIT = "64Mi";
export const AGENT_STATE_SIZE_LIMIT = "1Gi";

/** A platform service's resources: its ephemeral-storage limit holds its `/tmp` volume. */
export const serviceResourcesSchema = resourcesSchema.superRefine((value, ctx) => {
  const limit = value.limits["ephemeral-storage"];
  if ((parseQuantity(limit) ?? 0n) < parseQuantity(SERVICE_TMP_SIZE_LIMIT)!) {
    ctx.addIssue({
      code: "custom",
      path: ["limits", "ephemeral-storage"],
      input: limit,
      message: `expected a limit that holds the container's /tmp volume (${SERVICE_TMP_SIZE_LIMIT}) and more`,
    });
  }
});

/** An agent container's ephemeral storage: the limit holds the pod's `state` volume. */
export const agentStorageSchema = storageRequestAndLimit().superRefine((value, ctx) => {
  if ((parseQuantity(value.limit) ?? 0n) < parseQuantity(AGENT_STATE_SIZE_LIMIT)!) {
    ctx.addIssue({
      code: "custom",
      path: ["limit"],
      input: value.limit,
      message: `expected a limit that holds the agent's state volume (${AGENT_STATE_SIZE_LIMIT}) and more`,
    });
  }
});

/** Requests and limits of CPU and memory only (an agent's, whose storage the stack adds). */
export const computeRequestsAndLimitsSchema = requestsAndLimits(computeResourcesSchema);
export type ComputeResources = z.infer<typeof computeRequestsAndLimitsSchema>;

/** CPU and memory requests and limits, with an ephemeral-storage request and limit added. */
export function withStorage(
  compute: ComputeResources,
  storage: { readonly request: string; readonly limit: string },
): Resources {
  return {
    requests: { ...compute.requests, "ephemeral-storage": storage.request },
    limits: { ...compute.limits, "ephemeral-storage": storage.limit },
  };
}

/** An ephemeral-storage request and limit, as `agents.ephemeralStorage` gives them. */
function storageRequestAndLimit() {
  return z
    .strictObject({ request: quantity("storage"), limit: quantity("storage") })
    .superRefine((value, ctx) => {
      const [request, limit] = [parseQuantity(value.request), parseQuantity(value.limit)];
      if (request !== undefined && limit !== undefined && request > limit) {
        ctx.addIssue({
          code: "custom",
          path: ["request"],
          input: value.request,
          message: `expected a request no larger than the limit ${value.limit}`,
        });
      }
    });
}

/**
 * An image tag (letters, digits, `_`, `.`, `-`, at most 128 characters: the OCI rule), or a
 * digest `sha256:<64 hex>`, which pins the image for good (`imageRef` writes it after `@`).
 */
export const imageTagSchema = z
  .string({
    // Only production leaves image tags without a default (stacks/defaults.ts).
    error: (issue) =>
      issue.input === undefined
        ? 'expected an image tag: production has no default, so name a pinned version such as "1.4.2" or a digest "sha256:<64 hex>"'
        : undefined,
  })
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$|^sha256:[a-f0-9]{64}$/,
    'expected an image tag such as "1.4.2", or a digest "sha256:<64 hex>"',
  );

/** A replica count, 0 to 10: a number in a spec, a number or digits in config. */
export const specReplicasSchema = z.number().int().min(0).max(10);
/** Replicas of a stateless service. */
export const replicasSchema = count(specReplicasSchema);

/** An ILP address (RFC 15): scheme then dot-separated segments. */
export const ilpAddressSchema = z
  .string()
  .regex(
    /^(g|private|example|peer|self|test|test1|test2|test3|local)(\.[a-zA-Z0-9_~-]+)+$/,
    'expected an ILP address such as "g.agent-platform.society"',
  )
  .max(1023);

/** `NODE_ID`: a service's name in logs and peering, e.g. `agent-society`. */
export function nodeIdSchema(example: string) {
  return z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, `expected a node id such as "${example}"`);
}
