import { strict as assert } from "assert";
import { Manifest, Rendered } from "../../scripts/render-lib";
import { RecordedResource } from "../../scripts/mock-runtime";
import { FORMAT_SCRIPT, RECOVER_SCRIPT } from "../../components/tigerbeetle-replica";
import { isBuiltIn, schemaErrors } from "../k8s-schema";
import { at, editedObject, one, ofKind, render, renderError } from "../harness";

const EXPECTED = {
  staging: {
    namespace: "tigerbeetle-staging",
    suffix: "-staging",
    replicas: 3,
    clusterId: "48151623420815",
    memory: "2Gi",
    cacheGrid: "1GiB",
    development: true,
    storage: "20Gi",
    quorum: 2,
    connectorNamespace: "agent-runtime-staging",
  },
  production: {
    namespace: "tigerbeetle",
    suffix: "",
    replicas: 6,
    clusterId: "174411305360383197744508619207744553274",
    memory: "8Gi",
    cacheGrid: "5GiB",
    development: false,
    storage: "200Gi",
    quorum: 4,
    connectorNamespace: "agent-runtime",
  },
} as const;

const SELECTOR = { "app.kubernetes.io/name": "tigerbeetle" };
const REPLICA = "tigerbeetle.agent-platform.io/replica";
const IP_PORT = /^(\d{1,3}\.){3}\d{1,3}:3000$/;

function peer(namespace: string, app: string) {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: { "app.kubernetes.io/name": app } },
  };
}

function recorded(rendered: Rendered, type: string, name: string): RecordedResource {
  const found = rendered.run.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `${type} ${name}`);
  return found[0];
}

