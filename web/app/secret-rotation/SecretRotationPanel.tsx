// The secret page's rotation panel: how the secret is rotated (strategy, generator, a verify
// hook per consumer, the overlap window), "Rotate now", and each rotation with its report —
// which consumers were updated and verified, and when — and, for kinds Atrium cannot rotate
// itself, the "I rotated it" button. While a rotation is open the page refreshes itself.
import { Alert, Badge, Button, Group, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect } from 'react';
import { Form, useNavigation, useRevalidator } from 'react-router';
import type { Problem, Secret, SecretRotation, SecretRotationSettings } from '../../../contracts/index.ts';
import { GENERATOR_ALPHABETS } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import type { RotationActionResult } from './rotation.server.ts';

const OPEN = new Set(['running', 'overlap', 'waiting_confirmation']);
const STATUS_COLOR: Record<string, string> = {
  running: 'blue',
  overlap: 'blue',
  waiting_confirmation: 'yellow',
  completed: 'green',
  confirmed: 'green',
  rolled_back: 'red',
  failed: 'red',
  unconfirmed: 'orange',
};
const STRATEGY_TEXT: Record<string, string> = {
  generated:
    'Atrium generates a new value, hands it to every consumer’s verify hook and verifies each one before switching.',
  'api-key': 'Atrium issues a new API key, valid beside the old one for the overlap window, then revokes the old one.',
  manual: 'Atrium cannot rotate this kind itself: it mails the owners and records who confirmed the rotation.',
};

export function SecretRotationPanel({
  secret,
  settings,
  rotations,
  canManage,
  result,
}: {
  secret: Secret;
  settings: SecretRotationSettings;
  rotations: SecretRotation[];
  canManage: boolean;
  result: RotationActionResult | undefined;
}) {
  const revalidator = useRevalidator();
  const open = rotations.some((rotation) => OPEN.has(rotation.status));
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') void revalidator.revalidate();
    }, 2_000);
    return () => clearInterval(timer);
  }, [open, revalidator]);

  return (
    <Paper withBorder p="md" data-testid="secret-rotation">
      <Stack gap="md">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={2} size="h4">
              Rotation
            </Title>
            <Text size="sm" c="dimmed">
              {STRATEGY_TEXT[settings.strategy]}
            </Text>
          </div>
          {canManage ? (
            <Form method="post">
              <input type="hidden" name="intent" value="rotate" />
              <Button type="submit" disabled={open}>
                Rotate now
              </Button>
            </Form>
          ) : null}
        </Group>
        {result?.intent === 'rotate' && result.problem ? <ProblemAlert problem={result.problem} /> : null}
        {result?.intent === 'rotate' && result.started ? (
          <Text size="sm" c="green" data-testid="rotation-started">
            Rotation {result.started.number} started.
          </Text>
        ) : null}
        {result?.intent === 'confirm' && result.problem ? <ProblemAlert problem={result.problem} /> : null}
        {canManage ? (
          <SettingsForm
            secret={secret}
            settings={settings}
            result={result?.intent === 'rotation-settings' ? result : undefined}
          />
        ) : null}
        <Stack gap="sm" data-testid="rotations">
          <Title order={3} size="h5">
            Rotations
          </Title>
          {rotations.length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="rotations-empty">
              Not rotated yet.
            </Text>
          ) : (
            rotations.map((rotation) => (
              <RotationCard key={rotation.number} rotation={rotation} canManage={canManage} />
            ))
          )}
        </Stack>
      </Stack>
    </Paper>
  );
}

function ProblemAlert({ problem }: { problem: Problem }) {
  return (
    <Alert color="red" title={problem.title}>
      {problem.detail}
    </Alert>
  );
}

