import { z } from "zod";

/**
 * Every secret a stack reads from Pulumi secret config. None has a default and none may be
 * written in plaintext: `pulumi config set --secret <key> <value>` stores ciphertext in
 * `Pulumi.<stack>.yaml`. The offline render, which cannot decrypt, stands `renderPlaceholder`
 * in for each and prints `[secret]` wherever the value would appear.
 */
interface SecretDefinition {
  /** Config key under `agent-platform:`. */
  readonly key: string;
  /** What it is, for the README and for error messages. */
  readonly description: string;
  /** What a valid value looks like; a value that fails it is refused without being shown. */
  readonly schema: z.ZodType<string>;
  /** How to make a good value, shown in the error when the secret is missing. */
  readonly howToGenerate: string;
  /** A valid stand-in used only by the offline render; it never leaves the process. */
  readonly renderPlaceholder: string;
}

export const SECRETS = {
  nostrSecretKey: {
    key: "nostrSecretKey",
    description: "agent-society's Nostr private key (NOSTR_SECRET_KEY), 64 hex characters",
    schema: z.string().regex(/^[0-9a-f]{64}$/i, "expected exactly 64 hex characters"),
    howToGenerate: "openssl rand -hex 32",
    renderPlaceholder: "0".repeat(64),
  },
  connectorAdminApiKey: {
    key: "connectorAdminApiKey",
    description:
      "the connector admin API's key (the connector's ADMIN_API_KEY, agent-society's CONNECTOR_ADMIN_API_KEY); the connector refuses to start its admin API in production without one",
    schema: z.string().regex(/^[0-9a-f]{64}$/i, "expected exactly 64 hex characters"),
    howToGenerate: "openssl rand -hex 32",
    renderPlaceholder: "1".repeat(64),
  },
  btpAuthToken: {
    key: "btpAuthToken",
    description:
      "the BTP token agent-runtime presents to the connector (CONNECTOR_BTP_AUTH_TOKEN) and the connector expects (BTP_PEER_AGENT_RUNTIME_SECRET)",
    schema: z.string().regex(/^[0-9a-f]{64}$/i, "expected exactly 64 hex characters"),
    howToGenerate: "openssl rand -hex 32",
    renderPlaceholder: "2".repeat(64),
  },
} as const satisfies Record<string, SecretDefinition>;

export type SecretKey = keyof typeof SECRETS;
