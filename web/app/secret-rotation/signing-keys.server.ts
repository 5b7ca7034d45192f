// The platform's signing keys on the admin console (docs/decisions/0030, 0038): both keyrings
// with what every live API process holds (GET /api/v1/admin/signing-keys?purpose=…), their
// rotation policies (GET/PUT …/policies) and "Rotate now" (POST …/rotations, a workflow).
import type { RouterContextProvider } from 'react-router';
import { callApi, loadFromApi } from '../api/client.server.ts';
import type {
  SigningKeyPolicies,
  SigningKeyPolicy,
  SigningKeyRotationStarted,
  SigningKeysOverview,
} from '../../../contracts/index.ts';
import { formText } from '../form-text.ts';
import type { SigningKeyPurpose } from './signing-key-purposes.ts';
import { isSigningKeyPurpose, UNIT_SECONDS } from './signing-key-purposes.ts';

const API = '/api/v1/admin/signing-keys';

type Call = { signal: AbortSignal; token: string };

export async function loadSigningKeys(context: Readonly<RouterContextProvider>, call: Call) {
  const keyring = (purpose: SigningKeyPurpose) =>
    loadFromApi<SigningKeysOverview>(context, `${API}?${new URLSearchParams({ purpose })}`, call);
  const [accessTokens, licenses, policies] = await Promise.all([
    keyring('access-tokens'),
    keyring('licenses'),
    loadFromApi<SigningKeyPolicies>(context, `${API}/policies`, call),
  ]);
  const keyrings: Record<SigningKeyPurpose, SigningKeysOverview> = { 'access-tokens': accessTokens, licenses };
  return { keyrings, policies };
}

/** The purpose a form names; '' when it names none (the API then refuses it, naming the field). */
export function formPurpose(form: FormData): SigningKeyPurpose | '' {
  const purpose = formText(form, 'purpose');
  return isSigningKeyPurpose(purpose) ? purpose : '';
}

export function startRotation(context: Readonly<RouterContextProvider>, token: string, purpose: string) {
  return callApi<SigningKeyRotationStarted>(context, `${API}/rotations`, { method: 'POST', token, body: { purpose } });
}

/**
 * The policy form: "every N hours/days", or off. A field that is no whole number is sent as it
 * is read, so the API's refusal names `everySeconds` as for any other bad value.
 */
export function setPolicy(context: Readonly<RouterContextProvider>, token: string, purpose: string, form: FormData) {
  const text = formText(form, 'every');
  const unit = formText(form, 'unit');
  const every = Number(text);
  const everySeconds =
    formText(form, 'intent') === 'policy-off'
      ? null
      : text !== '' && Number.isFinite(every) && Object.hasOwn(UNIT_SECONDS, unit)
        ? Math.round(every * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS])
        : text;
  return callApi<SigningKeyPolicy>(context, `${API}/policies`, {
    method: 'PUT',
    token,
    body: { purpose, everySeconds },
  });
}
