// Response compression (RESPONSE_COMPRESSION), in two parts:
//
// - `compressResponses`: gzip or brotli, as the client asks, for pages and JSON larger than
//   COMPRESSION_THRESHOLD_BYTES (the `compression` middleware). Never for server-sent event
//   streams: a compressor holds back what it is given until it has enough to compress, so an
//   event would reach the browser late or only when the stream ends.
// - `staticAssets`: the portal's built files, served as the `.br` or `.gz` copy that
//   `npm run build` wrote beside each one (web/vite/build-end.ts) when the client accepts it,
//   with `Vary: Accept-Encoding` and the original file's Content-Type (express-static-gzip).
//
// `on` does both; `assets` only the prepared files (a proxy in front compresses the rest; it
// leaves a response that already has a Content-Encoding alone); `off` neither.
import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';
import express from 'express';
import expressStaticGzip from 'express-static-gzip';

export const RESPONSE_COMPRESSION_MODES = ['on', 'assets', 'off'] as const;
export type ResponseCompression = (typeof RESPONSE_COMPRESSION_MODES)[number];

/** Smaller bodies go out as they are: compressing them saves less than the headers cost. */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

const passThrough: RequestHandler = (_req, _res, next) => next();

/** Mounted before every route, so API answers and pages alike go through it. */
export function compressResponses(mode: ResponseCompression): RequestHandler {
  if (mode !== 'on') return passThrough;
  return compression({ threshold: COMPRESSION_THRESHOLD_BYTES, filter: shouldCompress });
}

/**
 * Marks a response to go out as it is: what the Temporal UI proxy passes on comes already
 * encoded as the UI server chose (it gzips itself), and may stream.
 */
export function leaveUncompressed(res: Response): void {
  res.locals.leaveUncompressed = true;
}

function shouldCompress(req: Request, res: Response): boolean {
  const type = String(res.getHeader('Content-Type') ?? '');
  if (type.startsWith('text/event-stream') || res.locals.leaveUncompressed === true) return false;
  // The default filter: compressible types only (HTML, JSON, JS, CSS, SVG, …), and nothing
  // whose Cache-Control says no-transform.
  return compression.filter(req, res);
}

export interface StaticAssetOptions {
  /** Cache-Control max-age; `immutable` for file names that carry a content hash. */
  maxAge: string;
  immutable?: boolean;
  index?: false;
}

/** Serves `directory`; with compression on or `assets`, the prepared `.br`/`.gz` copy the client accepts. */
export function staticAssets(
  directory: string,
  mode: ResponseCompression,
  options: StaticAssetOptions,
): RequestHandler {
  const serveStatic = { maxAge: options.maxAge, immutable: options.immutable ?? false, index: options.index };
  if (mode === 'off') return express.static(directory, serveStatic);
  return expressStaticGzip(directory, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    // No index.html is served from here: pages are React Router's.
    index: false,
    serveStatic,
  });
}
