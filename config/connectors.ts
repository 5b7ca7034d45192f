// Connector settings both processes read at boot: whether tenant-defined OAuth providers may use
// http:// (their tokens would cross the network in clear: loopback providers in development and
// tests only).
import { z } from 'zod';

export const connectorSettings = {
  CONNECTOR_ALLOW_INSECURE_PROVIDERS: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
};

export interface ConnectorConfig {
  /** Accept http:// provider endpoints (development and tests only). */
  allowInsecureProviders: boolean;
}

export function readConnectorConfig(parsed: { CONNECTOR_ALLOW_INSECURE_PROVIDERS: boolean }): ConnectorConfig {
  return { allowInsecureProviders: parsed.CONNECTOR_ALLOW_INSECURE_PROVIDERS };
}
