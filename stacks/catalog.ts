/**
 * The service catalog: the platform's services, one record each (`stacks/services/*.ts`, of the
 * shape `stacks/record.ts` gives), in start order. A record holds every fact about its service:
 * where it lives, what it offers and calls, its config section and defaults, its image, and how
 * it runs. Everything else is derived from a catalog:
 *
 * - the config schema and the environment defaults (`stackConfigShapeOf`, `environmentDefaultsOf`)
 *   and the production image rule (`imageTagRules`);
 * - the topology (`buildTopology`): namespaces, Service names, hosts, with the stack's suffix;
 * - the traffic matrix (`flowsOf`), and from it every NetworkPolicy and the traffic test;
 * - the URLs a service is given (`callUrls`): a URL exists only as a call, so it always has its
 *   flow, and a call always has its NetworkPolicy rules;
 * - the components (`deployPlatform` renders every stateless record with `PlatformService`), the
 *   stack outputs, and the README's service, traffic and configuration tables.
 *
 * A fifth service is one more record here (README, "Adding a fifth service"). No resources are
 * created here.
 */

import type { ServiceRecord, StatelessRecord } from "./record";
import { agentRuntime } from "./services/agent-runtime";
import { agentSociety } from "./services/agent-society";
import { connector } from "./services/connector";
import { tigerbeetle } from "./services/tigerbeetle";

/** Any catalog: the shipped one, or one a test builds. Its key order is the start order. */
export type Catalog = { readonly tigerbeetle: typeof tigerbeetle } & {
  readonly [key: string]: ServiceRecord;
};

/**
 * The platform's services, in start order (each waits for the one before it): the ledger first,
 * then every stateless service. The ledger's record is always `tigerbeetle`.
 */
export const CATALOG = { tigerbeetle, agentSociety, agentRuntime, connector } as const;

export type WorkloadKey = keyof typeof CATALOG & string;
/** The shipped catalog's keys, in start order. */
export const WORKLOADS = Object.keys(CATALOG) as WorkloadKey[];

/** A catalog's keys in start order. */
export function startOrder(catalog: Catalog): string[] {
  return Object.keys(catalog);
}

/** A catalog's stateless services (those whose record has `run`), in start order. */
export function statelessKeys(catalog: Catalog): string[] {
  return startOrder(catalog).filter((key) => catalog[key].run !== undefined);
}

/** A stateless service's record, as `PlatformService` renders it. */
export function statelessRecord(catalog: Catalog, key: string): StatelessRecord {
  const record = catalog[key];
  if (record.run === undefined) throw new Error(`${key} is not a stateless service`);
  return record as unknown as StatelessRecord;
}

/** The repositories under `imageRegistry`: the records' that are, then the kgents image. */
export function platformRepositories(catalog: Catalog): string[] {
  return [
    ...startOrder(catalog)
      .map((key) => catalog[key].image)
      .filter((image) => image.underRegistry)
      .map((image) => image.repository),
    KGENTS_REPOSITORY,
  ];
}

/** Python with the kgents `agents` package: every `agents.<genus>.main` and the D-gent sidecar. */
export const KGENTS_REPOSITORY = "kgents";

/** Ports outside the platform's services. */
export const PORTS = { kgentsHttp: 8080, dns: 53 } as const;

/** One allowed connection: `from`'s pods may open `port` on `to`'s pods. */
export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly why: string;
}

/**
 * The traffic matrix: every call of every record, as the port it opens. The NetworkPolicies are
 * generated from it (every namespace denies everything else by default), and a test recomputes
 * reachability from the registered policies and compares it with this list. DNS is allowed to
 * every workload and is not repeated here (`DNS`).
 */
export function flowsOf(catalog: Catalog): Flow[] {
  return startOrder(catalog).flatMap((from) =>
    catalog[from].calls.map((call) => {
      const target = catalog[call.to];
      const port = target.ports[target.endpoints[call.endpoint].port];
      return { from, to: call.to, port, why: call.why };
    }),
  );
}
export const FLOWS: readonly Flow[] = flowsOf(CATALOG);

/**
 * The DNS rule every workload gets: UDP and TCP 53 to kube-dns in kube-system, and to
 * NodeLocal DNSCache, whose pods run on the host network and answer on the link-local address
 * 169.254.20.10 (its default), which no pod selector can match.
 */
export const DNS = {
  namespace: "kube-system",
  podLabels: { "k8s-app": "kube-dns" },
  nodeLocalCache: "169.254.20.10/32",
  port: PORTS.dns,
  protocols: ["UDP", "TCP"],
} as const;

/**
 * What is inconsistent in a catalog: the ledger not first, a service without `run`, a call or
 * endpoint naming what does not exist, a variable two calls give. `deployPlatform` refuses such
 * a catalog before anything is registered.
 */
export function catalogProblems(catalog: Catalog): string[] {
  const problems: string[] = [];
  const keys = startOrder(catalog);
  if (keys[0] !== "tigerbeetle") {
    problems.push(`the ledger (tigerbeetle) must come first: every service starts after it`);
  }
  for (const key of keys.filter((k) => k !== "tigerbeetle" && catalog[k].run === undefined)) {
    problems.push(`${key} has no run: every service but the ledger is rendered by PlatformService`);
  }
  for (const key of keys) {
    const record = catalog[key];
    for (const [name, e] of Object.entries(record.endpoints)) {
      if (!(e.port in record.ports)) problems.push(`${key}.endpoints.${name}: no port ${e.port}`);
    }
    const envs = new Set<string>();
    for (const call of record.calls) {
      if (!(call.to in catalog)) {
        problems.push(`${key} calls ${call.to}: no such service`);
      } else if (!(call.endpoint in catalog[call.to].endpoints)) {
        problems.push(`${key} calls ${call.to}.${call.endpoint}: no such endpoint`);
      }
      if (call.env !== undefined && envs.has(call.env)) {
        problems.push(`${key}: two calls give ${call.env}`);
      }
      if (call.env !== undefined) envs.add(call.env);
    }
  }
  return problems;
}
