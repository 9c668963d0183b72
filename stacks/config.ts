import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CATALOG, Catalog, platformRepositories } from "./catalog";
import { environmentDefaultsOf } from "./defaults";
import {
  InvalidInputError,
  Problem,
  RESERVED_OBJECT_KEYS,
  describeValue,
  defineOwn,
  problemsFromZod,
  unwrap,
} from "./problems";
import { ENVIRONMENTS, Environment } from "./environments";
import { PartialStackConfig, StackConfig, environmentRules, stackConfigShapeOf } from "./schema";
import { IMAGE_REGISTRY_UNSET } from "./images";
import { SECRETS, SecretKey } from "./secrets";

/** The Pulumi project name; config keys live under `agent-platform:`. */
export const PROJECT = "agent-platform";

/** The validated config of one stack, plus its secrets as secret Outputs. */
export interface LoadedStackConfig extends StackConfig {
  /** The Pulumi stack name, e.g. `production`. */
  readonly stack: string;
  readonly secrets: { readonly [K in SecretKey]: pulumi.Output<string> };
}

/** Raw config as Pulumi hands it to a program: every value is a string. */
export interface RawConfig {
  readonly stack: string;
  /** Values by key without the project prefix. */
  readonly values: Readonly<Record<string, string>>;
  /** Keys (without prefix) whose values were set with `--secret`. */
  readonly secretKeys: ReadonlySet<string>;
  /** Full keys under any other prefix (`kubernetes:context`, or a typo such as `agent-platfrom:x`). */
  readonly otherKeys?: readonly string[];
  /** Values of the provider settings the stack depends on (`REQUIRED_PROVIDER_SETTINGS`). */
  readonly providerSettings?: Readonly<Record<string, string>>;
  /** True for `pulumi up` (and destroy, refresh), false for `pulumi preview` and the render. */
  readonly deploying?: boolean;
}

/** What a preview says when `imageRegistry` is not set; `pulumi up` refuses instead. */
export function imageRegistryUnsetWarning(stack: string): string {
  return (
    `imageRegistry is not set: the platform's images are shown under ${IMAGE_REGISTRY_UNSET}, ` +
    "which cannot be pulled, and `pulumi up` refuses to deploy until it is set: " +
    `pulumi config set --stack ${stack} imageRegistry <registry such as ghcr.io/acme>`
  );
}

/**
 * Provider settings the program cannot work without, and the one value they may have when set:
 * kept objects are Patch resources (components/shared/kept.ts), which the provider manages only
 * with server-side apply. The provider takes any value but exactly "true" for off, from the stack
 * file first, else from its environment variable; unset, it is on.
 */
const REQUIRED_PROVIDER_SETTINGS = {
  "kubernetes:enableServerSideApply": {
    environment: "PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY",
    required: "true",
    why: "kept objects (TigerBeetle's namespace, claims and record, the Agent CRD) are Patch resources, which need server-side apply",
  },
} as const;

/** Config namespaces other programs read: the Kubernetes provider's and Pulumi's own. */
const OTHER_CONFIG_NAMESPACES = ["kubernetes", "pulumi"] as const;

/** Reads the running program's config: the same store `pulumi up` and the mock runtime fill. */
export function readPulumiConfig(): RawConfig {
  // isConfigSecret is exported by the SDK's runtime but marked internal in its typings.
  const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  return rawConfig(
    pulumi.getStack(),
    pulumi.runtime.allConfig(),
    (fullKey) => runtime.isConfigSecret(fullKey),
    !pulumi.runtime.isDryRun(),
  );
}

/**
 * Config by full key (`agent-platform:logLevel`), as Pulumi hands it to a program, in the form the
 * checks take: this project's keys without their prefix, every other key by name, and the
 * provider settings the stack depends on (from the stack file first, else the environment).
 */
