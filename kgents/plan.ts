import { InvalidInputError, Problem } from "../stacks/problems";
import { PINNED_EXPECTATION, imageRef, isPinned } from "../stacks/images";
import { KGENTS_REPOSITORY } from "../stacks/catalog";
import type { AgentsConfig } from "../stacks/schema";
import { Resources, withStorage } from "../stacks/schema-parts";
import { IMAGE_PATTERN, AgentSpec } from "./schema";

/**
 * What a stack deploys of the specs: the agents its config selects, with its overrides applied
 * and the traffic between them worked out. Pure functions; tests call them directly.
 */

/** One agent as this stack deploys it. */
export interface PlannedAgent {
  readonly spec: AgentSpec;
  readonly genus: string;
  readonly name: string;
  readonly replicas: number;
  /** Image of the `logic` container, with the stack's tag override applied. */
  readonly image: string;
  /** Of the `logic` container, with the stack's override applied. */
  readonly resources: Resources;
  readonly sidecar: {
    readonly enabled: boolean;
    readonly image: string;
    readonly resources: Resources;
  };
  /** Genera this agent may call on 8080 (its `allowedPeers`, deduplicated, in spec order). */
  readonly peers: readonly string[];
  /** Deployed genera that list this agent as a peer, sorted: who may call it on 8080. */
  readonly callers: readonly string[];
}

/** `image` with its tag replaced by `tag` (a digest is dropped: the tag is what was asked for). */
export function withTag(image: string, tag: string): string {
  const match = IMAGE_PATTERN.exec(image);
  if (match === null) throw new Error(`not an image reference: ${image}`);
  return `${match[1]}:${tag}`;
}

/**
 * Applies a stack's `agents` config to the specs. Throws `InvalidInputError` (nothing is
 * registered) when the config names a genus without a spec, or deploys an agent without a peer
 * it lists.
 */
export function planAgents(
  config: AgentsConfig,
  specs: readonly AgentSpec[],
  stack: string,
  /** The stack's `imageRegistry` (or `IMAGE_REGISTRY_UNSET`), for the kgents image. */
  registry: string,
): PlannedAgent[] {
  const problems = checkAgentsConfig(config, specs, stack);
  if (problems.length > 0) {
    throw new InvalidInputError(`Invalid agents config for stack "${stack}"`, problems);
  }
  const selected =
    config.deploy === "all" ? specs : specs.filter((s) => config.deploy.includes(s.genus));
  const callers = new Map<string, string[]>();
  for (const spec of selected) {
    for (const peer of new Set(spec.networkPolicy.allowedPeers)) {
      callers.set(peer, [...(callers.get(peer) ?? []), spec.genus]);
    }
  }
  return selected.map((spec) => {
    const override = config.overrides[spec.genus] ?? {};
    const base = spec.image ?? kgentsImage(config, registry);
    const image = override.imageTag === undefined ? base : withTag(base, override.imageTag);
    return {
      spec,
      genus: spec.genus,
      name: spec.name,
      replicas: override.replicas ?? spec.replicas,
      image,
      resources: withStorage(override.resources ?? spec.resources, config.ephemeralStorage),
      sidecar: {
        enabled: spec.sidecar.enabled,
        image: spec.sidecar.image ?? image,
        resources: withStorage(spec.sidecar.resources, config.ephemeralStorage),
      },
      peers: [...new Set(spec.networkPolicy.allowedPeers)],
      callers: [...(callers.get(spec.genus) ?? [])].sort(),
    };
  });
}

/**
 * The cross-check of stack config against specs, as problems. It takes what parsed of the
 * `agents` section (a bad entry elsewhere in it hides nothing here), and the genera of specs that
 * have problems of their own (`flawedGenera`): they exist, so naming them is not a problem here.
 */
export function checkAgentsConfig(
  config: Partial<AgentsConfig>,
  specs: readonly AgentSpec[],
  stack: string,
  flawedGenera: readonly string[] = [],
): Problem[] {
  const source = `Pulumi.${stack}.yaml`;
  const byGenus = new Map(specs.map((s) => [s.genus, s]));
  const known = [...new Set([...byGenus.keys(), ...flawedGenera])].sort();
  const allowed = `the genus of an agent with a spec (${known.map((g) => `"${g}"`).join(", ")})`;
  const problems: Problem[] = [];

  if (config.deploy !== undefined && config.deploy !== "all") {
    config.deploy.forEach((genus, index) => {
      if (!known.includes(genus)) {
        problems.push({
          source,
          path: `agent-platform:agents.deploy[${index}]`,
          message: `expected ${allowed}; given "${genus}"`,
        });
      }
    });
    const deployed = new Set(config.deploy);
    for (const genus of config.deploy) {
      const spec = byGenus.get(genus);
      for (const peer of spec?.networkPolicy.allowedPeers ?? []) {
        if (!deployed.has(peer) && byGenus.has(peer)) {
          problems.push({
            source,
            path: "agent-platform:agents.deploy",
            message: `expected every peer of a deployed agent to be deployed too: ${spec!.name} (${spec!.file}) lists "${peer}" in networkPolicy.allowedPeers; given ${JSON.stringify(config.deploy)}`,
          });
        }
      }
    }
  }
  for (const genus of Object.keys(config.overrides ?? {})) {
    if (!known.includes(genus)) {
      problems.push({
        source,
        path: `agent-platform:agents.overrides.${genus}`,
        message: `expected ${allowed}; given "${genus}"`,
      });
    }
  }
  return problems;
}

/** The image a spec without `image` runs: `<registry>/kgents:<agents.imageTag>`. */
function kgentsImage(config: AgentsConfig, registry: string): string {
  return imageRef(registry, KGENTS_REPOSITORY, config.imageTag);
}

/**
 * Production runs only pinned agent images (`isPinned`): each deployed spec's own `image`, unless
 * the stack overrides its tag (checked with the config), and its sidecar's. Specs without an image
 * run the kgents image, whose tag the config's rules check.
 */
export function unpinnedImageProblems(
  config: AgentsConfig,
  specs: readonly AgentSpec[],
): Problem[] {
  const deployed =
    config.deploy === "all" ? specs : specs.filter((s) => config.deploy.includes(s.genus));
  const problems: Problem[] = [];
  const check = (spec: AgentSpec, field: string, image: string | undefined) => {
    const match = image === undefined ? null : IMAGE_PATTERN.exec(image);
    if (match === null) return;
    const pinnedBy = match[3] ?? match[2]; // a digest pins any tag
    if (pinnedBy === undefined || !isPinned(pinnedBy)) {
      problems.push({
        source: spec.file,
        path: field,
        message: `expected an image with ${PINNED_EXPECTATION} in production: its tag can be moved to another image; given "${image}"`,
      });
    }
  };
  for (const spec of deployed) {
    if (config.overrides[spec.genus]?.imageTag === undefined) check(spec, "image", spec.image);
    check(spec, "sidecar.image", spec.sidecar.image);
  }
  return problems;
}
