import { InvalidInputError, Problem } from "../stacks/problems";
import { MOVING_TAGS } from "../stacks/schema";
import type { AgentsConfig, Resources } from "../stacks/schema";
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
    const image =
      override.imageTag === undefined ? spec.image : withTag(spec.image, override.imageTag);
    return {
      spec,
      genus: spec.genus,
      name: spec.name,
      replicas: override.replicas ?? spec.replicas,
      image,
      resources: override.resources ?? spec.resources,
      sidecar: {
        enabled: spec.sidecar.enabled,
        image: spec.sidecar.image ?? image,
        resources: spec.sidecar.resources,
      },
      peers: [...new Set(spec.networkPolicy.allowedPeers)],
      callers: [...(callers.get(spec.genus) ?? [])].sort(),
    };
  });
}

/** The cross-check of stack config against specs, as problems. */
export function checkAgentsConfig(
  config: AgentsConfig,
  specs: readonly AgentSpec[],
  stack: string,
): Problem[] {
  const source = `Pulumi.${stack}.yaml`;
  const byGenus = new Map(specs.map((s) => [s.genus, s]));
  const known = [...byGenus.keys()].sort();
  const allowed = `the genus of an agent with a spec (${known.map((g) => `"${g}"`).join(", ")})`;
  const problems: Problem[] = [];

  if (config.deploy !== "all") {
    config.deploy.forEach((genus, index) => {
      if (!byGenus.has(genus)) {
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
  for (const genus of Object.keys(config.overrides)) {
    if (!byGenus.has(genus)) {
      problems.push({
        source,
        path: `agent-platform:agents.overrides.${genus}`,
        message: `expected ${allowed}; given "${genus}"`,
      });
    }
  }
  return problems;
}

/**
 * Production runs no agent image under a moving tag (`latest`): each deployed spec's image and
 * sidecar image, unless the stack overrides the logic image's tag (checked with the config).
 */
export function movingTagProblems(config: AgentsConfig, specs: readonly AgentSpec[]): Problem[] {
  const deployed =
    config.deploy === "all" ? specs : specs.filter((s) => config.deploy.includes(s.genus));
  const problems: Problem[] = [];
  const check = (spec: AgentSpec, field: string, image: string | undefined) => {
    const match = image === undefined ? null : IMAGE_PATTERN.exec(image);
    const tag = match?.[3] === undefined ? match?.[2] : undefined; // a digest pins any tag
    if (tag !== undefined && (MOVING_TAGS as readonly string[]).includes(tag)) {
      problems.push({
        source: spec.file,
        path: field,
        message: `expected a fixed tag or a digest in production, not "${tag}"; given "${image}"`,
      });
    }
  };
  for (const spec of deployed) {
    if (config.overrides[spec.genus]?.imageTag === undefined) check(spec, "image", spec.image);
    check(spec, "sidecar.image", spec.sidecar.image);
  }
  return problems;
}
