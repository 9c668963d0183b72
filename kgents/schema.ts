import { z } from "zod";
import { isNonNegativeQuantity, parseQuantity } from "../stacks/quantity";
import { genusSchema } from "../stacks/schema";
import { ComputeResources, specReplicasSchema } from "../stacks/schema-parts";

/**
 * The frontmatter of an agent spec (`spec/agents/<name>.md`): the single source of truth for
 * what a spec may say. Fields and defaults are the kgents operator's (see the README, "Spec
 * files"); unknown fields are errors.
 */

/**
 * The operator's defaults, but one: a spec without `image` runs the stack's kgents image
 * (`agents.imageTag` under `imageRegistry`), not the operator's `python:3.12-slim`, which lacks
 * the `agents` package that `python -m agents.<genus>.main` imports: every agent would exit at
 * start and crash-loop.
 */
const SPEC_DEFAULTS = {
  replicas: 1,
  cpu: "100m",
  memory: "256Mi",
} as const;

/**
 * The `d-gent` sidecar's resources when its spec sets none: the `kgents-agents` LimitRange's
 * defaults (request 50m/128Mi, limit 100m/256Mi), i.e. what the namespace would give it anyway,
 * written down so that budgets can count it.
 */
const SIDECAR_DEFAULT_RESOURCES: ComputeResources = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { cpu: "100m", memory: "256Mi" },
};

/** The sidecar's command: the D-gent state service of the kgents image. */
export const SIDECAR_MODULE = "agents.d.sidecar";

/**
 * `config` keys: lower snake case, at most 50 characters. Each becomes the environment variable
 * `KGENTS_<KEY>` with the key upper-cased (`max_spend` → `KGENTS_MAX_SPEND`). Upper case,
 * dashes and dots are refused so that two keys can never map to one variable.
 */
const CONFIG_KEY_PATTERN = /^[a-z][a-z0-9_]{0,49}$/;

/** Variables the stack sets itself; a config key that would map onto one is refused. */
const RESERVED_CONFIG_KEYS = ["genus", "state_path"] as const;

/** A container image with a tag or digest (`python:3.12-slim`, `ghcr.io/acme/kgents:1.2`). */
export const IMAGE_PATTERN =
  /^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

const imageSchema = z.string().refine((image) => {
  const match = IMAGE_PATTERN.exec(image);
  return match !== null && (match[2] !== undefined || match[3] !== undefined);
}, 'expected an image with a tag or digest, such as "ghcr.io/acme/kgents:1.4.2"');

/**
 * The quantities an agent spec may write: decimal digits with an optional fraction and one of the
 * suffixes the Agent CRD allows. The CRD's openAPI schema uses this same pattern, so a spec that
 * passes here is never refused by the API server halfway through `pulumi up` (`1e3`, `+1`,
 * `100u` are valid Kubernetes quantities, but not Agent quantities).
 */
export const AGENT_QUANTITY_PATTERN = /^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const quantity = (what: "CPU" | "memory") =>
  z
    .string()
    .refine(
      (text) => AGENT_QUANTITY_PATTERN.test(text) && isNonNegativeQuantity(text),
      `expected a ${what} quantity such as ${what === "CPU" ? '"250m" or "0.5"' : '"256Mi" or "1Gi"'} (digits, an optional fraction, and one of m, k, M, G, T, Ki, Mi, Gi, Ti)`,
    );

/**
 * The operator's `resources`: `cpu` and `memory` are the container's requests; `limits`
 * (optional, each dimension defaults to its request) lets it burst above them.
 */
const specResourcesSchema = z
  .strictObject({
    cpu: quantity("CPU").default(SPEC_DEFAULTS.cpu),
    memory: quantity("memory").default(SPEC_DEFAULTS.memory),
    limits: z
      .strictObject({ cpu: quantity("CPU").optional(), memory: quantity("memory").optional() })
      .optional(),
  })
  .superRefine((value, ctx) => {
    for (const dimension of ["cpu", "memory"] as const) {
      const limitText = value.limits?.[dimension];
      if (limitText === undefined || !AGENT_QUANTITY_PATTERN.test(limitText)) continue;
      if (!AGENT_QUANTITY_PATTERN.test(value[dimension])) continue;
      const request = parseQuantity(value[dimension]);
      const limit = parseQuantity(limitText);
      if (request !== undefined && limit !== undefined && request > limit) {
        ctx.addIssue({
          code: "custom",
          path: [dimension],
          input: value[dimension],
          message: `expected a request no larger than the limit ${limitText}`,
        });
      }
    }
  });

/** The requests/limits form the stack uses, from a spec's `resources`. */
function toResources(value: z.infer<typeof specResourcesSchema>): ComputeResources {
  return {
    requests: { cpu: value.cpu, memory: value.memory },
    limits: { cpu: value.limits?.cpu ?? value.cpu, memory: value.limits?.memory ?? value.memory },
  };
}

const sidecarObjectSchema = z.strictObject(
  {
    enabled: z.boolean().default(true),
    /** Defaults to the agent's own image (the D-gent module ships in it). */
    image: imageSchema.optional(),
    resources: specResourcesSchema.optional(),
  },
  {
    error: (issue) =>
      issue.code === "invalid_type"
        ? "expected true, false, or an object with enabled, image, resources"
        : undefined,
  },
);

