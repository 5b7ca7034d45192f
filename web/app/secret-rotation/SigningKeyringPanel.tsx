// One signing keyring on the signing-keys page: its keys and their states, which live API
// process holds which kid and signs with which (so an operator sees a rotation reach every
// process), "Rotate now" (confirmed; a refusal shown as the API words it) and the rotation policy.
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Loader,
  NativeSelect,
  Paper,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Form, href, Link, useNavigation } from 'react-router';
import type { Problem, SigningKeyPolicy, SigningKeysOverview } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import type { SigningKeyPurpose } from './signing-key-purposes.ts';
import { asFormInterval, describeSeconds, PURPOSE_TITLE } from './signing-key-purposes.ts';

/** What the last action on this keyring answered. */
export interface KeyringActionResult {
  intent: 'rotate' | 'policy';
  problem: Problem | null;
  /** A rotation started from this page: its operation, and the keyring version it started from. */
  started: { workflowId: string; fromVersion: number } | null;
}

const STATE_COLOR: Record<string, string> = { current: 'green', next: 'blue', retiring: 'orange' };

const WHO_CREATES: Record<SigningKeyPurpose, string> = {
  'access-tokens': 'The first API process to start creates it.',
  licenses: 'The first worker to start creates it (it signs the licenses).',
};

const WHAT_IT_SIGNS: Record<SigningKeyPurpose, string> = {
  'access-tokens': 'Signs the access tokens every API process issues; published at /.well-known/jwks.json.',
  licenses: 'Signs tenants’ licenses and reconciliation reports; published in the license JWKS.',
};

export function SigningKeyringPanel({
  purpose,
  keyring,
  policy,
  minimumSeconds,
  last,
}: {
  purpose: SigningKeyPurpose;
  keyring: SigningKeysOverview;
  policy: SigningKeyPolicy | undefined;
  minimumSeconds: number;
  last: KeyringActionResult | null;
}) {
  const title = PURPOSE_TITLE[purpose];
  const headingId = `signing-keys-${purpose}`;
  const busy = keyring.keys.filter((key) => key.state !== 'current');
  const current = keyring.keys.find((key) => key.state === 'current');
  const started = last?.started ?? null;
  const finished = started !== null && keyring.keyringVersion > started.fromVersion && busy.length === 0;
  return (
    <Paper
      withBorder
      p="md"
      component="section"
      aria-labelledby={headingId}
      data-testid="signing-keyring"
      data-purpose={purpose}
      data-rotating={busy.length > 0 ? 'true' : 'false'}
    >
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs" mb="xs">
        <Title order={2} size="h3" id={headingId}>
          {title}
        </Title>
        {keyring.keys.length > 0 ? (
          <Badge variant="light" color="gray" tt="none" data-testid="keyring-version">
            keyring version {keyring.keyringVersion}
          </Badge>
        ) : null}
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        {WHAT_IT_SIGNS[purpose]}
      </Text>

      {keyring.keys.length === 0 ? (
        <Alert color="gray" title="No keyring yet" data-testid="keyring-empty" mb="md">
          {WHO_CREATES[purpose]} Nothing of this kind is signed until then, and it cannot be rotated.
        </Alert>
      ) : (
        <Stack gap="md">
          <KeysList keys={keyring.keys} purpose={purpose} />
          {busy.length > 0 ? (
            <Alert color="blue" title="A rotation is under way" data-testid="rotation-progress">
              <Group gap="xs" wrap="nowrap" align="flex-start">
                <Loader size="xs" mt={3} aria-hidden />
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {busy.map((key) => `${key.kid} is ${key.state}`).join('; ')}. This page follows it until only the
                  current key is left.
                </Text>
              </Group>
            </Alert>
          ) : null}
          {finished && current ? (
            <Alert color="green" title="Rotation finished" data-testid="rotation-finished">
              <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                {current.kid} signs now; the old key is gone from the keyring.
              </Text>
            </Alert>
          ) : null}
          <RotateNow purpose={purpose} keyring={keyring} last={last} />
          {purpose === 'access-tokens' ? <Processes keyring={keyring} /> : <LicenseHolders />}
        </Stack>
      )}
      <PolicyForm purpose={purpose} policy={policy} minimumSeconds={minimumSeconds} last={last} />
    </Paper>
  );
}

