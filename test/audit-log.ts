import { z } from "zod";
import { serviceRecord } from "../stacks/record";
import {
  count,
  imageTagSchema,
  replicasSchema,
  serviceResourcesSchema,
} from "../stacks/schema-parts";
import { plusStorage } from "../stacks/services/shared";

/**
 * A fifth platform service that the shipped catalog does not have: an audit log that reads
 * payments from agent-society. One record, as `stacks/services/*.ts` write them; the tests add it
 * to a catalog of their own.
 */
export const auditLog = serviceRecord({
  summary: "audit log of payments",
  namespace: "audit-log",
  app: "audit-log",
  ports: { http: 9000 },
  endpoints: { http: { service: "audit-log", port: "http", scheme: "http" } },
  calls: [
    {
      to: "agentSociety",
      endpoint: "http",
      env: "BUSINESS_LOGIC_URL",
      why: "the audit log reads payments from business logic",
    },
  ],
  image: { repository: "audit-log", underRegistry: true },
  config: z.strictObject({
    imageTag: imageTagSchema,
    replicas: replicasSchema,
    resources: serviceResourcesSchema,
    retentionDays: count(z.number().int().min(1)),
  }),
  defaults: {
    staging: {
      imageTag: "staging",
      replicas: 1,
      resources: plusStorage({
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "200m", memory: "128Mi" },
      }),
      retentionDays: 7,
    },
    production: {
      replicas: 2,
      resources: plusStorage({
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "500m", memory: "256Mi" },
      }),
      retentionDays: 365,
    },
  },
  run: ({ settings, stack, urls }) => ({
    env: {
      RETENTION_DAYS: String(settings.retentionDays),
      BUSINESS_LOGIC_URL: urls.BUSINESS_LOGIC_URL,
      LOG_LEVEL: stack.logLevel,
    },
    secrets: {},
    probes: {
      startup: { path: "/health", port: "http" },
      liveness: { path: "/health", port: "http" },
      readiness: { path: "/ready", port: "http" },
    },
    podSecurity: "restricted",
  }),
});
