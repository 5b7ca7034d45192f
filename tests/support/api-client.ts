// Calling the API under test. `request` is the loose helper (any JSON); `ApiClient` is the
// typed one: it reads every answer through the wire contract (contracts/), so a test fails
// as soon as the API sends something its contract does not describe.
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import type { CreateTenantRequest, TenantListQuery } from '../../contracts/index.ts';
import { Operation, Problem, Tenant, TenantCreated, TenantPage } from '../../contracts/index.ts';

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

/** An answer read through the contract: the parsed body on 2xx, the problem otherwise. */
export type Answer<T> =
  | { ok: true; status: number; headers: Headers; body: T }
  | { ok: false; status: number; headers: Headers; problem: Problem };

/** The typed client for one caller (its headers sign it in, or not). */
export class ApiClient {
  readonly baseUrl: string;
  readonly headers: Record<string, string>;

  constructor(baseUrl: string, headers: Record<string, string> = {}) {
    this.baseUrl = baseUrl;
    this.headers = headers;
  }

  /** The same API as another caller. */
  as(headers: Record<string, string>): ApiClient {
    return new ApiClient(this.baseUrl, headers);
  }

  /** Any route: a 2xx body must parse with `schema`, any other answer as a problem. */
  async send<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<z.output<S>>> {
    const response = await request(this.baseUrl, method, path, {
      json: options.json,
      headers: { ...this.headers, ...options.headers },
    });
    const label = `${method} ${path} → ${response.status}`;
    if (response.status >= 200 && response.status < 300)
      return {
        ok: true,
        status: response.status,
        headers: response.headers,
        body: parse(schema, response.body, label),
      };
    return {
      ok: false,
      status: response.status,
      headers: response.headers,
      problem: parse(Problem, response.body, label),
    };
  }

  listTenants(query: TenantListQuery & { limit?: number } = {}): Promise<Answer<TenantPage>> {
    const search = new URLSearchParams();
    if (query.status !== undefined) search.set('status', query.status);
    if (query.q !== undefined) search.set('q', query.q);
    if (query.cursor !== undefined) search.set('cursor', query.cursor);
    if (query.limit !== undefined) search.set('limit', String(query.limit));
    return this.send(TenantPage, 'GET', `/api/v1/tenants${search.size ? `?${search}` : ''}`);
  }

  getTenant(slug: string): Promise<Answer<Tenant>> {
    return this.send(Tenant, 'GET', `/api/v1/tenants/${encodeURIComponent(slug)}`);
  }

  createTenant(body: CreateTenantRequest, headers: Record<string, string> = {}): Promise<Answer<TenantCreated>> {
    return this.send(TenantCreated, 'POST', '/api/v1/tenants', { json: body, headers });
  }

  getOperation(id: string): Promise<Answer<Operation>> {
    return this.send(Operation, 'GET', operationPath(id));
  }

  /** Polls an operation until it has closed. */
  async waitForOperation(id: string, timeoutMs = 90_000): Promise<Operation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.getOperation(id);
      if (answer.ok && answer.body.status !== 'running') return answer.body;
      if (Date.now() > deadline)
        throw new Error(`operation ${id} still running: ${JSON.stringify(answer.ok ? answer.body : answer.problem)}`);
      await sleep(250);
    }
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown, label: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new Error(`${label}: the answer breaks the contract: ${result.error.message}\n${JSON.stringify(body)}`);
  return result.data;
}

/** The body of a successful answer; anything else fails the test, saying what came back. */
export function expectOk<T>(answer: Answer<T>, status?: number): T {
  if (!answer.ok)
    throw new Error(`expected ${status ?? '2xx'}, got ${answer.status}: ${JSON.stringify(answer.problem)}`);
  if (status !== undefined && answer.status !== status)
    throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The problem of a refused answer; a success fails the test. */
export function expectProblem<T>(answer: Answer<T>, status: number): Problem {
  if (answer.ok) throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  if (answer.status !== status)
    throw new Error(`expected ${status}, got ${answer.status}: ${JSON.stringify(answer.problem)}`);
  return answer.problem;
}

/** Where the API under test runs, and headers that sign a request in as a platform admin. */
export interface ApiTarget {
  baseUrl: string;
  admin: { headers: Record<string, string> };
}

/**
 * Polls an operation (as the platform admin) until it has closed. Every answer is read
 * through the contract, so an operation that leaves it fails the test; the result is typed
 * loosely, like `request`'s, for the tests that read it so (ApiClient's is typed).
 */
export function waitForOperation(target: ApiTarget, id: string, timeoutMs = 90_000): Promise<any> {
  return new ApiClient(target.baseUrl, target.admin.headers).waitForOperation(id, timeoutMs);
}

let counter = 0;
/** A slug no other test run uses. */
export function uniqueSlug(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}