const podSpec = (m: Manifest) => at(m, "spec", "template", "spec");
const flag = (args: string[], name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

for (const stack of ["staging", "production"] as const) {
  const want = EXPECTED[stack];
  const stsName = (i: number) => `tigerbeetle-${i}${want.suffix}`;

  describe(`tigerbeetle (${stack})`, () => {
    let rendered: Rendered;
    let manifests: Manifest[];
    let services: Manifest[];
    let statefulSets: Manifest[];
    before(async () => {
      rendered = await render(stack);
      manifests = rendered.manifests.filter(
        (m) => m.metadata.namespace === want.namespace || m.metadata.name === want.namespace,
      );
      const replicas = [...Array(want.replicas).keys()];
      services = replicas.map((i) => one(manifests, "Service", stsName(i), want.namespace));
      statefulSets = replicas.map((i) => one(manifests, "StatefulSet", stsName(i), want.namespace));
    });

    it("creates one StatefulSet, ClusterIP Service and claim per replica, plus the shared objects", () => {
      const count = (kind: string) => ofKind(manifests, kind).length;
      assert.deepEqual(
        ["Namespace", "ConfigMap", "ServiceAccount", "Service", "StatefulSet"].map(count),
        [1, 1, 1, want.replicas + 1, want.replicas],
      );
      assert.deepEqual(["PersistentVolumeClaim", "Job"].map(count), [want.replicas, 0]);
      assert.deepEqual(["PodDisruptionBudget", "NetworkPolicy"].map(count), [1, 2]);
      for (const s of statefulSets) assert.equal(at(s, "spec", "replicas"), 1);
    });

    it("--addresses holds IP literals only, the same list on every replica, own slot 0.0.0.0:3000", () => {
      const ips = services.map((s) => `${at(s, "spec", "clusterIP")}:3000`);
      statefulSets.forEach((s, i) => {
        const args: string[] = podSpec(s).containers[0].args;
        const list = flag(args, "addresses")!.split(",");
        assert.equal(list.length, want.replicas);
        list.forEach((entry, j) => {
          if (j === i) assert.equal(entry, "0.0.0.0:3000");
          else {
            assert.match(entry, IP_PORT);
            assert.equal(entry, ips[j]);
          }
        });
        assert.ok(!args.join(" ").includes("svc.cluster.local"));
      });
      assert.equal(
        rendered.outputs.services && at(rendered.outputs, "services", "tigerbeetle", "addresses"),
        ips.join(","),
      );
    });

    it("each replica Service selects exactly its own pod, and publishes not-ready addresses", () => {
      services.forEach((s, i) => {
        assert.equal(at(s, "spec", "type"), "ClusterIP");
        assert.equal(at(s, "spec", "publishNotReadyAddresses"), true);
        assert.deepEqual(at(s, "spec", "selector"), { ...SELECTOR, [REPLICA]: String(i) });
        assert.deepEqual(
          at(statefulSets[i], "spec", "template", "metadata", "labels", REPLICA),
          String(i),
        );
        assert.deepEqual(at(s, "spec", "ports"), [
          { name: "tigerbeetle", port: 3000, targetPort: "tigerbeetle", protocol: "TCP" },
        ]);
      });
    });

    it("the headless Service publishes not-ready addresses and is every StatefulSet's serviceName", () => {
      const headless = one(manifests, "Service", `tigerbeetle${want.suffix}`, want.namespace);
      assert.equal(at(headless, "spec", "clusterIP"), "None");
      assert.equal(at(headless, "spec", "publishNotReadyAddresses"), true);
      assert.deepEqual(at(headless, "spec", "selector"), SELECTOR);
      for (const s of statefulSets)
        assert.equal(at(s, "spec", "serviceName"), `tigerbeetle${want.suffix}`);
    });

    it("start: tini stays PID 1 (args only), --cache-grid from the memory limit, --development per stack", () => {
      statefulSets.forEach((s, i) => {
        const container = podSpec(s).containers[0];
        assert.equal(container.command, undefined);
        assert.equal(container.image, "ghcr.io/tigerbeetle/tigerbeetle:0.16.68");
        assert.deepEqual(container.args, [
          "start",
          container.args[1],
          `--cache-grid=${want.cacheGrid}`,
          ...(want.development ? ["--development"] : []),
          `/data/${want.clusterId}_${i}.tigerbeetle`,
        ]);
        assert.equal(container.resources.limits.memory, want.memory);
      });
    });

    it("no format anywhere: a replica's missing data file is recovered, never formatted", () => {
      statefulSets.forEach((s, i) => {
        const init = podSpec(s).initContainers;
        assert.equal(init.length, 1);
        const [shell, dashC, script, name, file, ...flags] = init[0].command;
        assert.deepEqual(
          [shell, dashC, script, name],
          ["/bin/sh", "-c", RECOVER_SCRIPT, "data-file"],
        );
        assert.equal(file, `/data/${want.clusterId}_${i}.tigerbeetle`);
        assert.deepEqual(flags, [
          `--cluster=${want.clusterId}`,
          `--replica=${i}`,
          `--replica-count=${want.replicas}`,
          ...(want.development ? ["--development"] : []),
          `--addresses=${flag(podSpec(s).containers[0].args, "addresses")}`,
        ]);
      });
      assert.ok(
        !JSON.stringify(manifests).includes("/tigerbeetle format"),
        "no format command in the render",
      );
    });

    it("data volumes: one claim per replica, never deleted by Pulumi, size from config", () => {
      statefulSets.forEach((s, i) => {
        const claim = one(
          manifests,
          "PersistentVolumeClaim",
          `tigerbeetle-data-${i}${want.suffix}`,
          want.namespace,
        );
        assert.deepEqual(claim.spec, {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: want.storage } },
        });
        assert.deepEqual(podSpec(s).volumes, [
          { name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } },
        ]);
        assert.equal(at(s, "spec", "volumeClaimTemplates"), undefined);
        // Kept in every environment, and adopted by the next `up` after a destroy: a Patch
        // resource, whose create is a server-side apply (components/shared/kept.ts).
        const r = recorded(
          rendered,
          "kubernetes:core/v1:PersistentVolumeClaimPatch",
          `tigerbeetle-data-${i}`,
        );
        assert.equal(r.retainOnDelete, true, "retained in every environment");
        assert.equal(r.protect, stack === "production");
        // Deleting the namespace would delete the claims in it.
        const ns = recorded(rendered, "kubernetes:core/v1:NamespacePatch", "tigerbeetle-namespace");
        assert.deepEqual([ns.retainOnDelete, ns.protect], [true, stack === "production"]);
        const sts = recorded(
          rendered,
          "kubernetes:apps/v1:StatefulSet",
          `tigerbeetle-replica-${i}`,
        );
        assert.ok(sts.dependencies.includes(r.urn), `StatefulSet ${i} waits for its claim`);
      });
    });

    it(`scheduling: one replica per node and zone spread ${stack === "production" ? "required" : "preferred"}, 120 s grace, TCP probes`, () => {
      const required = stack === "production";
      for (const s of statefulSets) {
        const pod = podSpec(s);
        const term = {
          topologyKey: "kubernetes.io/hostname",
          labelSelector: { matchLabels: SELECTOR },
        };
        assert.deepEqual(
          pod.affinity,
          required
            ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
            : {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    { weight: 100, podAffinityTerm: term },
                  ],
                },
              },
        );
        assert.deepEqual(pod.topologySpreadConstraints, [
          {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: required ? "DoNotSchedule" : "ScheduleAnyway",
            labelSelector: { matchLabels: SELECTOR },
          },
        ]);
        assert.equal(pod.terminationGracePeriodSeconds, 120);
        const c = pod.containers[0];
        assert.deepEqual(
          [c.startupProbe, c.livenessProbe, c.readinessProbe].map((p) => p.tcpSocket),
          [{ port: "tigerbeetle" }, { port: "tigerbeetle" }, { port: "tigerbeetle" }],
        );
        assert.equal(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds, 600);
      }
    });

    it("io_uring: seccomp Unconfined, namespace privileged; otherwise restricted contexts", () => {
      const ns = one(manifests, "Namespace", want.namespace);
      assert.equal(
        at(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"),
        "privileged",
      );
      for (const s of statefulSets) {
        const pod = podSpec(s);
        assert.deepEqual(pod.securityContext, {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          fsGroup: 1000,
          seccompProfile: { type: "Unconfined" },
        });
        // The exception is named on the pod, where the policy pack looks for it.
        assert.deepEqual(at(s, "spec", "template", "metadata", "annotations"), {
          environment: at(s, "metadata", "annotations", "environment"),
          "agent-platform.io/seccomp-exception": "io-uring",
        });
        for (const c of [...pod.initContainers, ...pod.containers])
          assert.deepEqual(c.securityContext, {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
          });
      }
    });

    it("PDB keeps a quorum", () => {
      const pdb = one(
        manifests,
        "PodDisruptionBudget",
        `tigerbeetle${want.suffix}`,
        want.namespace,
      );
      assert.deepEqual(pdb.spec, {
        minAvailable: want.quorum,
        selector: { matchLabels: SELECTOR },
      });
    });

    it("NetworkPolicy: default deny; peers and the connector in on 3000; out to peers and DNS", () => {
      assert.deepEqual(one(manifests, "NetworkPolicy", "default-deny", want.namespace).spec, {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
      });
      const policy = one(manifests, "NetworkPolicy", `tigerbeetle${want.suffix}`, want.namespace);
      assert.deepEqual(at(policy, "spec", "ingress"), [
        {
          from: [peer(want.namespace, "tigerbeetle"), peer(want.connectorNamespace, "connector")],
          ports: [{ protocol: "TCP", port: 3000 }],
        },
      ]);
      assert.deepEqual(at(policy, "spec", "egress", 1), {
        to: [peer(want.namespace, "tigerbeetle")],
        ports: [{ protocol: "TCP", port: 3000 }],
      });
      assert.equal(at(policy, "spec", "egress").length, 2);
    });

    it("the cluster record is immutable and protected, and every replica waits for it", () => {
      const record = one(
        manifests,
        "ConfigMap",
        `tigerbeetle-cluster${want.suffix}`,
        want.namespace,
      );
      assert.equal(record.immutable, true);
      assert.deepEqual(record.data, {
        clusterId: want.clusterId,
        replicaCount: String(want.replicas),
      });
      const res = recorded(rendered, "kubernetes:core/v1:ConfigMapPatch", "tigerbeetle-cluster");
      assert.equal(res.protect, true);
      // Kept with the data it describes; the next `up` after a destroy applies it again.
      assert.equal(res.retainOnDelete, true);
      assert.deepEqual(res.replaceOnChanges, ["data", "immutable"]);
      for (let i = 0; i < want.replicas; i++) {
        for (const type of ["kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Service"]) {
          const r = recorded(rendered, type, `tigerbeetle-replica-${i}`);
          assert.ok(r.dependencies.includes(res.urn), `${type} ${i} depends on the record`);
          assert.ok(r.parent.endsWith("::tigerbeetle"), `${type} ${i} parent`);
        }
      }
    });

    it(`StatefulSets and replica Services: ${stack === "production" ? "protected" : "not protected"}, never retained (they hold no data)`, () => {
      for (let i = 0; i < want.replicas; i++) {
        for (const type of ["kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Service"]) {
          const r = recorded(rendered, type, `tigerbeetle-replica-${i}`);
          assert.equal(r.protect, stack === "production", `${type} ${i}`);
          assert.equal(r.retainOnDelete, false, `${type} ${i}`);
        }
      }
    });

    it("starts first: agent-society waits for every TigerBeetle replica", () => {
      const society = recorded(rendered, "agent-platform:index:AgentSociety", "agent-society");
      for (let i = 0; i < want.replicas; i++) {
        const sts = recorded(
          rendered,
          "kubernetes:apps/v1:StatefulSet",
          `tigerbeetle-replica-${i}`,
        );
        assert.ok(society.dependencies.includes(sts.urn), `replica ${i}`);
      }
    });
  });
}

