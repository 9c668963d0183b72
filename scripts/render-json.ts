/**
 * The offline render of one stack as JSON, for the end-to-end tests: the resources the program
 * registers (URNs), each Kubernetes object with its URN, the outputs and what destroy keeps. A
 * process of its own, because the render runs Pulumi's mock runtime, which must never share a
 * process with the Automation API's real one.
 *
 *   node --import tsx scripts/render-json.ts --stack <name> --spec-dir DIR --registry REGISTRY
 *                                           [--override KEY=VALUE ...]
 *
 * The end-to-end tests and the preview benchmark use it through `renderInChild`, and hold it to
 * the real engine's stack with `clusterFacts`.
 */
import { execFile } from "child_process";
import * as path from "path";
import { parseArgs } from "util";
import { Manifest, renderStack, toManifests } from "./render-lib";

/** What this script prints: a stack's render. */
export interface Render {
  readonly resources: { urn: string; type: string; custom: boolean }[];
  readonly objects: { urn: string; manifest: Manifest }[];
  readonly outputs: Record<string, unknown>;
  readonly kept: string[];
}

/** Renders a stack in a child process and returns its render. */
export function renderInChild(
  stack: string,
  specDir: string,
  registry: string,
  overrides: Readonly<Record<string, string>> = {},
): Promise<Render> {
  const args = [
    "--import",
    "tsx",
    __filename,
    "--stack",
    stack,
    "--spec-dir",
    specDir,
    "--registry",
    registry,
  ];
  for (const [key, value] of Object.entries(overrides)) args.push("--override", `${key}=${value}`);
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      args,
      { cwd: path.resolve(__dirname, ".."), maxBuffer: 256 << 20 },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout) as Render),
    ),
  );
}

/** A resource of a stack's state, as `pulumi stack export` has it. */
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  protect?: boolean;
  dependencies?: string[];
  outputs?: Record<string, unknown>;
}

/**
 * What only the cluster knows, as a map from the render's value to the real one: the names the
 * provider gave auto-named objects, and the IPs the API server gave Services.
 */
export function clusterFacts(
  rendered: Render,
  state: readonly StateResource[],
): Map<string, string> {
  const byUrn = new Map(state.map((r) => [r.urn, r]));
  const facts = new Map<string, string>();
  for (const { urn, manifest } of rendered.objects) {
    const live = byUrn.get(urn)?.outputs as
      { metadata?: { name?: string }; spec?: { clusterIP?: string } } | undefined;
    if (live === undefined) continue;
    if (live.metadata?.name !== undefined && live.metadata.name !== manifest.metadata.name) {
      facts.set(manifest.metadata.name, live.metadata.name);
    }
    const renderedIp = (manifest.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (renderedIp !== undefined && renderedIp !== "None" && live.spec?.clusterIP !== undefined) {
      facts.set(renderedIp, live.spec.clusterIP);
    }
  }
  return facts;
}

/**
 * Replaces each key of `map` (a name or an IP) in the strings of `value`, as a whole token: never
 * inside a longer name or address (`10.96.0.1` is not replaced in `10.96.0.17`).
 */
export function substitute(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    let text = value;
    for (const [from, to] of map) {
      const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      text = text.replace(
        new RegExp(`(?<![A-Za-z0-9.-])${escaped}(?![A-Za-z0-9-]|\\.[0-9])`, "g"),
        to,
      );
    }
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, map));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, map)]));
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      "spec-dir": { type: "string" },
      registry: { type: "string" },
      override: { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  const rendered = await renderStack({
    stack: values.stack!,
    specDir: values["spec-dir"],
    overrides: {
      imageRegistry: values.registry,
      ...Object.fromEntries(
        values.override.map((o) => [o.slice(0, o.indexOf("=")), o.slice(o.indexOf("=") + 1)]),
      ),
    },
    mode: "up",
  });
  const resources = rendered.run.resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    custom: r.custom,
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
  }));
  // Each object as manifests.yaml writes it (redacted), in registration order, with its URN.
  const objects = rendered.run.resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.state.kind !== undefined)
    .map((r) => ({ urn: r.urn, manifest: toManifests([r])[0] }));
  process.stdout.write(
    JSON.stringify({ resources, objects, outputs: rendered.outputs, kept: rendered.kept }),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
