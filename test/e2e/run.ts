/**
 * npm run test:e2e: both stacks deployed for real, side by side in one fresh local cluster,
 * through the real Pulumi engine and Kubernetes provider (scripts/engine.ts), with the real API
 * server, scheduler and controllers as the judge. Everything happens in a scratch folder
 * (test/e2e/world.ts): the committed files are never written. Ends with `N passed, N failed`;
 * exits 1 on any failure. The checks run in order, each on what the ones before left.
 */
import * as fs from "fs";
import {
  ledgerChangesRefused,
  configSetPath,
  oneSpecChange,
  policyRefusal,
  tigerbeetleRollsOneByOne,
} from "./changes";
import {
  clusterHoldsTheRender,
  outputsMatch,
  previewEmpty,
  secondPreview,
  upCreates,
  urnsAreTheRenders,
} from "./deploy";
import { dayTwo } from "./day-two";
import {
  destroyRefused,
  guardDependsOnAll,
  noPodSecurityWarning,
  npmStackCli,
  teardownAndAdopt,
} from "./teardown";
import { STACKS, log, logDir, scratch, setUp, tally, teardown } from "./world";

async function main(): Promise<void> {
  await setUp();
  for (const name of STACKS) {
    await previewEmpty(name);
    await upCreates(name);
  }
  for (const name of STACKS) {
    await urnsAreTheRenders(name);
    await clusterHoldsTheRender(name);
    await outputsMatch(name);
    await secondPreview(name);
  }
  await configSetPath();
  await oneSpecChange();
  await policyRefusal();
  await tigerbeetleRollsOneByOne();
  await ledgerChangesRefused();
  await dayTwo();
  await destroyRefused();
  await teardownAndAdopt();
  await npmStackCli();
  await noPodSecurityWarning();
  await guardDependsOnAll();
}

main()
  .catch((error: unknown) => {
    tally.failed++;
    log(`FAILED: the run stopped: ${String((error as Error).stack ?? error)}`);
  })
  .finally(async () => {
    await teardown();
    log(`engine logs: ${logDir}`);
    console.log(`${tally.passed} passed, ${tally.failed} failed`);
    if (tally.failed === 0) fs.rmSync(scratch, { recursive: true, force: true });
    process.exit(tally.failed === 0 ? 0 : 1);
  });