export function rawConfig(
  stack: string,
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
  deploying: boolean,
): RawConfig {
  const prefix = `${PROJECT}:`;
  const values: Record<string, string> = {};
  const otherKeys: string[] = [];
  const providerSettings: Record<string, string> = {};
  for (const setting of Object.values(REQUIRED_PROVIDER_SETTINGS)) {
    const fromEnvironment = process.env[setting.environment];
    if (fromEnvironment !== undefined) providerSettings[setting.environment] = fromEnvironment;
  }
  for (const [fullKey, value] of Object.entries(all)) {
    if (fullKey.startsWith(prefix)) values[fullKey.slice(prefix.length)] = value;
    else otherKeys.push(fullKey);
    if (fullKey in REQUIRED_PROVIDER_SETTINGS) providerSettings[fullKey] = value;
  }
  const secretKeys = new Set(Object.keys(values).filter((k) => isSecret(prefix + k)));
  return { stack, values, secretKeys, otherKeys, providerSettings, deploying };
}

/**
 * Validates a stack's whole config at once and returns it typed, with environment defaults
 * filled in. Throws `InvalidInputError` listing every problem, before any resource exists.
 * `catalog` gives the service sections (each record's schema and defaults).
 */
export function loadStackConfig(
  raw: RawConfig = readPulumiConfig(),
  catalog: Catalog = CATALOG,
): LoadedStackConfig {
  const source = `Pulumi.${raw.stack}.yaml`;
  const shape = stackConfigShapeOf(catalog);
  const problems: Problem[] = [
    ...otherNamespaceProblems(raw, source),
    ...providerSettingProblems(raw, source),
  ];
  const { plain, secretValues } = readValues(raw, source, shape, problems);
  problems.push(...missingSecretProblems(raw, source), ...registryProblems(raw, source, catalog));
  const { config, partial } = withDefaults(plain, raw.stack, source, { catalog, shape }, problems);
  if (problems.length > 0 || config === undefined) {
    throw new InvalidConfigError(`Invalid config for stack "${raw.stack}"`, problems, partial);
  }
  const secrets = Object.fromEntries(
    Object.entries(secretValues).map(([k, v]) => [k, pulumi.secret(v)]),
  ) as LoadedStackConfig["secrets"];
  return { ...config, stack: raw.stack, secrets };
}

/** Keys under a namespace no program here reads: most often a typo of the project's. */
function otherNamespaceProblems(raw: RawConfig, source: string): Problem[] {
  const allowed: readonly string[] = OTHER_CONFIG_NAMESPACES;
  return (raw.otherKeys ?? []).flatMap((fullKey) => {
    const namespace = fullKey.split(":")[0];
    if (allowed.includes(namespace)) return [];
    const message = `unknown config namespace "${namespace}"; allowed: ${[PROJECT, ...allowed].join(", ")} (is it a typo of "${PROJECT}"?)`;
    return [{ source, path: fullKey, message }];
  });
}

/** Provider settings the program cannot work without, set to anything but their one value. */
function providerSettingProblems(raw: RawConfig, source: string): Problem[] {
  const problems: Problem[] = [];
  for (const [key, setting] of Object.entries(REQUIRED_PROVIDER_SETTINGS)) {
    // The provider reads the environment variable only when the stack file does not set the key.
    const name = raw.providerSettings?.[key] !== undefined ? key : setting.environment;
    const value = raw.providerSettings?.[name];
    if (value !== undefined && value !== setting.required) {
      problems.push({
        source: name === key ? source : "environment",
        path: name,
        message: `expected "${setting.required}" or unset: ${setting.why}; given "${value}"`,
      });
    }
  }
  return problems;
}

/**
 * The values of the stack file: secrets apart (checked, never echoed), plain values parsed as
 * Pulumi stores them. Adds a problem for a secret in plaintext, a plain key set as a secret, a
 * bad secret, and a reserved object key.
 */
