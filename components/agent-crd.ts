import * as k8s from "@pulumi/kubernetes";
import { AGENT_QUANTITY_PATTERN } from "../kgents/schema";
import { GENUS_PATTERN } from "../stacks/schema";
import { appLabels } from "./shared/labels";
import { PATCH_FORCE_ANNOTATION } from "./shared/kept";

type JSONSchemaProps = k8s.types.input.apiextensions.v1.JSONSchemaProps;

const AGENT_GROUP = "kgents.io";
const AGENT_VERSION = "v1";
export const AGENT_API_VERSION = `${AGENT_GROUP}/${AGENT_VERSION}`;
export const AGENT_KIND = "Agent";

/** The spec loader checks the same pattern, so the API server never refuses what it accepted. */
const quantity: JSONSchemaProps = { type: "string", pattern: AGENT_QUANTITY_PATTERN.source };
// Every field the stack writes is declared: server-side apply refuses a field a structural
// schema does not declare (it does not prune it, as a plain create would).
const compute: JSONSchemaProps = {
  type: "object",
  required: ["cpu", "memory"],
  properties: { cpu: quantity, memory: quantity, "ephemeral-storage": quantity },
};
const resources: JSONSchemaProps = {
  type: "object",
  required: ["requests", "limits"],
  properties: { requests: compute, limits: compute },
};
/** `^([A-Z]|Psi)$`: the operator's `^[A-Z]|Psi$` accepted anything starting with a capital. */
const genus: JSONSchemaProps = { type: "string", pattern: GENUS_PATTERN.source };

// No `additionalProperties: false`: Kubernetes forbids it beside `properties` in a structural
// schema, and prunes unknown fields instead.

/**
 * The `spec` of an Agent object: the spec file's frontmatter as the stack deployed it (overrides
 * applied, defaults filled, config values as the strings the pods see).
 */
const AGENT_SPEC_SCHEMA: JSONSchemaProps = {
  type: "object",
  required: ["genus", "image", "replicas", "resources", "sidecar", "entrypoint", "networkPolicy"],
  properties: {
    genus,
    name: { type: "string" },
    image: { type: "string", minLength: 1 },
    replicas: { type: "integer", minimum: 0, maximum: 10 },
    resources,
    sidecar: {
      type: "object",
      required: ["enabled"],
      properties: { enabled: { type: "boolean" }, image: { type: "string" }, resources },
    },
    entrypoint: { type: "string", minLength: 1 },
    config: {
      type: "object",
      // Keys are validated by the spec loader (CONFIG_KEY_PATTERN); values are strings here.
      additionalProperties: { type: "string" },
    },
    networkPolicy: {
      type: "object",
      required: ["allowEgress", "allowedPeers"],
      properties: {
        allowEgress: { type: "boolean" },
        allowedPeers: { type: "array", items: genus },
      },
    },
  },
};

/**
 * The whole object's schema, as the CRD declares it. No `status`: no operator runs, so nothing
 * would ever write one; what runs is read from the Deployment (`npm run agents`).
 */
const AGENT_OPENAPI_SCHEMA: JSONSchemaProps = {
  type: "object",
  required: ["spec"],
  properties: {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
    spec: AGENT_SPEC_SCHEMA,
  },
};

/**
 * What `kubectl get agents` shows: only what the stack wrote into each Agent's spec, so every
 * column is filled and true. `-o wide` adds the priority-1 columns (the NetworkPolicy peers and
 * whether the agent may reach the internet). Ready replicas are the Deployment's: `npm run agents`.
 */
const AGENT_PRINTER_COLUMNS = [
  { name: "Genus", type: "string", jsonPath: ".spec.genus" },
  { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
  { name: "Image", type: "string", jsonPath: ".spec.image" },
  { name: "Sidecar", type: "boolean", jsonPath: ".spec.sidecar.enabled" },
  { name: "Peers", type: "string", jsonPath: ".spec.networkPolicy.allowedPeers", priority: 1 },
  { name: "Egress", type: "boolean", jsonPath: ".spec.networkPolicy.allowEgress", priority: 1 },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
];

/** The CRD's name: cluster-wide, so the same in every stack. */
export const AGENT_CRD_NAME = `agents.${AGENT_GROUP}`;

/**
 * The CustomResourceDefinition `agents.kgents.io` (v1, short name `ag`), so that
 * `kubectl get agents -n kgents-agents` lists what runs. The stack, not an operator, reconciles
 * Agent objects: each is a record of a deployed spec, with no status (nothing would write one).
 *
 * A CRD is cluster-wide, and staging and production may share a cluster, so it carries nothing of
 * either environment: both stacks apply the very same object (`AgentCrd` in `components/agent.ts`
 * says how they share it). `pulumi.com/patchForce` lets the stack that applies last take over a
 * field the other one set differently (a newer schema rolled out to staging first).
 */
export function agentCrd(): k8s.types.input.apiextensions.v1.CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: AGENT_CRD_NAME,
      labels: appLabels("kgents", "crd"),
      annotations: { [PATCH_FORCE_ANNOTATION]: "true" },
    },
    spec: {
      group: AGENT_GROUP,
      scope: "Namespaced",
      names: { plural: "agents", singular: "agent", kind: AGENT_KIND, shortNames: ["ag"] },
      versions: [
        {
          name: AGENT_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: AGENT_OPENAPI_SCHEMA },
          additionalPrinterColumns: AGENT_PRINTER_COLUMNS,
        },
      ],
    },
  };
}
