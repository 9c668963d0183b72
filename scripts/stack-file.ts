import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { PROJECT } from "../stacks/config";
import { InvalidInputError } from "../stacks/problems";
import { SECRETS } from "../stacks/secrets";
import { YAML_AS_DATA, describeYamlError } from "../kgents/frontmatter";
import { UsageError } from "./cli";

/** Config as the Pulumi CLI would hand it to the program, read from `Pulumi.<stack>.yaml`. */
interface StackFileConfig {
  /** Values by full key; structured values as JSON, as the CLI passes them. */
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
  /** Secret keys the render stood a placeholder in for, and why: not set, or encrypted in the file. */
  readonly placeholders: { readonly key: string; readonly encrypted: boolean }[];
}

export const ROOT = path.resolve(__dirname, "..");

/**
 * Environment variable naming the folder that holds `Pulumi.yaml` and the stack files. Unset,
 * it is the repository, as for `pulumi up`; `npm run local` and the end-to-end tests point it at a
 * workspace of their own, so that generated secrets never touch the committed stack files.
 */
export const WORKSPACE_VARIABLE = "AGENT_PLATFORM_WORKSPACE";

/** Where the engine and the commands that read a live cluster find the stack files. */
export function workspaceDir(): string {
  return path.resolve(process.env[WORKSPACE_VARIABLE] ?? ROOT);
}

/** A Pulumi stack name: letters, digits, `-`, `_`, `.`; never a path. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** The stacks of this project (or of the workspace `dir`): the names of its `Pulumi.<stack>.yaml` files. */
export function stackNames(dir: string = ROOT): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && STACK_NAME.test(s))
    .sort();
}

/**
 * A stack name given on the command line, checked: a name (never a path) whose stack file
 * exists in the project. Anything else is a usage error that lists the stacks.
 */
export function checkStackName(stack: string, dir: string = ROOT): string {
  const stacks = stackNames(dir);
  if (!STACK_NAME.test(stack) || stack.includes("..") || !stacks.includes(stack)) {
    throw new UsageError(
      `There is no stack ${JSON.stringify(stack)} (a stack name, not a path); the stacks are: ${stacks.join(", ")}`,
    );
  }
  return stack;
}

function stackFilePath(stack: string, dir: string): string {
  return path.join(dir, `Pulumi.${checkStackName(stack, dir)}.yaml`);
}

/**
 * Reads a stack file as plain data (YAML 1.2 core schema, no tags, unique keys, bounded aliases).
 * Encrypted (`secure:`) values cannot be decrypted without the Pulumi CLI, so each secret, set
 * or not, gets its render placeholder: a valid stand-in that is redacted in everything render
 * writes. A `secure:` value under any other key is passed on marked secret, as the CLI would,
 * so that the program refuses it by name; its ciphertext is never shown. From the repository's
 * stack files unless `dir` names a workspace's.
 */
export function readStackFile(stack: string, dir: string = ROOT): StackFileConfig {
  const file = stackFilePath(stack, dir);
  const name = path.basename(file);
  const top = parseStackYaml(fs.readFileSync(file, "utf8"), name);
  const { config, secretKeys, encrypted } = configValues(top.config ?? {}, name);
  const placeholders = standInSecrets(config, secretKeys, encrypted);
  return { config, secretKeys, placeholders };
}

/** A stack file's text as plain data whose `config`, if any, is a mapping; else its problems. */
function parseStackYaml(text: string, name: string): { config?: Record<string, unknown> } {
  const document = parseDocument(text, YAML_AS_DATA);
  const errors = [...document.errors, ...document.warnings];
  if (errors.length > 0) {
    // Only the error's first line and position: the file's text (ciphertexts) is never echoed.
    throw new InvalidInputError(
      `Cannot read ${name}`,
      errors.map((e) => ({
        source: name,
        path: `line ${e.linePos?.[0].line ?? "?"}`,
        message: `expected valid YAML; given text that does not parse (${describeYamlError(e.code, e.message)})`,
      })),
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch {
    throw new InvalidInputError(`Cannot read ${name}`, [
      {
        source: name,
        path: "(file)",
        message: "expected plain YAML data; given aliases that expand too far",
      },
    ]);
  }
  const top = (data ?? {}) as { config?: unknown };
  if (
    typeof top !== "object" ||
    Array.isArray(top) ||
    (top.config !== undefined &&
      (typeof top.config !== "object" || top.config === null || Array.isArray(top.config)))
  ) {
    throw new InvalidInputError(`Cannot read ${name}`, [
      { source: name, path: "config", message: "expected a mapping of config keys to values" },
    ]);
  }
  return top as { config?: Record<string, unknown> };
}

/**
 * The file's config values as the CLI passes them (structured ones as JSON). A `secure:` value
 * of a known secret is left out and noted as encrypted; of any other key, passed on as secret.
 */
function configValues(
  values: Record<string, unknown>,
  name: string,
): { config: Record<string, string>; secretKeys: string[]; encrypted: Set<string> } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const encrypted = new Set<string>();
  const knownSecrets = new Set(Object.values(SECRETS).map((s) => `${PROJECT}:${s.key}`));
  for (const [key, value] of Object.entries(values)) {
    if (isSecure(value)) {
      if (knownSecrets.has(key)) {
        encrypted.add(key); // stands in below
        continue;
      }
      config[key] = "[secret]";
      secretKeys.push(key);
      continue;
    }
    try {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    } catch {
      throw new InvalidInputError(`Cannot read ${name}`, [
        {
          source: name,
          path: key,
          message: "expected plain YAML data; given an alias that contains itself",
        },
      ]);
    }
  }
  return { config, secretKeys, encrypted };
}

/** Gives each secret not set in plaintext its render placeholder; returns what it stood in for. */
function standInSecrets(
  config: Record<string, string>,
  secretKeys: string[],
  encrypted: ReadonlySet<string>,
): { key: string; encrypted: boolean }[] {
  const placeholders: { key: string; encrypted: boolean }[] = [];
  for (const secret of Object.values(SECRETS)) {
    const fullKey = `${PROJECT}:${secret.key}`;
    if (fullKey in config) continue; // set in plaintext: the program refuses it, by name
    config[fullKey] = secret.renderPlaceholder;
    secretKeys.push(fullKey);
    placeholders.push({ key: secret.key, encrypted: encrypted.has(fullKey) });
  }
  return placeholders;
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}
