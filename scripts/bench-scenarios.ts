/**
 * The generated scenario of `npm run bench:preview`: production with 27 agents, A to Z and Psi
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

/** 27 specs, A to Z and Psi: one replica each, every other one with a sidecar, each calling the one before. */
export function writeAllGenera(dir: string): void {
  const genera = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ", "Psi"];
  fs.mkdirSync(dir, { recursive: true });
  genera.forEach((genus, i) => {
    const text = [
      "---",
      `genus: ${genus}`,
      `name: ${genus}-gent`,
      "resources:",
      "  cpu: 50m",
      "  memory: 64Mi",
      "  limits: { cpu: 100m, memory: 128Mi }",
      `sidecar: ${i % 2 === 0}`,
      "config:",
      "  mode: bench",
      "networkPolicy:",
      `  allowedPeers: [${i === 0 ? "" : genera[i - 1]}]`,
      "---",
      "",
      `# ${genus}-gent`,
      "",
      "A generated agent for the preview benchmark.",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(dir, `${genus.toLowerCase()}-gent.md`), text);
  });
}

/** The stack config the 27-agent scenario sets (`budgets`), by short key. */
export const ALL_GENERA_OVERRIDES: Readonly<Record<string, string>> = {
  budgets: JSON.stringify({ agents: ALL_GENERA_BUDGET }),
};