function SettingsForm({
  secret,
  settings,
  result,
}: {
  secret: Secret;
  settings: SecretRotationSettings;
  result: Extract<RotationActionResult, { intent: 'rotation-settings' }> | undefined;
}) {
  const navigation = useNavigation();
  const errors = result?.fieldErrors ?? {};
  return (
    <Form method="post" aria-label="Rotation settings">
      <input type="hidden" name="intent" value="rotation-settings" />
      <Stack gap="xs">
        <TextInput
          name="overlap"
          label={settings.strategy === 'manual' ? 'Confirm within' : 'Overlap window'}
          description={
            settings.strategy === 'manual'
              ? 'How long the owners have to rotate it after the reminder.'
              : 'How long the old value stays valid beside the new one.'
          }
          defaultValue={settings.overlap}
          error={errors.overlap}
        />
        {settings.strategy === 'generated' ? (
          <Group grow align="flex-start">
            <NativeSelect
              name="alphabet"
              label="Generated characters"
              data={[...GENERATOR_ALPHABETS]}
              defaultValue={settings.generator.alphabet}
            />
            <TextInput
              name="length"
              label="Length"
              inputMode="numeric"
              defaultValue={String(settings.generator.length)}
              error={errors['generator.length']}
            />
          </Group>
        ) : null}
        {settings.strategy !== 'manual'
          ? secret.consumers.map((consumer) => (
              <TextInput
                key={consumer}
                name={`hook:${consumer}`}
                label={`Verify hook of ${consumer}`}
                placeholder="https://…"
                defaultValue={settings.verifyHooks[consumer] ?? ''}
                error={errors[`verifyHooks.${consumer}`]}
              />
            ))
          : null}
        {result?.saved ? (
          <Text size="sm" c="green" data-testid="rotation-settings-saved">
            Saved.
          </Text>
        ) : null}
        {result?.problem && Object.keys(errors).length === 0 ? <ProblemAlert problem={result.problem} /> : null}
        <Group>
          <Button type="submit" variant="light" loading={navigation.state === 'submitting'}>
            Save rotation settings
          </Button>
        </Group>
      </Stack>
    </Form>
  );
}

function RotationCard({ rotation, canManage }: { rotation: SecretRotation; canManage: boolean }) {
  return (
    <Paper withBorder p="sm" data-testid="rotation" data-number={rotation.number} data-status={rotation.status}>
      <Stack gap={6}>
        <Group gap="xs" wrap="wrap">
          <Text fw={600}>#{rotation.number}</Text>
          <Badge color={STATUS_COLOR[rotation.status] ?? 'gray'}>{rotation.status.replace('_', ' ')}</Badge>
          <Text size="xs" c="dimmed">
            {rotation.trigger === 'schedule' ? 'by its policy' : `by ${rotation.requestedBy ?? 'an API key'}`},{' '}
            <Timestamp value={rotation.startedAt} />
          </Text>
        </Group>
        {rotation.toVersion ? (
          <Text size="sm">
            v{rotation.fromVersion} → v{rotation.toVersion}
            {rotation.overlapUntil ? (
              <>
                {' '}
                · old value valid until <Timestamp value={rotation.overlapUntil} />
              </>
            ) : null}
          </Text>
        ) : null}
        {rotation.dueAt ? (
          <Text size="sm">
            Due <Timestamp value={rotation.dueAt} />
          </Text>
        ) : null}
        {rotation.message ? (
          <Text size="sm" c={rotation.status === 'rolled_back' || rotation.status === 'failed' ? 'red' : undefined}>
            {rotation.message}
          </Text>
        ) : null}
        {rotation.report.length ? (
          <Stack gap={2} data-testid="rotation-report">
            {rotation.report.map((check) => (
              <Text key={check.consumer} size="sm" style={{ overflowWrap: 'anywhere' }}>
                <Text span ff="monospace">
                  {check.consumer}
                </Text>
                : {check.outcome}
                {check.verifiedAt ? (
                  <>
                    {' '}
                    at <Timestamp value={check.verifiedAt} />
                  </>
                ) : null}
                {check.detail && check.outcome !== 'verified' ? ` (${check.detail})` : null}
              </Text>
            ))}
          </Stack>
        ) : null}
        {rotation.confirmedAt ? (
          <Text size="sm">
            Confirmed by {rotation.confirmedBy ?? 'an API key'} <Timestamp value={rotation.confirmedAt} />
          </Text>
        ) : null}
        {canManage && rotation.status === 'waiting_confirmation' ? (
          <Form method="post">
            <input type="hidden" name="intent" value="confirm" />
            <input type="hidden" name="number" value={rotation.number} />
            <Button size="xs" type="submit">
              I rotated it
            </Button>
          </Form>
        ) : null}
      </Stack>
    </Paper>
  );
}
