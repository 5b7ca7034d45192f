// The Environments page's calls to /api/v1/tenants/:slug/environments (api/environments/), and the
// reading of its forms (environment-form.ts) into the API's request bodies.
import type { RouterContextProvider } from 'react-router';
import type { ApiResult } from '../api/client.server.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type { Environment, EnvironmentList, EnvironmentStarted } from '../../../contracts/index.ts';
import { formText } from '../form-text.ts';
import type { EnvironmentFormText } from './environment-form.ts';

interface Call {
  context: Readonly<RouterContextProvider>;
  token: string;
  signal?: AbortSignal;
}

const environmentsPath = (slug: string) => `${tenantApiPath(slug)}/environments`;
const environmentPath = (slug: string, name: string) => `${environmentsPath(slug)}/${encodeURIComponent(name)}`;

export function listEnvironments({ context, token, signal }: Call, slug: string): Promise<ApiResult<EnvironmentList>> {
  return callApi(context, environmentsPath(slug), { token, ...(signal ? { signal } : {}) });
}

export function createEnvironment(
  { context, token }: Call,
  slug: string,
  body: Record<string, unknown>,
): Promise<ApiResult<EnvironmentStarted>> {
  return callApi(context, environmentsPath(slug), { method: 'POST', token, body });
}

export function updateEnvironment(
  { context, token }: Call,
  slug: string,
  name: string,
  body: Record<string, unknown>,
): Promise<ApiResult<Environment>> {
  return callApi(context, environmentPath(slug, name), { method: 'PATCH', token, body });
}

export function deleteEnvironment(
  { context, token }: Call,
  slug: string,
  name: string,
): Promise<ApiResult<EnvironmentStarted>> {
  return callApi(context, environmentPath(slug, name), { method: 'DELETE', token });
}

/** The edit form's fields as text. */
export function formTextFrom(form: FormData): EnvironmentFormText {
  return {
    replicas: formText(form, 'replicas'),
    variables: formText(form, 'variables'),
    secretRefs: formText(form, 'secretRefs'),
    cpuRequest: formText(form, 'cpuRequest'),
    memoryRequest: formText(form, 'memoryRequest'),
    cpuLimit: formText(form, 'cpuLimit'),
    memoryLimit: formText(form, 'memoryLimit'),
    deployRoles: form.getAll('deployRoles').filter((value): value is string => typeof value === 'string'),
    soakMinutes: formText(form, 'soakMinutes'),
    freezeWindows: formText(form, 'freezeWindows'),
  };
}
