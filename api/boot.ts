// The API's first import (api/main.ts): reads the configuration once and, when tracing is on,
// starts it before anything else is imported. ES modules run their imports in order, so http,
// express and pg load after the instrumentations are in place (tracing/setup.ts).
import { ConfigError } from '../config/env.ts';
import { createLogger } from '../logging/logger.ts';
import { startTracing } from '../tracing/setup.ts';
import { readApiConfig } from './config.ts';
import type { ApiConfig } from './config.ts';

function readOrExit(): ApiConfig {
  try {
    return readApiConfig(process.env);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

export const config = readOrExit();
export const logger = createLogger({ level: config.logLevel, service: 'api' });
export const tracing = startTracing(config.tracing, 'atrium-api', (message) => logger.warn(message));
if (tracing && config.tracing) logger.info('Tracing on', { otlpEndpoint: config.tracing.endpoint });
