import * as fs from "fs";
import * as path from "path";
import { load } from "js-yaml";
import { PROJECT } from "../stacks/config";
import { SECRETS } from "../stacks/secrets";

/** Config as the Pulumi CLI would hand it to the program, read from `Pulumi.<stack>.yaml`. */
export interface StackFileConfig {
  /** Values by full key; structured values as JSON, as the CLI passes them. */
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
  /** Secret keys the render stood a placeholder in for (unset, or encrypted in the file). */
  readonly placeholders: string[];
}

export const ROOT = path.resolve(__dirname, "..");

export function stackFilePath(stack: string): string {
  return path.join(ROOT, `Pulumi.${stack}.yaml`);
}

/**
 * Reads a stack file. Encrypted (`secure:`) values cannot be decrypted without the Pulumi CLI,
 * so each secret, set or not, gets its render placeholder: a valid stand-in that is redacted in
 * everything render writes.
 */
export function readStackFile(stack: string): StackFileConfig {
  const file = stackFilePath(stack);
  if (!fs.existsSync(file)) {
    const stacks = fs
      .readdirSync(ROOT)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
    throw new Error(`There is no ${path.basename(file)}; the stacks are: ${stacks.join(", ")}`);
  }
  const document = (load(fs.readFileSync(file, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(document.config ?? {})) {
    if (isSecure(value)) continue; // stands in below
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const secretKeys: string[] = [];
  const placeholders: string[] = [];
  for (const secret of Object.values(SECRETS)) {
    const fullKey = `${PROJECT}:${secret.key}`;
    if (fullKey in config) continue; // set in plaintext: the program refuses it, by name
    config[fullKey] = secret.renderPlaceholder;
    secretKeys.push(fullKey);
    placeholders.push(secret.key);
  }
  return { config, secretKeys, placeholders };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}