function KeysList({ keys, purpose }: { keys: SigningKeysOverview['keys']; purpose: SigningKeyPurpose }) {
  return (
    <Stack
      gap="xs"
      component="ul"
      p={0}
      m={0}
      style={{ listStyle: 'none' }}
      aria-label={`${PURPOSE_TITLE[purpose]} keys`}
    >
      {keys.map((key) => (
        <Paper
          key={key.kid}
          component="li"
          withBorder
          p="xs"
          data-testid="signing-key"
          data-kid={key.kid}
          data-state={key.state}
        >
          <Group gap="xs" wrap="wrap" justify="space-between">
            <Code style={{ overflowWrap: 'anywhere', whiteSpace: 'normal' }}>{key.kid}</Code>
            <Badge color={STATE_COLOR[key.state] ?? 'gray'} variant="light">
              {key.state}
            </Badge>
          </Group>
          <Group gap="md" wrap="wrap" mt={4}>
            <Group gap={4} wrap="nowrap">
              <Text size="xs" c="dimmed">
                Created
              </Text>
              <Timestamp value={key.createdAt} size="xs" />
            </Group>
            {key.notAfter ? (
              <Group gap={4} wrap="nowrap">
                <Text size="xs" c="dimmed">
                  Published until
                </Text>
                <Timestamp value={key.notAfter} size="xs" />
              </Group>
            ) : null}
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}

function RotateNow({
  purpose,
  keyring,
  last,
}: {
  purpose: SigningKeyPurpose;
  keyring: SigningKeysOverview;
  last: KeyringActionResult | null;
}) {
  const navigation = useNavigation();
  const [confirming, setConfirming] = useState(false);
  const submitting = navigation.state === 'submitting' && navigation.formData?.get('purpose') === purpose;
  const problem = last?.intent === 'rotate' ? last.problem : null;
  return (
    <Stack gap="xs">
      {problem ? (
        <Alert color="red" title={problem.title} data-testid="rotate-problem" role="alert">
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {problem.detail ?? problem.errors?.map((error) => `${error.path}: ${error.message}`).join(' ')}
          </Text>
        </Alert>
      ) : null}
      {last?.started ? (
        <Text size="sm" data-testid="rotation-started" style={{ overflowWrap: 'anywhere' }}>
          Rotation started:{' '}
          <Anchor component={Link} to={href('/operations/:operationId', { operationId: last.started.workflowId })}>
            follow its steps
          </Anchor>
          .
        </Text>
      ) : null}
      {confirming ? (
        <Form
          method="post"
          aria-label={`Rotate the ${PURPOSE_TITLE[purpose].toLowerCase()} signing key`}
          onSubmit={() => setTimeout(() => setConfirming(false), 0)}
        >
          <input type="hidden" name="intent" value="rotate" />
          <input type="hidden" name="purpose" value={purpose} />
          <input type="hidden" name="keyringVersion" value={keyring.keyringVersion} />
          <Text size="sm" mb="xs">
            {purpose === 'access-tokens'
              ? 'A new key is published, signs once every live API process holds it, and the old key stays published until every token it signed has expired.'
              : 'A new key is published in the license JWKS and signs after one cache lifetime; licenses signed before stay valid.'}
          </Text>
          <Group gap="xs">
            <Button type="submit" loading={submitting}>
              Confirm rotation
            </Button>
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </Group>
        </Form>
      ) : (
        <Group>
          <Button variant="light" onClick={() => setConfirming(true)}>
            Rotate now…
          </Button>
        </Group>
      )}
    </Stack>
  );
}

/** The live API processes: the keyring version each has read, the kids it holds and the one it signs with. */
function Processes({ keyring }: { keyring: SigningKeysOverview }) {
  const upToDate = keyring.processes.filter((process) => process.keyringVersion >= keyring.keyringVersion).length;
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        API processes
      </Title>
      {keyring.processes.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="processes-empty">
          No API process has reported lately: a rotation waits until one does.
        </Text>
      ) : (
        <>
          <Text size="sm" data-testid="processes-summary">
            {upToDate} of {keyring.processes.length} live API{' '}
            {keyring.processes.length === 1 ? 'process holds' : 'processes hold'} keyring version{' '}
            {keyring.keyringVersion}.
          </Text>
          <Stack gap="xs" component="ul" p={0} m={0} style={{ listStyle: 'none' }} aria-label="Live API processes">
            {keyring.processes.map((process) => {
              const behind = process.keyringVersion < keyring.keyringVersion;
              return (
                <Paper key={process.id} component="li" withBorder p="xs" data-testid="api-process">
                  <Group gap="xs" wrap="wrap" justify="space-between">
                    <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
                      {process.hostname} · pid {process.pid}
                    </Text>
                    <Badge color={behind ? 'orange' : 'green'} variant="light" tt="none">
                      {behind ? `behind: version ${process.keyringVersion}` : `version ${process.keyringVersion}`}
                    </Badge>
                  </Group>
                  <Text size="xs" mt={4} style={{ overflowWrap: 'anywhere' }} data-testid="api-process-signs">
                    Signs with <Code>{process.signingKid}</Code>
                  </Text>
                  <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                    Holds {process.kids.join(', ')}
                  </Text>
                  <Group gap={4} wrap="nowrap">
                    <Text size="xs" c="dimmed">
                      Last seen
                    </Text>
                    <Timestamp value={process.lastSeenAt} size="xs" c="dimmed" />
                  </Group>
                </Paper>
              );
            })}
          </Stack>
        </>
      )}
    </Stack>
  );
}

function LicenseHolders() {
  return (
    <Text size="sm" c="dimmed">
      No API process holds this keyring: workers reread it before every signing, and verifiers fetch the license JWKS.
    </Text>
  );
}

function PolicyForm({
  purpose,
  policy,
  minimumSeconds,
  last,
}: {
  purpose: SigningKeyPurpose;
  policy: SigningKeyPolicy | undefined;
  minimumSeconds: number;
  last: KeyringActionResult | null;
}) {
  const navigation = useNavigation();
  const submitting = navigation.state === 'submitting' && navigation.formData?.get('purpose') === purpose;
  const problem = last?.intent === 'policy' ? last.problem : null;
  const everyError = problem?.errors?.find((error) => error.path === 'everySeconds')?.message ?? null;
  const otherProblem = problem && !everyError ? problem : null;
  const everySeconds = policy?.everySeconds ?? null;
  const shown = everySeconds === null ? { every: 30, unit: 'days' as const } : asFormInterval(everySeconds);
  const fieldId = `${purpose}-policy-every`;
  return (
    <Stack gap="xs" mt="md" data-testid="signing-key-policy">
      <Title order={3} size="h5">
        Rotation policy
      </Title>
      <Text size="sm" data-testid="policy-summary">
        {everySeconds === null
          ? 'Off: this key is rotated only when an admin rotates it.'
          : `Rotated every ${describeSeconds(everySeconds)} by a Temporal Schedule.`}
      </Text>
      {policy && policy.nextRotations.length > 0 ? (
        <Stack gap={2} data-testid="next-rotations">
          <Text size="xs" c="dimmed">
            Next scheduled rotations
          </Text>
          {policy.nextRotations.slice(0, 3).map((at) => (
            <Timestamp key={at} value={at} size="sm" />
          ))}
        </Stack>
      ) : null}
      {otherProblem ? (
        <Alert color="red" title={otherProblem.title} role="alert">
          {otherProblem.detail}
        </Alert>
      ) : null}
      {/* Keyed by the saved value, so the fields show it again after a change. */}
      <Form method="post" aria-label={`${PURPOSE_TITLE[purpose]} rotation policy`} key={everySeconds ?? 'off'}>
        <input type="hidden" name="purpose" value={purpose} />
        <Group align="flex-start" wrap="wrap" gap="xs">
          <TextInput
            id={fieldId}
            name="every"
            label="Rotate every"
            description={`At least ${describeSeconds(minimumSeconds)}.`}
            inputMode="numeric"
            defaultValue={String(shown.every)}
            error={everyError}
            required
            w={{ base: '100%', xs: 200 }}
          />
          <NativeSelect
            name="unit"
            label="Unit"
            defaultValue={shown.unit}
            data={[
              { value: 'hours', label: 'hours' },
              { value: 'days', label: 'days' },
            ]}
            w={{ base: '100%', xs: 120 }}
          />
        </Group>
        <Group gap="xs" mt="xs">
          <Button type="submit" name="intent" value="policy-set" variant="default" loading={submitting}>
            {everySeconds === null ? 'Turn on' : 'Save policy'}
          </Button>
          {everySeconds !== null ? (
            <Button type="submit" name="intent" value="policy-off" variant="subtle" color="red" formNoValidate>
              Turn off
            </Button>
          ) : null}
        </Group>
      </Form>
    </Stack>
  );
}
