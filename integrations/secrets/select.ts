// Builds the secret store the configuration asks for.
import type { DataSource } from 'typeorm';
import type { SecretStoreConfig } from '../../config/secrets.ts';
import { createLocalSecretStore } from './local.ts';
import type { SecretStore } from './port.ts';
import { createVaultSecretStore } from './vault.ts';

export function selectSecretStore(config: SecretStoreConfig, dataSource: DataSource): SecretStore {
  if (config.kind === 'vault') return createVaultSecretStore(config);
  return createLocalSecretStore({ dataSource, keyFile: config.keyFile });
}
