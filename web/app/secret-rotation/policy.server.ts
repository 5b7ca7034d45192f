// The secret page's policy and consumers edits: each is a PATCH of the secret
// (api/routes/secrets.ts), which checks the plan's `secret-rotation` feature and the configured
// minimum and keeps the rotation Schedule in step. The forms' own schemas catch typing errors
// first; the API's field errors come back by the field that caused them.
import type { RouterContextProvider } from 'react-router';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type { Problem, Secret, UpdateSecretRequest } from '../../../contracts/index.ts';
import { consumersFromText, SecretConsumersForm, SecretPolicyForm } from '../../../contracts/index.ts';

interface Call {
  context: Readonly<RouterContextProvider>;
  token: string;
}

export type PolicyActionResult = {
  intent: 'policy' | 'policy-off' | 'consumers';
  saved: Secret | null;
  problem: Problem | null;
  /** By form field: `every` for the policy, `consumers` for the consumers. */
  fieldErrors: Record<string, string>;
};

/** The API's field paths as the forms name them (`rotationPolicy.every` → `every`, `consumers.2` → `consumers`). */
function formFieldOf(path: string): string {
  if (path.startsWith('rotationPolicy')) return 'every';
  return path.split('.')[0]!;
}

/** The policy and consumers intents of the secret page's form posts; null for any other intent. */
export async function policyAction(
  { context, token }: Call,
  slug: string,
  secretId: string,
  form: Record<string, FormDataEntryValue>,
): Promise<{ result: PolicyActionResult; status: number } | null> {
  const intent = form.intent;
  if (intent !== 'policy' && intent !== 'policy-off' && intent !== 'consumers') return null;
  const refused = (field: string, message: string): { result: PolicyActionResult; status: number } => ({
    status: 422,
    result: { intent, saved: null, problem: null, fieldErrors: { [field]: message } },
  });
  let body: UpdateSecretRequest;
  if (intent === 'policy') {
    const parsed = SecretPolicyForm.safeParse({ every: form.every });
    if (!parsed.success) return refused('every', parsed.error.issues[0]!.message);
    body = { rotationPolicy: { every: parsed.data.every } };
  } else if (intent === 'policy-off') {
    body = { rotationPolicy: null };
  } else {
    const parsed = SecretConsumersForm.safeParse({ consumers: form.consumers ?? '' });
    if (!parsed.success) return refused('consumers', parsed.error.issues[0]!.message);
    body = { consumers: consumersFromText(parsed.data.consumers) };
  }
  const answer = await callApi<Secret>(context, `${tenantApiPath(slug)}/secrets/${encodeURIComponent(secretId)}`, {
    method: 'PATCH',
    token,
    body,
  });
  if (answer.ok) return { status: 200, result: { intent, saved: answer.body, problem: null, fieldErrors: {} } };
  const fieldErrors = Object.fromEntries(
    (answer.problem.errors ?? []).map((error) => [formFieldOf(error.path), error.message]),
  );
  return { status: answer.status, result: { intent, saved: null, problem: answer.problem, fieldErrors } };
}