/** `sidecar: true`, `sidecar: false`, or `sidecar: {enabled, image, resources}`. */
const sidecarSchema = z.preprocess(
  (value) => (typeof value === "boolean" ? { enabled: value } : value),
  sidecarObjectSchema,
);

/** Longest `config` value, in characters, and most `config` keys per agent. */
const MAX_CONFIG_VALUE_LENGTH = 4096;
const MAX_CONFIG_KEYS = 100;

const configValueSchema = z
  .unknown()
  .refine(
    (v) => typeof v === "string" || typeof v === "boolean" || Number.isFinite(v),
    "expected a string, number or boolean",
  )
  .refine(
    (v) => String(v).length <= MAX_CONFIG_VALUE_LENGTH,
    `expected at most ${MAX_CONFIG_VALUE_LENGTH} characters`,
  )
  .transform((v) => v as string | number | boolean);

/** Display name; defaults to `<genus>-gent`. */
const nameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, 'expected a name such as "B-gent"');

/** Python module run with `python -m`; defaults to `agents.<genus lowercase>.main`. */
const entrypointSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'expected a Python module such as "agents.b.main"',
  );

/** `config`: lower snake case keys other than the reserved ones, at most `MAX_CONFIG_KEYS`. */
const configSchema = z
  .record(
    z
      .string()
      .regex(CONFIG_KEY_PATTERN, 'expected a lower snake case key such as "max_spend"')
      .refine(
        (key) => !(RESERVED_CONFIG_KEYS as readonly string[]).includes(key),
        `expected a key other than ${RESERVED_CONFIG_KEYS.map((k) => `"${k}"`).join(", ")} (the stack sets KGENTS_GENUS and KGENTS_STATE_PATH itself)`,
      ),
    configValueSchema,
  )
  .superRefine((config, ctx) => {
    const count = Object.keys(config).length;
    if (count > MAX_CONFIG_KEYS) {
      ctx.addIssue({
        code: "custom",
        input: count,
        message: `expected at most ${MAX_CONFIG_KEYS} keys`,
      });
    }
  });

/** `networkPolicy`, its peers named under the given genus rule. */
function networkPolicySchemaWith(genus: z.ZodType<string>) {
  return z.strictObject({
    /** Opens egress to addresses outside the cluster's private ranges (see the README). */
    allowEgress: z.boolean().default(false),
    /** Genera this agent calls on 8080; each must have a spec. */
    allowedPeers: z.array(genus).default([]),
  });
}

/**
 * The frontmatter schema with a given genus rule. The stack always uses `genusSchema`
 * (`^([A-Z]|Psi)$`, so at most 27 agents); only the benchmark passes a wider rule, because
 * 1,000 specs cannot have 1,000 distinct genera under the real one.
 */
export function frontmatterSchemaWith(genus: z.ZodType<string>) {
  return z.strictObject({
    genus,
    name: nameSchema.optional(),
    /** A full image reference; unset, the stack's kgents image (`SPEC_DEFAULTS`). */
    image: imageSchema.optional(),
    replicas: specReplicasSchema.default(SPEC_DEFAULTS.replicas),
    resources: specResourcesSchema.prefault({}),
    sidecar: sidecarSchema.prefault(false),
    entrypoint: entrypointSchema.optional(),
    config: configSchema.default({}),
    networkPolicy: networkPolicySchemaWith(genus).prefault({}),
  });
}

export const frontmatterSchema = frontmatterSchemaWith(genusSchema);
type Frontmatter = z.infer<typeof frontmatterSchema>;

/** One agent as its spec file describes it, defaults filled in. */
export interface AgentSpec {
  /** The spec file, relative to the working directory, for messages. */
  readonly file: string;
  readonly genus: string;
  readonly name: string;
  /** Undefined: the stack's kgents image. */
  readonly image: string | undefined;
  readonly replicas: number;
  /** CPU and memory of the `logic` container (its ephemeral storage is the stack's). */
  readonly resources: ComputeResources;
  readonly sidecar: {
    readonly enabled: boolean;
    /** Undefined: the `logic` container's image (after any stack override of its tag). */
    readonly image: string | undefined;
    readonly resources: ComputeResources;
  };
  readonly entrypoint: string;
  readonly config: Readonly<Record<string, string | number | boolean>>;
  readonly networkPolicy: {
    readonly allowEgress: boolean;
    readonly allowedPeers: readonly string[];
  };
  /** The markdown body: what the agent is for. */
  readonly description: string;
}

/** Fills in the defaults that depend on other fields. */
export function toAgentSpec(file: string, data: Frontmatter, body: string): AgentSpec {
  return {
    file,
    genus: data.genus,
    name: data.name ?? `${data.genus}-gent`,
    image: data.image,
    replicas: data.replicas,
    resources: toResources(data.resources),
    sidecar: {
      enabled: data.sidecar.enabled,
      image: data.sidecar.image,
      resources:
        data.sidecar.resources === undefined
          ? SIDECAR_DEFAULT_RESOURCES
          : toResources(data.sidecar.resources),
    },
    entrypoint: data.entrypoint ?? `agents.${data.genus.toLowerCase()}.main`,
    config: data.config,
    networkPolicy: {
      allowEgress: data.networkPolicy.allowEgress,
      allowedPeers: data.networkPolicy.allowedPeers,
    },
    description: body.trim(),
  };
}

/** `KGENTS_<KEY>` for a config key: the key upper-cased. */
export function configEnvName(key: string): string {
  return `KGENTS_${key.toUpperCase()}`;
}