function readValues(
  raw: RawConfig,
  source: string,
  shape: Record<string, unknown>,
  problems: Problem[],
): { plain: Record<string, unknown>; secretValues: Partial<Record<SecretKey, string>> } {
  const plain: Record<string, unknown> = {};
  const secretValues: Partial<Record<SecretKey, string>> = {};
  for (const [key, text] of Object.entries(raw.values)) {
    const path = `${PROJECT}:${key}`;
    if (key in SECRETS) {
      const problem = secretProblem(raw, key as SecretKey, text, source);
      if (problem === undefined) secretValues[key as SecretKey] = text;
      else problems.push(problem);
    } else if (raw.secretKeys.has(key)) {
      // Never parsed nor echoed: the user marked it secret.
      problems.push({
        source,
        path,
        message:
          key in shape
            ? `is not a secret; set it in plaintext with "pulumi config set ${key} <value>" (given a secret value, not shown)`
            : `unknown secret key; allowed secret keys: ${Object.keys(SECRETS).join(", ")} (given a secret value, not shown)`,
      });
    } else {
      const value = parseValue(text);
      const forbidden = forbiddenKeyPath(value);
      if (forbidden === undefined) defineOwn(plain, key, value);
      else {
        problems.push({
          source,
          path: `${path}${forbidden}`,
          message:
            "expected a config field; given a reserved key (__proto__, constructor, prototype)",
        });
      }
    }
  }
  return { plain, secretValues };
}

/** What is wrong with a secret's value, never showing it: in plaintext, or not what it must be. */
function secretProblem(
  raw: RawConfig,
  key: SecretKey,
  text: string,
  source: string,
): Problem | undefined {
  const secret = SECRETS[key];
  const path = `${PROJECT}:${key}`;
  if (!raw.secretKeys.has(key)) {
    return {
      source,
      path,
      message: `is a secret and must be set with "pulumi config set --secret ${key} <value>"; it is in plaintext now, so remove it from ${source} and set it again, and rotate it`,
    };
  }
  const parsed = secret.schema.safeParse(text);
  if (parsed.success) return undefined;
  return {
    source,
    path,
    message: `${secret.description}: ${parsed.error.issues[0]?.message}; given a secret value (not shown)`,
  };
}

function missingSecretProblems(raw: RawConfig, source: string): Problem[] {
  return Object.values(SECRETS)
    .filter((secret) => !(secret.key in raw.values))
    .map((secret) => ({
      source,
      path: `${PROJECT}:${secret.key}`,
      message: `is not set; it is ${secret.description}. Set it with: pulumi config set --secret --stack ${raw.stack} ${secret.key} "$(${secret.howToGenerate})"`,
    }));
}

/** `pulumi up` needs the registry; a preview shows the images under `IMAGE_REGISTRY_UNSET`. */
function registryProblems(raw: RawConfig, source: string, catalog: Catalog): Problem[] {
  if (raw.deploying !== true || "imageRegistry" in raw.values) return [];
  return [
    {
      source,
      path: `${PROJECT}:imageRegistry`,
      message: `is not set; pulumi up needs the registry that holds the platform's images (${platformRepositories(catalog).join(", ")}). Set it with: pulumi config set --stack ${raw.stack} imageRegistry <registry such as ghcr.io/acme>`,
    },
  ];
}

/** Bad stack config: every problem, and what did parse, for the checks across files. */
export class InvalidConfigError extends InvalidInputError {
  constructor(
    title: string,
    problems: readonly Problem[],
    readonly partial: PartialStackConfig,
  ) {
    super(title, problems);
  }
}

/** Pulumi stores structured values as JSON and scalars as plain strings. */
function parseValue(text: string): unknown {
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text; // reported by the schema as the wrong type
    }
  }
  return text;
}

/** The path below a config value of the first key such as `__proto__`, e.g. `.a.__proto__`. */
function forbiddenKeyPath(value: unknown, path = ""): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const here = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
    if (!Array.isArray(value) && RESERVED_OBJECT_KEYS.has(k)) return here;
    const below = forbiddenKeyPath(v, here);
    if (below !== undefined) return below;
  }
  return undefined;
}

/**
 * The stack's environment. A stack named after an environment is that environment: its
 * `environment` key may only repeat it. Any other stack name must set `environment`.
 */
