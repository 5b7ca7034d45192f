// The consumers' verify hooks: how a generated or rotated value reaches the services that use
// it and how Atrium proves each one works with it. A hook is a URL the tenant declared per
// consumer; Atrium POSTs `{"phase": …, "secretId": …, "version": …}` with the value as
// `Authorization: Bearer <value>` (never in the body, never in a log line), through the
// outbound guard (the address is checked at connect time). Phases: `update` (use this value
// from now on), `verify` (answer 2xx only if you work with this value), `rollback` (go back
// to this value).
import type { OutboundFetch } from '../../integrations/outbound/fetch.ts';
import { OutboundAddressRefused } from '../../integrations/outbound/refused.ts';

export type HookPhase = 'update' | 'verify' | 'rollback';

export interface HookAnswer {
  ok: boolean;
  /** `refused` (it answered, not 2xx), `unreachable` (no answer, or the address is refused). */
  outcome: 'ok' | 'refused' | 'unreachable';
  detail: string;
}

const HOOK_TIMEOUT_MS = 10_000;

export async function callHook(
  fetch: OutboundFetch,
  url: string,
  call: { phase: HookPhase; secretId: string; version: number; value: string },
): Promise<HookAnswer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${call.value}` },
      body: JSON.stringify({ phase: call.phase, secretId: call.secretId, version: call.version }),
      signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300)
      return { ok: true, outcome: 'ok', detail: `HTTP ${response.status}` };
    return { ok: false, outcome: 'refused', detail: `HTTP ${response.status}` };
  } catch (error) {
    const detail =
      error instanceof OutboundAddressRefused
        ? `address refused: ${error.message}`
        : `no answer: ${networkCode(error)}`;
    return { ok: false, outcome: 'unreachable', detail };
  }
}

/** ECONNREFUSED, a timeout…: what went wrong, never the request (which carries the value). */
function networkCode(error: unknown): string {
  if (!(error instanceof Error)) return 'error';
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  const cause = (error as Error & { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : error.name;
}
