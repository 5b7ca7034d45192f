// What the API's routes need, built once in api/main.ts (or by a test) and passed down.
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logging/logger.ts';
import type { ActivityTimings } from '../workflows/operation.contract.ts';

export interface ApiDeps {
  dataSource: DataSource;
  logger: Logger;
  temporal: {
    client: Client;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
  };
  settings: {
    bodyLimitBytes: number;
    idempotencyKeyTtlMs: number;
    operationPollIntervalMs: number;
    activityTimings: ActivityTimings;
  };
}
