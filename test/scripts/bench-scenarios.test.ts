import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALL_GENERA_OVERRIDES, writeAllGenera } from "../../scripts/bench-scenarios";
import { renderStack } from "../../scripts/render-lib";

/** The preview benchmark's generated scenario is one the stack deploys (it once went over budget). */
describe("bench:preview's 27-agent scenario", () => {
  it("renders production with all 27 agents inside the scenario's budget", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-scenario-"));
    try {
      writeAllGenera(dir);
      const rendered = await renderStack({
        stack: "production",
        specDir: dir,
        overrides: { ...ALL_GENERA_OVERRIDES },
      });
      const agents = rendered.manifests.filter((m) => m.kind === "Agent");
      assert.equal(agents.length, 27);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
