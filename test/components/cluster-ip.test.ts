import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { assignedClusterIp } from "../../components/tigerbeetle";

/**
 * TigerBeetle's addresses are built from its replica Services' cluster IPs. In a preview of a new
 * Service (a server-side dry run) the provider reports no clusterIP; seen on the real engine, the
 * addresses then read "undefined:3000,...". They must be unknown instead.
 */

/** A Service whose provider state has `clusterIP` as given (absent when undefined). */
async function serviceWith(preview: boolean, clusterIP: string | undefined) {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        state: { ...args.inputs, spec: { ...args.inputs.spec, clusterIP } },
      }),
      call: (args) => args.inputs,
    },
    "agent-platform",
    "staging",
    preview,
  );
  return new k8s.core.v1.Service("replica", { spec: { ports: [{ port: 3000 }] } });
}

/** Whether an Output is known, and its value when it is. */
async function settle(output: pulumi.Output<string>): Promise<{ known: boolean; value?: string }> {
  const internal = output as unknown as {
    isKnown: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<string>;
  };
  const known = await internal.isKnown;
  return known ? { known, value: await internal.promise() } : { known };
}

describe("a replica Service's cluster IP", () => {
  it("is the IP the API server assigned", async () => {
    const service = await serviceWith(false, "10.96.0.17");
    assert.deepEqual(await settle(assignedClusterIp(service)), {
      known: true,
      value: "10.96.0.17",
    });
  });

  it("is unknown in a preview of a Service that has none yet, never the string undefined", async () => {
    const service = await serviceWith(true, undefined);
    const ip = assignedClusterIp(service);
    assert.deepEqual(await settle(ip), { known: false });
    const addresses = ip.apply((v) => `${v}:3000`);
    assert.deepEqual(await settle(addresses), { known: false });
  });

  it("fails a deployment whose Service came back without one", async () => {
    const service = await serviceWith(false, undefined);
    await assert.rejects(
      (assignedClusterIp(service) as unknown as { promise(): Promise<string> }).promise(),
      /the Service has no cluster IP after its creation/,
    );
  });
});