function environmentOf(
  stack: string,
  given: unknown,
  source: string,
  problems: Problem[],
): Environment | undefined {
  const byName = (ENVIRONMENTS as readonly string[]).includes(stack)
    ? (stack as Environment)
    : undefined;
  if (byName !== undefined) {
    if (given !== undefined && given !== byName) {
      problems.push({
        source,
        path: `${PROJECT}:environment`,
        message: `expected "${byName}" or nothing: the stack "${stack}" is the ${byName} environment; given ${describeValue(given)}`,
      });
    }
    return byName;
  }
  const parsed = z.enum(ENVIRONMENTS).safeParse(given);
  if (parsed.success) return parsed.data;
  problems.push({
    source,
    path: `${PROJECT}:environment`,
    message: `expected one of ${ENVIRONMENTS.map((e) => `"${e}"`).join(", ")} (the stack "${stack}" is not named after an environment); given ${describeValue(given)}`,
  });
  return undefined;
}

/**
 * The config with the environment's defaults, checked whole, then the environment's rules on
 * whatever parsed: a problem in one field never hides another's, nor keeps a rule from seeing the
 * fields that are good (`partialParse`). Returns the config when there is no problem, and always
 * what parsed, for the checks across files (the agents section against the specs).
 */
function withDefaults(
  plain: Record<string, unknown>,
  stack: string,
  source: string,
  { catalog, shape }: { catalog: Catalog; shape: ReturnType<typeof stackConfigShapeOf> },
  problems: Problem[],
): { config?: StackConfig; partial: PartialStackConfig } {
  const environment = environmentOf(stack, plain.environment, source, problems);
  // Without an environment, the other keys are still checked, against production's (stricter) rules.
  const defaults = environmentDefaultsOf(catalog)[environment ?? "production"];
  const merged = deepMerge(defaults, { ...plain, environment: environment ?? plain.environment });
  const schema = z.strictObject(shape);
  const result = schema.safeParse(merged, { reportInput: true });
  const partial = (
    result.success ? result.data : (partialParse(schema, merged) ?? {})
  ) as PartialStackConfig;
  const issues = [
    ...(result.success ? [] : result.error.issues),
    ...(environment === undefined
      ? []
      : environmentRules({ ...partial, environment }, catalog).map(
          (rule): z.core.$ZodIssue => ({ code: "custom", ...rule }) as z.core.$ZodIssue,
        )),
  ].filter((i) => environment !== undefined || i.path[0] !== "environment");
  problems.push(
    ...problemsFromZod(source, new z.ZodError(issues), {
      pathPrefix: `${PROJECT}:`,
      schema,
    }),
  );
  const config =
    issues.length === 0 && result.success ? (result.data as unknown as StackConfig) : undefined;
  return { config, partial };
}

/**
 * What parses of `value`: all of it when it does, else, for an object, each field that does on its
 * own (and for a record, each entry whose key and value do), recursively; `undefined` for nothing.
 */
function partialParse(schema: z.ZodType, value: unknown): unknown {
  const whole = schema.safeParse(value);
  if (whole.success) return whole.data;
  const inner = unwrap(schema);
  if (!isPlainObject(value)) return undefined;
  const parts: Record<string, unknown> = {};
  if (inner instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const part = partialParse(field, value[key]);
      if (part !== undefined) parts[key] = part;
    }
    return parts;
  }
  if (inner instanceof z.ZodRecord) {
    for (const [key, entry] of Object.entries(value)) {
      if (!(inner.keyType as z.ZodType).safeParse(key).success) continue;
      const part = partialParse(inner.valueType as z.ZodType, entry);
      if (part !== undefined) parts[key] = part;
    }
    return parts;
  }
  return undefined;
}

/** Objects merge key by key; arrays and scalars from `override` replace. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(override)) {
    const result: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) {
      defineOwn(result, k, deepMerge(Object.hasOwn(base, k) ? base[k] : undefined, v));
    }
    return result;
  }
  return override === undefined ? base : override;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
