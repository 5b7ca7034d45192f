// Structured JSON logging (winston). Every line carries the request, tenant, workflow and
// run ids of the context it was written in, and, with tracing on, the trace and span ids.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Writable } from 'node:stream';
import winston from 'winston';
import { coalescedStdout } from './coalesced-stdout.ts';
import { currentLogContext } from './context.ts';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Names the process (api, worker, start) in every line. */
  service: string;
}

const addContext = winston.format((info) => {
  for (const [key, value] of Object.entries(currentLogContext())) {
    if (value !== undefined && info[key] === undefined) info[key] = value;
  }
  return info;
});

/**
 * The active span's trace and span ids (tracing/setup.ts). Lines the Temporal SDK forwards from
 * a workflow or an activity carry them as trace_id/span_id (its OpenTelemetry interceptors
 * add them); they get the same names here. With tracing off there is never an active span.
 */
const addTrace = winston.format((info) => {
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    info.traceId ??= span.traceId;
    info.spanId ??= span.spanId;
  } else if (typeof info.trace_id === 'string') {
    info.traceId ??= info.trace_id;
    info.spanId ??= info.span_id;
  }
  delete info.trace_id;
  delete info.span_id;
  delete info.trace_flags;
  return info;
});

/** Errors in metadata (e.g. from the Temporal SDK) would otherwise serialize as `{}`. */
const serializeErrors = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (value instanceof Error) {
      info[key] = { name: value.name, message: value.message, stack: value.stack, cause: describeCause(value.cause) };
    }
  }
  return info;
});

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

/** One per process: every logger's lines share its writes (logging/coalesced-stdout.ts). */
let sharedStdout: Writable | undefined;
function stdoutLines(): Writable {
  sharedStdout ??= coalescedStdout();
  return sharedStdout;
}

export function createLogger({ level, service }: LoggerOptions): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(
      addContext(),
      addTrace(),
      serializeErrors(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Stream({ stream: stdoutLines() })],
  });
}
