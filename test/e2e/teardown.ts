/**
 * What destroy does (refused for production before its first delete; staging's teardown keeps
 * exactly kept.txt, and up adopts it again), the driver as a user runs it, and what must hold
 * over the whole run: no Pod Security warning, the guard depending on everything.
 */
import { DESTROY_GUARD_TYPE } from "../../components/destroy-guard";
import { changedKeys, kubectl, versions } from "./cluster";
import {
  STACKS,
  check,
  engine,
  engineText,
  expect,
  expectEqual,
  failureOf,
  liveOf,
  npmStack,
  renders,
  stackSteps,
  stacks,
  stateOf,
} from "./world";

/** Production's destroy is refused before its first delete. */
export function destroyRefused(): Promise<void> {
  return check(
    "production: pulumi destroy is refused and deletes nothing; so is npm run stack -- destroy",
    async () => {
      const before = versions(await liveOf(renders.get("production")!));
      const run = await engine("production", "destroy", (s, out) => s.destroy(out));
      expect(!run.ok, "the destroy passed");
      const deleted = stackSteps(run.log, "outputs")
        .filter((s) => s.op === "delete")
        .map((s) => s.urn);
      expectEqual(deleted, [], "resources deleted");
      const refusedBy = run.log.steps.filter((s) => s.phase === "failed").map((s) => s.type);
      expectEqual(refusedBy, [DESTROY_GUARD_TYPE], "the step that failed");
      const driver = await npmStack(["destroy", "--stack", "production", "--yes"]);
      expectEqual(driver.code, 1, "npm run stack -- destroy exit code");
      expect(
        driver.stderr.includes('Refused: stack "production" is production'),
        `its message: ${driver.stderr}`,
      );
      expectEqual(
        changedKeys(before, versions(await liveOf(renders.get("production")!))),
        [],
        "objects changed in the cluster",
      );
    },
  );
}

/** The driver as a user runs it. */
export function npmStackCli(): Promise<void> {
  return check(
    "npm run stack prints the engine's output, exits as the CLI would, and reports a mistake in one line",
    async () => {
      const preview = await npmStack(["preview", "--stack", "staging", "--expect-no-changes"]);
      expectEqual(preview.code, 0, `preview exit code (${preview.stderr.slice(-500)})`);
      expect(
        /Previewing update \(staging\)[\s\S]*\d+ unchanged/.test(preview.stdout),
        `its output:\n${preview.stdout}`,
      );
      const output = await npmStack(["output", "--stack", "staging", "--json"]);
      expectEqual(output.code, 0, "output exit code");
      const outputs = Object.fromEntries(
        Object.entries(await stacks.get("staging")!.outputs()).map(([k, v]) => [k, v.value]),
      );
      expectEqual(JSON.parse(output.stdout), outputs, "npm run stack -- output --json");
      for (const [args, message] of [
        [
          ["preview", "--stack", "nope"],
          'There is no stack "nope" (a stack name, not a path); the stacks are: production, staging',
        ],
        [
          ["upp", "--stack", "staging"],
          'Unknown command "upp"; usage: npm run stack -- <preview|up|destroy|refresh|output|drift>',
        ],
        [
          ["up", "--stack", "staging"],
          "--yes must be passed in to proceed when running in non-interactive mode",
        ],
      ] as const) {
        const run = await npmStack([...args]);
        expectEqual(run.code, 1, `${args.join(" ")}: exit code`);
        expect(run.stderr.includes(message), `${args.join(" ")}: ${run.stderr}`);
        expect(!/^\s+at /m.test(run.stderr), `${args.join(" ")}: a stack trace:\n${run.stderr}`);
      }
    },
  );
}

/** No Pod Security warning from any engine run or in any event. */
export function noPodSecurityWarning(): Promise<void> {
  return check("no Pod Security warning anywhere", async () => {
    const warnings = engineText
      .join("\n")
      .split("\n")
      .filter((l) => /PodSecurity|pod-security|would violate/i.test(l));
    expectEqual(warnings, [], "Pod Security warnings");
    const events = JSON.parse(await kubectl(["get", "events", "-A", "-o", "json"])) as {
      items: { message?: string }[];
    };
    const denied = events.items
      .filter((e) => /PodSecurity|violates/.test(e.message ?? ""))
      .map((e) => e.message);
    expectEqual(denied, [], "Pod Security events");
  });
}

/** The destroy guard depends on every resource, in the engine's state. */
export function guardDependsOnAll(): Promise<void> {
  return check(
    "the guard depends on every other resource of each stack, in the engine's own state",
    async () => {
      for (const name of STACKS) {
        const state = await stateOf(name);
        const guard = state.filter((r) => r.type === DESTROY_GUARD_TYPE);
        expectEqual(guard.length, 1, `${name}: guards`);
        const deps = new Set(guard[0].dependencies ?? []);
        const missing = state
          .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !deps.has(r.urn))
          .map((r) => r.urn);
        expectEqual(missing, [], `${name}: resources the guard does not depend on`);
      }
    },
  );
}

/** Staging's README teardown, then up again adopting the kept claims. */
export async function teardownAndAdopt(): Promise<void> {
  const claimUids = new Map<string, string>();
  await check(
    "staging: the README's teardown ends without error, keeps exactly kept.txt and leaves production alone",
    async () => {
      const staging = renders.get("staging")!;
      const live = await liveOf(staging);
      for (const [key, object] of live)
        if (object.kind === "PersistentVolumeClaim") claimUids.set(key, object.metadata.uid);
      const production = versions(await liveOf(renders.get("production")!));
      const driver = await npmStack(["destroy", "--stack", "staging", "--yes"]);
      expectEqual(driver.code, 0, `npm run stack -- destroy (${driver.stderr.slice(-1500)})`);
      const left = [...(await liveOf(staging)).keys()].sort();
      expectEqual(left, [...staging.kept].sort(), "what staging left in the cluster");
      expectEqual(
        changedKeys(production, versions(await liveOf(renders.get("production")!))),
        [],
        "production objects changed",
      );
    },
  );

  await check(
    "staging: up again adopts what was kept and converges on the same claims",
    async () => {
      const run = await engine("staging", "up-again", (s, out) => s.up(out));
      expect(run.ok, failureOf(run));
      const live = await liveOf(renders.get("staging")!);
      const uids = Object.fromEntries(
        [...claimUids.keys()].map((k) => [k, live.get(k)?.metadata.uid]),
      );
      expectEqual(uids, Object.fromEntries(claimUids), "claim UIDs");
      expect(claimUids.size === 3, `claims recorded: ${claimUids.size}`);
      const again = await engine("staging", "preview-after-adopt", (s, out) =>
        s.preview({ ...out, expectNoChanges: true }),
      );
      expect(again.ok, failureOf(again));
    },
  );
}
