// /admin/signing-keys: the platform's signing keyrings (access tokens, docs/decisions/0030;
// licenses, 0038) for platform admins: each keyring's keys and states, what every live API
// process holds, "Rotate now" (a workflow; the page follows it until only the current key is
// left, and links its operation) and the rotation policy. Anyone else gets the 404 page.
import { Stack, Text, Title } from '@mantine/core';
import { data, redirect } from 'react-router';
import type { Route } from './+types/signing-keys';
import type { Problem } from '../../../../contracts/index.ts';
import { formText } from '../../form-text.ts';
import { loginPath, requirePlatformAdmin } from '../../session.server.ts';
import { SIGNING_KEY_PURPOSES } from '../../secret-rotation/signing-key-purposes.ts';
import type { SigningKeyPurpose } from '../../secret-rotation/signing-key-purposes.ts';
import { formPurpose, loadSigningKeys, setPolicy, startRotation } from '../../secret-rotation/signing-keys.server.ts';
import type { KeyringActionResult } from '../../secret-rotation/SigningKeyringPanel.tsx';
import { SigningKeyringPanel } from '../../secret-rotation/SigningKeyringPanel.tsx';
import { useLastAction } from '../../secret-rotation/useLastAction.ts';
import { useRefreshWhileRotating } from '../../secret-rotation/useRefreshWhileRotating.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Signing keys · Atrium' }];

export async function loader({ context, request }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  return loadSigningKeys(context, { signal: request.signal, token: accessToken });
}

type ActionResult = KeyringActionResult & { purpose: SigningKeyPurpose | '' };

export async function action({ context, request }: Route.ActionArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const form = await request.formData();
  const purpose = formPurpose(form);
  const intent = formText(form, 'intent') === 'rotate' ? 'rotate' : 'policy';
  const result =
    intent === 'rotate'
      ? await startRotation(context, accessToken, purpose)
      : await setPolicy(context, accessToken, purpose, form);
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<ActionResult>({ purpose, intent, problem: result.problem, started: null }, { status: result.status });
  }
  const started =
    intent === 'rotate' && 'workflowId' in result.body
      ? { workflowId: result.body.workflowId, fromVersion: Number(formText(form, 'keyringVersion')) || 0 }
      : null;
  return { purpose, intent, problem: null as Problem | null, started } satisfies ActionResult;
}

export default function SigningKeysPage({ loaderData, actionData }: Route.ComponentProps) {
  const { keyrings, policies } = loaderData;
  const last = useLastAction(actionData);
  const rotating = SIGNING_KEY_PURPOSES.some((purpose) => {
    const keyring = keyrings[purpose];
    const waitingForStart =
      last?.purpose === purpose && last.started !== null && keyring.keyringVersion <= last.started.fromVersion;
    return waitingForStart || keyring.keys.some((key) => key.state !== 'current');
  });
  useRefreshWhileRotating(rotating);
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Signing keys</Title>
        <Text c="dimmed">
          The platform’s keyrings, which API process holds which key, and how often each is rotated. Never a key itself:
          only key ids.
        </Text>
      </div>
      {SIGNING_KEY_PURPOSES.map((purpose) => (
        <SigningKeyringPanel
          key={purpose}
          purpose={purpose}
          keyring={keyrings[purpose]}
          policy={policies.policies.find((policy) => policy.purpose === purpose)}
          minimumSeconds={policies.minimumSeconds}
          last={last?.purpose === purpose ? last : null}
        />
      ))}
    </Stack>
  );
}
