// Builds the secret store the configuration asks for.
import type { DataSource } from 'typeorm';
import type { SecretStoreConfig } from '../../config/secrets.ts';
import type { Logger } from '../../logging/logger.ts';
import { createLocalSecretStore } from './local.ts';
import type { SecretStore } from './port.ts';
import { createVaultSecretStore } from './vault.ts';

export function selectSecretStore(config: SecretStoreConfig, dataSource: DataSource, logger?: Logger): SecretStore {
  if (config.kind === 'vault')
    return createVaultSecretStore({
      ...config,
      // AppRole logins and renewals, so an operator sees the token kept alive (docs/operations.md).
      onTokenEvent: (event) => logger?.info(`vault token ${event.kind}`, { ttlSeconds: event.ttlSeconds }),
    });
  return createLocalSecretStore({ dataSource, keyFile: config.keyFile });
}
