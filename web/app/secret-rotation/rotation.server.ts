// The secret page's rotation calls (api/secret-rotation/): the settings and rotations it shows,
// and its three actions — save the rotation settings, "Rotate now", "I rotated it".
import type { RouterContextProvider } from 'react-router';
import type { ApiResult } from '../api/client.server.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type {
  Problem,
  SecretRotation,
  SecretRotationList,
  SecretRotationSettings,
  SecretRotationSettingsRequest,
  SecretRotationStarted,
} from '../../../contracts/index.ts';

interface Call {
  context: Readonly<RouterContextProvider>;
  token: string;
  signal?: AbortSignal;
}

const rotationsPath = (slug: string, secretId: string) =>
  `${tenantApiPath(slug)}/secrets/${encodeURIComponent(secretId)}/rotations`;
const settingsPath = (slug: string, secretId: string) =>
  `${tenantApiPath(slug)}/secrets/${encodeURIComponent(secretId)}/rotation-settings`;

export function loadRotations(
  { context, token, signal }: Call,
  slug: string,
  secretId: string,
): Promise<[ApiResult<SecretRotationSettings>, ApiResult<SecretRotationList>]> {
  const options = { token, ...(signal ? { signal } : {}) };
  return Promise.all([
    callApi<SecretRotationSettings>(context, settingsPath(slug, secretId), options),
    callApi<SecretRotationList>(context, rotationsPath(slug, secretId), options),
  ]);
}

export type RotationActionResult =
  | { intent: 'rotate'; started: SecretRotation | null; problem: Problem | null }
  | { intent: 'confirm'; confirmed: SecretRotation | null; problem: Problem | null }
  | { intent: 'rotation-settings'; saved: boolean; problem: Problem | null; fieldErrors: Record<string, string> };

/** The rotation intents of the secret page's form posts; null for any other intent. */
export async function rotationAction(
  { context, token }: Call,
  slug: string,
  secretId: string,
  form: Record<string, FormDataEntryValue>,
): Promise<{ result: RotationActionResult; status: number } | null> {
  if (form.intent === 'rotate') {
    const answer = await callApi<SecretRotationStarted>(context, rotationsPath(slug, secretId), {
      method: 'POST',
      token,
      body: {},
    });
    return {
      status: answer.status,
      result: answer.ok
        ? { intent: 'rotate', started: answer.body.rotation, problem: null }
        : { intent: 'rotate', started: null, problem: answer.problem },
    };
  }
  if (form.intent === 'confirm') {
    const number = Number(form.number);
    const answer = await callApi<SecretRotation>(context, `${rotationsPath(slug, secretId)}/${number}/confirm`, {
      method: 'POST',
      token,
    });
    return {
      status: answer.status,
      result: answer.ok
        ? { intent: 'confirm', confirmed: answer.body, problem: null }
        : { intent: 'confirm', confirmed: null, problem: answer.problem },
    };
  }
  if (form.intent === 'rotation-settings') {
    const verifyHooks: Record<string, string> = {};
    for (const [name, value] of Object.entries(form))
      if (name.startsWith('hook:') && typeof value === 'string' && value.trim())
        verifyHooks[name.slice(5)] = value.trim();
    const body: SecretRotationSettingsRequest = { verifyHooks };
    if (typeof form.overlap === 'string' && form.overlap.trim()) body.overlap = form.overlap.trim();
    if (typeof form.alphabet === 'string' && form.alphabet)
      body.generator = { alphabet: form.alphabet as 'hex', length: Number(form.length) };
    const answer = await callApi<SecretRotationSettings>(context, settingsPath(slug, secretId), {
      method: 'PUT',
      token,
      body,
    });
    return {
      status: answer.status,
      result: answer.ok
        ? { intent: 'rotation-settings', saved: true, problem: null, fieldErrors: {} }
        : {
            intent: 'rotation-settings',
            saved: false,
            problem: answer.problem,
            fieldErrors: Object.fromEntries((answer.problem.errors ?? []).map((e) => [e.path, e.message])),
          },
    };
  }
  return null;
}