describe("tigerbeetle: config choices", () => {
  it("bootstrap: true adds one format Job per replica, run once, before every replica", async () => {
    const tigerbeetle = editedObject("production", "tigerbeetle", (v) => (v.bootstrap = true));
    const { manifests, run } = await render("production", { tigerbeetle });
    const cluster = "174411305360383197744508619207744553274";
    const jobs = ofKind(manifests, "Job");
    for (const m of manifests.filter(isBuiltIn))
      assert.deepEqual(schemaErrors(m), [], m.metadata.name);
    assert.deepEqual(
      jobs.map((j) => j.metadata.name),
      [0, 1, 2, 3, 4, 5].map((i) => `tigerbeetle-format-${i}`),
    );
    const job = one(manifests, "Job", "tigerbeetle-format-2", "tigerbeetle");
    assert.equal(at(job, "spec", "backoffLimit"), 0);
    const pod = podSpec(job);
    assert.equal(pod.restartPolicy, "Never");
    assert.deepEqual(pod.volumes, [
      { name: "data", persistentVolumeClaim: { claimName: "tigerbeetle-data-2" } },
    ]);
    assert.deepEqual(pod.containers[0].command, [
      "/bin/sh",
      "-c",
      FORMAT_SCRIPT,
      "format",
      `/data/${cluster}_2.tigerbeetle`,
      `--cluster=${cluster}`,
      "--replica=2",
      "--replica-count=6",
    ]);
    assert.deepEqual(pod.topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: { "app.kubernetes.io/name": "tigerbeetle-format" } },
      },
    ]);
    // The replicas still only recover, and start after every Job has completed.
    const sts = one(manifests, "StatefulSet", "tigerbeetle-2", "tigerbeetle");
    assert.equal(podSpec(sts).initContainers[0].command[2], RECOVER_SCRIPT);
    const jobResources = run.resources.filter((r) => r.type === "kubernetes:batch/v1:JobPatch");
    assert.equal(jobResources.length, 6);
    const jobUrns = jobResources.map((r) => {
      assert.deepEqual(r.ignoreChanges, ["spec", "metadata"], `${r.name} is never replaced`);
      assert.equal(r.retainOnDelete, true, `${r.name} stays when bootstrap goes back to false`);
      return r.urn;
    });
    for (const r of run.resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet")) {
      for (const urn of jobUrns) assert.ok(r.dependencies.includes(urn), `${r.name} after ${urn}`);
    }
  });

  it("a localhost seccomp profile keeps the namespace restricted", async () => {
    const tigerbeetle = editedObject("production", "tigerbeetle", (v) => {
      v.seccomp = { type: "localhost", localhostProfile: "profiles/tigerbeetle-io-uring.json" };
      v.storage = { className: "fast-ssd", size: "500Gi" };
    });
    const { manifests } = await render("production", { tigerbeetle });
    const ns = one(manifests, "Namespace", "tigerbeetle");
    assert.equal(at(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted");
    const sts = one(manifests, "StatefulSet", "tigerbeetle-0", "tigerbeetle");
    assert.deepEqual(podSpec(sts).securityContext.seccompProfile, {
      type: "Localhost",
      localhostProfile: "profiles/tigerbeetle-io-uring.json",
    });
    // A Localhost profile is no exception: the pod is not annotated as one.
    assert.deepEqual(at(sts, "spec", "template", "metadata", "annotations"), {
      environment: "production",
    });
    const claim = one(manifests, "PersistentVolumeClaim", "tigerbeetle-data-0", "tigerbeetle");
    assert.deepEqual(claim.spec, {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "fast-ssd",
      resources: { requests: { storage: "500Gi" } },
    });
  });

  it("one replica (staging): no zone spread, PDB of 1, a one-entry address list", async () => {
    const tigerbeetle = editedObject("staging", "tigerbeetle", (v) => (v.replicaCount = 1));
    const { manifests } = await render("staging", { tigerbeetle });
    const sts = one(manifests, "StatefulSet", "tigerbeetle-0-staging", "tigerbeetle-staging");
    assert.equal(podSpec(sts).topologySpreadConstraints, undefined);
    assert.equal(flag(podSpec(sts).containers[0].args, "addresses"), "0.0.0.0:3000");
    assert.equal(
      ofKind(manifests, "StatefulSet").filter((m) => m.metadata.namespace === "tigerbeetle-staging")
        .length,
      1,
    );
  });
});

describe("tigerbeetle: placement from config", () => {
  it("zones off: no spread; nodes preferred: a preference only, in production too", async () => {
    const { manifests } = await render("production", {
      tigerbeetle: editedObject("production", "tigerbeetle", (v) => {
        v.placement = { nodes: "preferred", zones: "off" };
      }),
    });
    const sets = ofKind(manifests, "StatefulSet");
    assert.equal(sets.length, 6);
    for (const s of sets) {
      const pod = at(s, "spec", "template", "spec");
      assert.equal(pod.topologySpreadConstraints, undefined);
      assert.equal(
        pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
        undefined,
      );
      assert.equal(
        pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.length,
        1,
      );
    }
  });

  it("refuses an unknown placement, naming the values allowed", async () => {
    const error = await renderError("staging", {
      tigerbeetle: editedObject("staging", "tigerbeetle", (v) => {
        v.placement = { nodes: "always", zones: "required" };
      }),
    });
    assert.deepEqual(
      error.problems.map((p) => `${p.path}: ${p.message}`),
      [
        'agent-platform:tigerbeetle.placement.nodes: expected one of "required", "preferred"; given "always"',
      ],
    );
  });
});
