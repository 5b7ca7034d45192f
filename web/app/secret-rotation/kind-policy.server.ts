// The secrets page's "Rotation by kind" edits: a PUT of the kind's default policy
// (api/secret-rotation/kind-policy-routes.ts), which checks the plan's `secret-rotation` feature
// and the configured minimum and re-syncs the Schedules of the kind's secrets. The form's own
// schema catches typing errors first; the API's field errors come back by the kind's row.
import type { RouterContextProvider } from 'react-router';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type { Problem, SecretKindPolicyList, SecretKindPolicyRequest } from '../../../contracts/index.ts';
import { SecretKind, SecretPolicyForm } from '../../../contracts/index.ts';

interface Call {
  context: Readonly<RouterContextProvider>;
  token: string;
}

export type KindPolicyActionResult = {
  intent: 'kind-policy' | 'kind-policy-off';
  kind: string;
  saved: SecretKindPolicyList | null;
  problem: Problem | null;
  /** `every` (the interval) or `kind`. */
  fieldErrors: Record<string, string>;
};

export const kindPoliciesPath = (slug: string) => `${tenantApiPath(slug)}/secret-kind-policies`;

/** The kind-policy intents of the secrets page's form posts; null for any other intent. */
export async function kindPolicyAction(
  { context, token }: Call,
  slug: string,
  form: Record<string, FormDataEntryValue>,
): Promise<{ result: KindPolicyActionResult; status: number } | null> {
  const intent = form.intent;
  if (intent !== 'kind-policy' && intent !== 'kind-policy-off') return null;
  const kind = typeof form.kind === 'string' ? form.kind : '';
  const refused = (field: string, message: string): { result: KindPolicyActionResult; status: number } => ({
    status: 422,
    result: { intent, kind, saved: null, problem: null, fieldErrors: { [field]: message } },
  });
  if (!SecretKind.safeParse(kind).success) return refused('kind', 'Choose a kind of secret.');
  let body: SecretKindPolicyRequest;
  if (intent === 'kind-policy') {
    const parsed = SecretPolicyForm.safeParse({ every: form.every });
    if (!parsed.success) return refused('every', parsed.error.issues[0]!.message);
    body = { every: parsed.data.every };
  } else {
    body = { every: null };
  }
  const answer = await callApi<SecretKindPolicyList>(context, `${kindPoliciesPath(slug)}/${encodeURIComponent(kind)}`, {
    method: 'PUT',
    token,
    body,
  });
  if (answer.ok) return { status: 200, result: { intent, kind, saved: answer.body, problem: null, fieldErrors: {} } };
  const fieldErrors = Object.fromEntries(
    (answer.problem.errors ?? []).map((error) => [error.path.split('.')[0]!, error.message]),
  );
  return { status: answer.status, result: { intent, kind, saved: null, problem: answer.problem, fieldErrors } };
}
