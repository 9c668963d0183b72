import { strict as assert } from "assert";
import type { Manifest } from "../scripts/render-lib";
import { CATALOG, FLOWS } from "../stacks/catalog";
import { buildTopology } from "../stacks/topology";
import { STACKS, render } from "./harness";
import { KUBE_DNS, Pod, allowedConnections, connectionKey, podsOf } from "./network-model";

/**
 * The traffic matrix (stacks/catalog.ts, plus DNS) against what the rendered NetworkPolicies
 * allow, computed from the policies alone: nothing missing, nothing extra.
 */

const SUFFIX = { staging: "-staging", production: "" } as const;

function platform(stack: keyof typeof SUFFIX) {
  const topology = buildTopology({ namespaceSuffix: SUFFIX[stack] }, CATALOG);
  const workloads = Object.values(topology.workloads);
  const apps = new Set(workloads.map((w) => w.app));
  const expected = [
    ...FLOWS.map(
      (f) => `${topology.workloads[f.from].app} -> ${topology.workloads[f.to].app}:${f.port}/TCP`,
    ),
    ...workloads.flatMap((w) => [`${w.app} -> kube-dns:53/UDP`, `${w.app} -> kube-dns:53/TCP`]),
  ].sort();
  return { apps, expected, namespaces: new Set(workloads.map((w) => w.namespace)) };
}

/** Connections between the platform's pods (and to kube-dns) that the policies allow. */
function platformMatrix(manifests: readonly Manifest[], stack: keyof typeof SUFFIX): string[] {
  const { namespaces } = platform(stack);
  const pods: Pod[] = [...podsOf(manifests).filter((p) => namespaces.has(p.namespace)), KUBE_DNS];
  return allowedConnections(manifests, pods)
    .filter((c) => c.from !== KUBE_DNS.name)
    .map(connectionKey)
    .sort();
}

describe("traffic matrix", () => {
  for (const stack of STACKS) {
    it(`${stack}: the NetworkPolicies allow exactly the matrix, DNS included`, async () => {
      const { manifests } = await render(stack);
      assert.deepEqual(platformMatrix(manifests, stack), platform(stack).expected);
    });

    it(`${stack}: agent-runtime reaches the relay on 7100, as Story 23.2's policy allows`, async () => {
      const { manifests } = await render(stack);
      const suffix = SUFFIX[stack];
      assert.ok(
        platformMatrix(manifests, stack).includes(`agent-runtime -> agent-society:7100/TCP`),
        `agent-runtime${suffix} -> agent-society${suffix}:7100`,
      );
    });

    it(`${stack}: no kgents agent and no platform service can reach each other`, async () => {
      const { manifests } = await render(stack);
      const { namespaces } = platform(stack);
      const pods = podsOf(manifests);
      const crossing = allowedConnections(manifests, pods).filter(
        (c) =>
          namespaces.has(pods.find((p) => p.name === c.from)!.namespace) !==
          namespaces.has(pods.find((p) => p.name === c.to)!.namespace),
      );
      assert.deepEqual(crossing.map(connectionKey), []);
    });
  }

  describe("the comparison fails on a broken policy", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let manifests: (Manifest & { spec: any })[];
    before(async () => {
      manifests = structuredClone((await render("production")).manifests) as typeof manifests;
    });
    const policy = (ms: typeof manifests, name: string) =>
      ms.find((m) => m.kind === "NetworkPolicy" && m.metadata.name === name)!;

    it("a removed ingress rule shows as a missing flow", () => {
      const broken = structuredClone(manifests);
      const connector = policy(broken, "connector");
      connector.spec.ingress = connector.spec.ingress.filter(
        (r: { ports: { port: number }[] }) => r.ports[0].port !== 8081,
      );
      const actual = platformMatrix(broken, "production");
      const expected = platform("production").expected;
      assert.deepEqual(
        expected.filter((e) => !actual.includes(e)),
        ["agent-society -> connector:8081/TCP"],
      );
      assert.deepEqual(
        actual.filter((a) => !expected.includes(a)),
        [],
      );
    });

    it("a removed egress rule shows as a missing flow", () => {
      const broken = structuredClone(manifests);
      const runtime = policy(broken, "agent-runtime");
      runtime.spec.egress = runtime.spec.egress.filter(
        (r: { ports: { port: number }[] }) => r.ports[0].port !== 4000,
      );
      const actual = platformMatrix(broken, "production");
      assert.deepEqual(
        platform("production").expected.filter((e) => !actual.includes(e)),
        ["agent-runtime -> connector:4000/TCP"],
      );
    });

    it("a rule that allows too much shows as extra flows", () => {
      const broken = structuredClone(manifests);
      // agent-society may send anywhere, and TigerBeetle accepts anyone on 3000.
      policy(broken, "agent-society").spec.egress.push({});
      policy(broken, "tigerbeetle").spec.ingress.push({ ports: [{ protocol: "TCP", port: 3000 }] });
      const actual = platformMatrix(broken, "production");
      const expected = platform("production").expected;
      // Only where both ends allow it: agent-society to TigerBeetle, nothing else.
      assert.deepEqual(
        actual.filter((a) => !expected.includes(a)),
        ["agent-society -> tigerbeetle:3000/TCP"],
      );
    });
  });
});
