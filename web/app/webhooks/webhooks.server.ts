// The webhook pages' calls to /api/v1/tenants/:slug/webhooks… (api/webhooks/): each form's
// intent is one handler, which checks the form with the API's own schema and answers the API's
// result (or the schema's field errors, without a request).
import type { RouterContextProvider } from 'react-router';
import type { ApiResult } from '../api/client.server.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import { formText } from '../form-text.ts';
import type {
  Problem,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookReplayStarted,
  WebhookTestResult,
} from '../../../contracts/index.ts';
import {
  CreateWebhookEndpointRequest,
  ReplayWebhookEventsRequest,
  RotateWebhookSecretRequest,
  UpdateWebhookEndpointRequest,
} from '../../../contracts/index.ts';
import { endpointValuesFromForm, replayRangeFromForm } from './endpoint-form.ts';

export const webhooksApiPath = (slug: string) => `${tenantApiPath(slug)}/webhooks`;
export const endpointApiPath = (slug: string, endpointId: string) =>
  `${webhooksApiPath(slug)}/${encodeURIComponent(endpointId)}`;

interface Call {
  context: Readonly<RouterContextProvider>;
  slug: string;
  token: string;
  form: FormData;
}

/** A form the schema refused: the same shape as the API's 422, so the page shows it the same way. */
function refused<T>(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ApiResult<T> {
  const problem: Problem = {
    type: 'about:blank',
    title: 'The request has invalid fields',
    status: 422,
    errors: issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })),
  };
  return { ok: false, status: 422, problem };
}

const endpointId = (form: FormData) => formText(form, 'endpointId');

export function createEndpoint({ context, slug, token, form }: Call): Promise<ApiResult<WebhookEndpointWithSecret>> {
  const parsed = CreateWebhookEndpointRequest.safeParse(endpointValuesFromForm(form));
  if (!parsed.success) return Promise.resolve(refused(parsed.error.issues));
  return callApi(context, webhooksApiPath(slug), { method: 'POST', token, body: parsed.data });
}

/** The edit form, or the enable/disable buttons (`enabled`). */
export function updateEndpoint({ context, slug, token, form }: Call): Promise<ApiResult<WebhookEndpoint>> {
  const enabled = form.get('enabled');
  const body = enabled === null ? endpointValuesFromForm(form) : { enabled: enabled === 'true' };
  const parsed = UpdateWebhookEndpointRequest.safeParse(body);
  if (!parsed.success) return Promise.resolve(refused(parsed.error.issues));
  return callApi(context, endpointApiPath(slug, endpointId(form)), { method: 'PATCH', token, body: parsed.data });
}

export function rotateSecret({ context, slug, token, form }: Call): Promise<ApiResult<WebhookEndpointWithSecret>> {
  // The API takes the duration as written ("24h"); the schema checks it (and parses it to ms).
  const body = { gracePeriod: formText(form, 'gracePeriod') || '24h' };
  const parsed = RotateWebhookSecretRequest.safeParse(body);
  if (!parsed.success) return Promise.resolve(refused(parsed.error.issues));
  return callApi(context, `${endpointApiPath(slug, endpointId(form))}/rotate-secret`, { method: 'POST', token, body });
}

export function deleteEndpoint({ context, slug, token, form }: Call): Promise<ApiResult<unknown>> {
  return callApi(context, endpointApiPath(slug, endpointId(form)), { method: 'DELETE', token });
}

export function sendTest({ context, slug, token, form }: Call): Promise<ApiResult<WebhookTestResult>> {
  return callApi(context, `${endpointApiPath(slug, endpointId(form))}/test`, { method: 'POST', token, body: {} });
}

/** One event again (`eventId`, from a delivery log row), or the time-range form. */
export function replay({ context, slug, token, form }: Call): Promise<ApiResult<WebhookReplayStarted>> {
  const eventId = form.get('eventId');
  const body = typeof eventId === 'string' ? { eventId } : replayRangeFromForm(form);
  const parsed = ReplayWebhookEventsRequest.safeParse(body);
  if (!parsed.success) return Promise.resolve(refused(parsed.error.issues));
  return callApi(context, `${endpointApiPath(slug, endpointId(form))}/replays`, {
    method: 'POST',
    token,
    body: parsed.data,
  });
}
