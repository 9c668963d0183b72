import * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi's public mock API alone, as awsx's and pulumi/examples' unit tests use it: `setMocks`,
 * then the test builds one component, and awaits what it publishes. Nothing of the SDK's internals
 * is touched (the offline render's stand-in, `scripts/mock-runtime.ts`, is for the whole program).
 */

/** One registration, as the public mock API sees it. */
export interface MockedResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs: Record<string, any>;
}

/**
 * Builds under fresh public mocks, as stack `test` of project `agent-platform`: every custom
 * resource's state echoes its inputs, a Service without one gets a cluster IP (10.0.0.1, ...),
 * and the build's registrations are returned once the SDK's queue has drained.
 */
export async function underPublicMocks<T>(
  build: () => T,
): Promise<{ readonly resources: MockedResource[]; readonly built: T }> {
  const resources: MockedResource[] = [];
  let ips = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          inputs: args.inputs,
        });
        if (args.custom !== true) return { id: undefined, state: {} };
        const state =
          args.type === "kubernetes:core/v1:Service" && args.inputs.spec?.clusterIP === undefined
            ? { ...args.inputs, spec: { ...args.inputs.spec, clusterIP: `10.0.0.${++ips}` } }
            : args.inputs;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "agent-platform",
    "test",
    false,
  );
  const built = build();
  await pulumi.runtime.disconnect();
  return { resources, built };
}

/** The value of an Output, once known. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
