import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ENVIRONMENT_DEFAULTS } from "./defaults";
import { InvalidInputError, Problem, describeValue, problemsFromZod } from "./problems";
import { ENVIRONMENTS, StackConfig, stackConfigSchema } from "./schema";
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
}

/** Reads the running program's config: the same store `pulumi up` and the mock runtime fill. */
export function readPulumiConfig(): RawConfig {
  const prefix = `${PROJECT}:`;
  const values: Record<string, string> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(prefix)) values[fullKey.slice(prefix.length)] = value;
  }
  // isConfigSecret is exported by the SDK's runtime but marked internal in its typings.
  const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = new Set(Object.keys(values).filter((k) => runtime.isConfigSecret(prefix + k)));
  return { stack: pulumi.getStack(), values, secretKeys };
}

/**
 * Validates a stack's whole config at once and returns it typed, with environment defaults
 * filled in. Throws `InvalidInputError` listing every problem, before any resource exists.
 */
export function loadStackConfig(raw: RawConfig = readPulumiConfig()): LoadedStackConfig {
  const source = `Pulumi.${raw.stack}.yaml`;
  const problems: Problem[] = [];
  const plain: Record<string, unknown> = {};
  const secretValues: Partial<Record<SecretKey, string>> = {};

  for (const [key, text] of Object.entries(raw.values)) {
    if (key in SECRETS) {
      const secret = SECRETS[key as SecretKey];
      if (!raw.secretKeys.has(key)) {
        problems.push({
          source,
          path: `${PROJECT}:${key}`,
          message: `is a secret and must be set with "pulumi config set --secret ${key} <value>"; it is in plaintext now, so remove it from ${source} and set it again, and rotate it`,
        });
      } else if (!secret.schema.safeParse(text).success) {
        problems.push({
          source,
          path: `${PROJECT}:${key}`,
          message: `${secret.description}: ${secret.schema.safeParse(text).error?.issues[0]?.message}; given a secret value (not shown)`,
        });
      } else {
        secretValues[key as SecretKey] = text;
      }
    } else {
      plain[key] = parseValue(text);
    }
  }

  for (const secret of Object.values(SECRETS)) {
    if (!(secret.key in raw.values)) {
      problems.push({
        source,
        path: `${PROJECT}:${secret.key}`,
        message: `is not set; it is ${secret.description}. Set it with: pulumi config set --secret --stack ${raw.stack} ${secret.key} "$(${secret.howToGenerate})"`,
      });
    }
  }

  const config = withDefaults(plain, source, problems);
  if (problems.length > 0 || config === undefined) {
    throw new InvalidInputError(`Invalid config for stack "${raw.stack}"`, problems);
  }
  const secrets = Object.fromEntries(
    Object.entries(secretValues).map(([k, v]) => [k, pulumi.secret(v)]),
  ) as LoadedStackConfig["secrets"];
  return { ...config, stack: raw.stack, secrets };
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

function withDefaults(
  plain: Record<string, unknown>,
  source: string,
  problems: Problem[],
): StackConfig | undefined {
  const environment = z.enum(ENVIRONMENTS).safeParse(plain.environment);
  if (!environment.success) {
    problems.push({
      source,
      path: `${PROJECT}:environment`,
      message: `expected one of ${ENVIRONMENTS.map((e) => `"${e}"`).join(", ")}; given ${describeValue(plain.environment)}`,
    });
    // Still report the other keys' problems, against the production rules (the stricter).
  }
  const defaults = ENVIRONMENT_DEFAULTS[environment.success ? environment.data : "production"];
  const merged = deepMerge(defaults, plain);
  const result = stackConfigSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    const issues = environment.success
      ? result.error.issues
      : result.error.issues.filter((i) => i.path[0] !== "environment");
    problems.push(
      ...problemsFromZod(source, new z.ZodError(issues), {
        pathPrefix: `${PROJECT}:`,
        schema: stackConfigSchema,
      }),
    );
    return undefined;
  }
  return result.data;
}

/** Objects merge key by key; arrays and scalars from `override` replace. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(override)) {
    const result: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) result[k] = deepMerge(base[k], v);
    return result;
  }
  return override === undefined ? base : override;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
