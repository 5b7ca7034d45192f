import { Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { Promotion } from '../../../contracts/promotions.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { PROMOTION_STATUS_COLORS, PROMOTION_STATUS_LABELS } from './promotion-text.ts';
import type { EnvironmentDeployment } from './deployments.ts';

export function PromotionStatusBadge({ promotion }: { promotion: Promotion }) {
  return (
    <Badge
      color={PROMOTION_STATUS_COLORS[promotion.status]}
      variant="light"
      tt="none"
      data-testid="promotion-status"
      data-status={promotion.status}
    >
      {PROMOTION_STATUS_LABELS[promotion.status]}
    </Badge>
  );
}

const operationLink = (promotion: Promotion) =>
  href('/operations/:operationId', { operationId: promotion.operationId });

/**
 * What runs in one environment (the release of its last promotion that succeeded) and the
 * promotion on its way there, with its status, why it waits, and its live operation page.
 */
export function EnvironmentRelease({ deployment }: { deployment: EnvironmentDeployment }) {
  const { current, open, lastFailed } = deployment;
  return (
    <Stack gap={4} data-testid="environment-release" data-environment={deployment.environment}>
      {!deployment.known ? (
        <Text size="sm" c="dimmed">
          Its promotions could not be read just now.
        </Text>
      ) : current ? (
        <Text size="sm" data-testid="running-release" data-release={current.release}>
          Runs{' '}
          <Text span fw={600}>
            release {current.release}
          </Text>{' '}
          <Text span size="xs" c="dimmed">
            since <Timestamp value={current.completedAt ?? current.updatedAt} size="xs" c="dimmed" />
          </Text>
        </Text>
      ) : (
        <Text size="sm" c="dimmed" data-testid="running-release-none">
          Nothing promoted here yet
        </Text>
      )}
      {open ? (
        <Stack gap={2} data-testid="open-promotion" data-release={open.release}>
          <Group gap={6} wrap="wrap">
            <Text size="sm">Release {open.release}:</Text>
            <PromotionStatusBadge promotion={open} />
          </Group>
          {open.detail ? (
            <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }} data-testid="open-promotion-detail">
              {open.detail}
            </Text>
          ) : null}
          <Anchor component={Link} to={operationLink(open)} size="xs" data-testid="open-promotion-link">
            Follow promotion {open.number}
          </Anchor>
        </Stack>
      ) : lastFailed ? (
        <Stack gap={2} data-testid="failed-promotion">
          <Group gap={6} wrap="wrap">
            <Text size="xs" c="dimmed">
              Last: release {lastFailed.release}
            </Text>
            <PromotionStatusBadge promotion={lastFailed} />
          </Group>
          {lastFailed.detail ? (
            <Text size="xs" c="dimmed" lineClamp={2} title={lastFailed.detail} style={{ overflowWrap: 'anywhere' }}>
              {lastFailed.detail}
            </Text>
          ) : null}
          <Anchor component={Link} to={operationLink(lastFailed)} size="xs">
            See promotion {lastFailed.number}
          </Anchor>
        </Stack>
      ) : null}
    </Stack>
  );
}

/** Each environment in promotion order with what runs there; Promote opens the modal for it. */
export function WhatRunsWhere({
  deployments,
  onPromote,
}: {
  deployments: EnvironmentDeployment[];
  onPromote: ((environment: string) => void) | null;
}) {
  if (deployments.length === 0)
    return (
      <Text size="sm" c="dimmed" data-testid="what-runs-where-empty">
        The tenant has no environments yet; add one on the Environments page.
      </Text>
    );
  return (
    <SimpleGrid
      cols={{ base: 1, sm: 2, lg: Math.min(deployments.length, 4) }}
      spacing="sm"
      data-testid="what-runs-where"
    >
      {deployments.map((deployment) => (
        <Paper
          key={deployment.environment}
          withBorder
          p="sm"
          data-testid="deployment-card"
          data-environment={deployment.environment}
        >
          <Stack gap={6}>
            <Group justify="space-between" wrap="nowrap" gap="xs">
              <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
                {deployment.position}. {deployment.environment}
              </Text>
              {deployment.status === 'ready' ? null : (
                <Badge size="sm" variant="light" color="gray">
                  {deployment.status}
                </Badge>
              )}
            </Group>
            <EnvironmentRelease deployment={deployment} />
            {onPromote ? (
              <Group>
                <Button
                  size="xs"
                  variant="light"
                  onClick={() => onPromote(deployment.environment)}
                  disabled={deployment.status !== 'ready'}
                  aria-label={`Promote to ${deployment.environment}`}
                >
                  Promote here
                </Button>
              </Group>
            ) : null}
          </Stack>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
