// The worker's first import (worker/main.ts): reads the configuration once and, when tracing
// is on, starts it before anything else is imported, so pg and http load after the
// instrumentations are in place (tracing/setup.ts).
import { ConfigError } from '../config/env.ts';
import { createLogger } from '../logging/logger.ts';
import { startTracing } from '../tracing/setup.ts';
import { readWorkerConfig } from './config.ts';
import type { WorkerConfig } from './config.ts';

function readOrExit(): WorkerConfig {
  try {
    return readWorkerConfig(process.env);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

export const config = readOrExit();
export const logger = createLogger({ level: config.logLevel, service: 'worker' });
export const tracing = startTracing(config.tracing, 'atrium-worker', (message) => logger.warn(message));
if (tracing && config.tracing) logger.info('Tracing on', { otlpEndpoint: config.tracing.endpoint });
