import { Manifest, RenderOptions, Rendered, renderStack } from "../scripts/render-lib";
import { readStackFile } from "../scripts/stack-file";
import { RawConfig, deepMerge } from "../stacks/config";
import { SECRETS } from "../stacks/secrets";
import { ENVIRONMENT_DEFAULTS } from "../stacks/defaults";
import { InvalidInputError } from "../stacks/problems";

/**
 * Shared test helpers. Every test runs the real program (`index.ts`) through the same mock
 * runtime the offline render uses. Renders of the shipped stack files are cached; a render with
 * overrides runs afresh.
 */

export const STACKS = ["staging", "production"] as const;

/** The egress rule every workload's policy starts with: kube-dns, or NodeLocal DNSCache, on 53. */
export const DNS_EGRESS_RULE = {
  to: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
      podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
    },
    // NodeLocal DNSCache on its default link-local address.
    { ipBlock: { cidr: "169.254.20.10/32" } },
  ],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

const cache = new Map<string, Promise<Rendered>>();

/** Renders a stack; `overrides` replace config values by key (JSON text for objects). */
export function render(stack: string, overrides?: RenderOptions["overrides"]): Promise<Rendered> {
  if (overrides !== undefined) return renderStack({ stack, overrides });
  if (!cache.has(stack)) cache.set(stack, renderStack({ stack }));
  return cache.get(stack)!;
}

/** Renders and expects the program to refuse the config; returns the error. */
export async function renderError(
  stack: string,
  overrides: RenderOptions["overrides"],
): Promise<InvalidInputError> {
  try {
    await renderStack({ stack, overrides });
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error("expected the program to refuse the config, but it rendered");
}

export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** The one object of a kind with a name (and namespace); fails when there is not exactly one. */
export function one(
  manifests: readonly Manifest[],
  kind: string,
  name: string,
  namespace?: string,
): Manifest {
  const found = manifests.filter(
    (m) =>
      m.kind === kind &&
      m.metadata.name === name &&
      (namespace === undefined || m.metadata.namespace === namespace),
  );
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${namespace ?? "*"}/${name}, found ${found.length}`);
  }
  return found[0];
}

/** Reads a nested field without casts in every test: `at(m, "spec", "template", "spec")`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function at(value: unknown, ...path: (string | number)[]): any {
  return path.reduce<unknown>(
    (v, key) => (v as Record<string | number, unknown> | undefined)?.[key],
    value,
  );
}

/** The secret value every stack config built by `stackRawConfig` holds for each secret. */
export const TEST_SECRET = "a".repeat(64);

/**
 * A stack file's config as Pulumi hands it to the program (values by key without the project
 * prefix), with every secret set to `TEST_SECRET`, then changed by `change`.
 */
export function stackRawConfig(
  stack: "staging" | "production",
  change: (values: Record<string, string>, secretKeys: Set<string>) => void = () => {},
): RawConfig {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(readStackFile(stack).config)) {
    values[k.replace("agent-platform:", "")] = v;
  }
  for (const key of Object.keys(SECRETS)) values[key] = TEST_SECRET;
  const secretKeys = new Set<string>(Object.keys(SECRETS));
  change(values, secretKeys);
  return { stack, values, secretKeys };
}

/**
 * A stack's config value for one key as the program sees it (the environment's default merged
 * with the stack file's value), changed by `edit`, as JSON text to override the key with.
 */
export function editedObject(
  stack: "staging" | "production",
  key: string,
  edit: (value: Record<string, unknown>) => void,
): string {
  const text = readStackFile(stack).config[`agent-platform:${key}`];
  const defaults = (ENVIRONMENT_DEFAULTS[stack] as Record<string, unknown>)[key] ?? {};
  // A copy: `edit` may change nested objects, which deepMerge shares with the defaults.
  const value = structuredClone(
    deepMerge(defaults, text === undefined ? {} : JSON.parse(text)),
  ) as Record<string, unknown>;
  edit(value);
  return JSON.stringify(value);
}
