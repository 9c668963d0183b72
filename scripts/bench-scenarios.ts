/**
 * The generated specs of the benchmarks (`benchSpecText`), and the scenario of `npm run bench:preview`: production with 27 agents, A to Z and Psi
 * (all the genus rule allows), and the budget that makes room for them. Apart from the benchmark
 * so that a test can hold the scenario to what the stack accepts (test/scripts/bench-scenarios.test.ts).
 */
import * as fs from "fs";
import * as path from "path";

/** The agents' namespace budget for the 27-agent scenario. */
const ALL_GENERA_BUDGET = {
  requests: { cpu: "8", memory: "16Gi", "ephemeral-storage": "32Gi" },
  limits: { cpu: "16", memory: "32Gi", "ephemeral-storage": "192Gi" },
  pods: 80,
};

/** A generated spec: the benchmarks' small agent, with its genus, peers and config. */
export function benchSpecText(spec: {
  readonly genus: string;
  readonly name: string;
  readonly sidecar: boolean;
  readonly peers: readonly string[];
  readonly config: Readonly<Record<string, string | number>>;
}): string {
  return [
    "---",
    `genus: ${spec.genus}`,
    `name: ${spec.name}`,
    "resources:",
    "  cpu: 50m",
    "  memory: 64Mi",
    "  limits: { cpu: 100m, memory: 128Mi }",
    `sidecar: ${spec.sidecar}`,
    "config:",
    ...Object.entries(spec.config).map(([key, value]) => `  ${key}: ${value}`),
    "networkPolicy:",
    `  allowedPeers: [${spec.peers.join(", ")}]`,
    "---",
    "",
    `# ${spec.name}`,
    "",
    "A generated agent for the benchmarks.",
    "",
  ].join("\n");
}

/** 27 specs, A to Z and Psi: one replica each, every other one with a sidecar, each calling the one before. */
export function writeAllGenera(dir: string): void {
  const genera = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ", "Psi"];
  fs.mkdirSync(dir, { recursive: true });
  genera.forEach((genus, i) => {
    const text = benchSpecText({
      genus,
      name: `${genus}-gent`,
      sidecar: i % 2 === 0,
      peers: i === 0 ? [] : [genera[i - 1]],
      config: { mode: "bench" },
    });
    fs.writeFileSync(path.join(dir, `${genus.toLowerCase()}-gent.md`), text);
  });
}

/** The stack config the 27-agent scenario sets (`budgets`), by short key. */
export const ALL_GENERA_OVERRIDES: Readonly<Record<string, string>> = {
  budgets: JSON.stringify({ agents: ALL_GENERA_BUDGET }),
};
