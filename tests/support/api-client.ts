// Small helpers for calling the API under test.
import { setTimeout as sleep } from 'node:timers/promises';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(new URL(path, baseUrl), { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export function operationPath(id: string): string {
  return `/api/v1/operations/${encodeURIComponent(id)}`;
}

/** Where the API under test runs, and headers that sign a request in as a platform admin. */
export interface ApiTarget {
  baseUrl: string;
  admin: { headers: Record<string, string> };
}

/** Polls an operation (as the platform admin) until it has closed. */
export async function waitForOperation(target: ApiTarget, id: string, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await request(target.baseUrl, 'GET', operationPath(id), { headers: target.admin.headers });
    if (body?.status && body.status !== 'running') return body;
    if (Date.now() > deadline) throw new Error(`operation ${id} still running: ${JSON.stringify(body)}`);
    await sleep(250);
  }
}

let counter = 0;
/** A slug no other test run uses. */
export function uniqueSlug(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}
