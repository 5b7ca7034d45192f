import { Badge, Box, Button, EmptyState, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Form, Link } from 'react-router';
import type { Environment, EnvironmentStatus } from '../../../contracts/index.ts';
import type { EnvironmentDeployment } from '../promotions/deployments.ts';
import { EnvironmentRelease } from '../promotions/WhatRunsWhere.tsx';
import { freezeWindowText } from './environment-form.ts';

const STATUS_COLORS: Record<EnvironmentStatus, string> = {
  creating: 'blue',
  ready: 'green',
  failed: 'red',
  deleting: 'orange',
  deleted: 'gray',
};

function StatusBadge({ environment }: { environment: Environment }) {
  return (
    <Badge color={STATUS_COLORS[environment.status]} variant="light" title={environment.statusDetail ?? undefined}>
      {environment.status}
    </Badge>
  );
}

/** What runs there: replicas, variables, secrets, resources. */
function ConfigurationSummary({ environment }: { environment: Environment }) {
  const { replicas, variables, secretRefs, resources } = environment.configuration;
  const count = Object.keys(variables).length;
  const limits = resources
    ? [
        resources.requests.cpu && `CPU ${resources.requests.cpu}`,
        resources.limits.cpu && `≤ ${resources.limits.cpu}`,
        resources.requests.memory && `memory ${resources.requests.memory}`,
        resources.limits.memory && `≤ ${resources.limits.memory}`,
      ]
        .filter(Boolean)
        .join(' ')
    : 'plan defaults';
  return (
    <Stack gap={2} data-testid="environment-configuration">
      <Text size="sm">
        {replicas} {replicas === 1 ? 'replica' : 'replicas'} · {count} {count === 1 ? 'variable' : 'variables'}
      </Text>
      <Text size="xs" c="dimmed">
        Secrets: {secretRefs.length > 0 ? secretRefs.join(', ') : 'none'} · Resources: {limits}
      </Text>
    </Stack>
  );
}

/** Who may deploy, soak time, freeze windows. */
function ProtectionSummary({ environment }: { environment: Environment }) {
  const { deployRoles, soakMinutes, freezeWindows } = environment.protection;
  return (
    <Stack gap={2} data-testid="environment-protection">
      <Text size="sm">Deploy: {deployRoles.join(', ')}</Text>
      <Text size="xs" c="dimmed">
        Soak: {soakMinutes > 0 ? `${soakMinutes} min in the previous environment` : 'none'}
      </Text>
      {freezeWindows.length === 0 ? (
        <Text size="xs" c="dimmed">
          No freeze windows
        </Text>
      ) : (
        freezeWindows.map((window, index) => (
          <Text key={index} size="xs" ff="monospace" data-testid="freeze-window">
            {freezeWindowText(window)}
          </Text>
        ))
      )}
    </Stack>
  );
}

/** Edit and Delete (with a confirmation); the last environment and one being created cannot be deleted. */
function Actions({ environment, canManage, last }: { environment: Environment; canManage: boolean; last: boolean }) {
  const [confirming, setConfirming] = useState(false);
  if (!canManage) return null;
  const busy = environment.status === 'creating' || environment.status === 'deleting';
  const deleteRefusal = last
    ? 'A tenant keeps at least one environment.'
    : busy
      ? `It is ${environment.status}; wait until its operation ends.`
      : null;
  return (
    <Stack gap={4} align="flex-start">
      <Group gap="xs">
        <Button
          component={Link}
          to={`?edit=${encodeURIComponent(environment.name)}`}
          size="xs"
          variant="light"
          aria-label={`Edit ${environment.name}`}
          disabled={environment.status === 'deleting'}
        >
          Edit
        </Button>
        {confirming ? null : (
          <Button
            size="xs"
            color="red"
            variant="light"
            disabled={deleteRefusal !== null}
            title={deleteRefusal ?? undefined}
            aria-label={`Delete ${environment.name}`}
            onClick={() => setConfirming(true)}
          >
            Delete
          </Button>
        )}
      </Group>
      {deleteRefusal ? (
        <Text size="xs" c="dimmed">
          {deleteRefusal}
        </Text>
      ) : null}
      {confirming ? (
        <Form method="post" onSubmit={() => setConfirming(false)}>
          <input type="hidden" name="intent" value="delete" />
          <input type="hidden" name="environment" value={environment.name} />
          <Text size="xs" mb={4}>
            Delete {environment.name} and its namespace {environment.namespace}? Everything running there stops.
          </Text>
          <Group gap="xs">
            <Button type="submit" size="xs" color="red" aria-label={`Confirm deleting ${environment.name}`}>
              Delete it
            </Button>
            <Button size="xs" variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </Group>
        </Form>
      ) : null}
    </Stack>
  );
}

/** What runs there and what is on its way, with Promote (for those who may promote). */
function Running({
  environment,
  deployments,
  onPromote,
}: {
  environment: Environment;
  deployments: EnvironmentDeployment[];
  onPromote: ((environment: string) => void) | null;
}) {
  const deployment = deployments.find((candidate) => candidate.environment === environment.name);
  return (
    <Stack gap={6} align="flex-start">
      {deployment ? <EnvironmentRelease deployment={deployment} /> : null}
      {onPromote ? (
        <Button
          size="xs"
          variant="light"
          onClick={() => onPromote(environment.name)}
          disabled={environment.status !== 'ready'}
          title={environment.status === 'ready' ? undefined : `It is ${environment.status}.`}
          aria-label={`Promote to ${environment.name}`}
        >
          Promote here
        </Button>
      ) : null}
    </Stack>
  );
}

/** The tenant's environments in order: a table from the `md` breakpoint up, a card each on a phone. */
export function EnvironmentsList({
  environments,
  canManage,
  deployments = [],
  onPromote = null,
}: {
  environments: Environment[];
  canManage: boolean;
  /** What runs in each (releases/); absent: not shown. */
  deployments?: EnvironmentDeployment[];
  onPromote?: ((environment: string) => void) | null;
}) {
  if (environments.length === 0)
    return (
      <EmptyState
        data-testid="environments-empty"
        title="No environments yet"
        description="Provisioning makes the plan's environments; add one below."
      />
    );
  const last = environments.length === 1;
  return (
    <>
      <Box visibleFrom="md">
        <Table.ScrollContainer minWidth={1100}>
          <Table verticalSpacing="sm" aria-label="Environments" data-testid="environments-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>Environment</Table.Th>
                <Table.Th>Running</Table.Th>
                <Table.Th>Configuration</Table.Th>
                <Table.Th>Protection</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {environments.map((environment) => (
                <Table.Tr key={environment.name} data-testid="environment-row">
                  <Table.Td>{environment.position}</Table.Td>
                  <Table.Td>
                    <Stack gap={4}>
                      <Text fw={600}>{environment.name}</Text>
                      <StatusBadge environment={environment} />
                      <Text size="xs" c="dimmed" ff="monospace">
                        {environment.namespace}
                      </Text>
                    </Stack>
                  </Table.Td>
                  <Table.Td maw={260}>
                    <Running environment={environment} deployments={deployments} onPromote={onPromote} />
                  </Table.Td>
                  <Table.Td>
                    <ConfigurationSummary environment={environment} />
                  </Table.Td>
                  <Table.Td>
                    <ProtectionSummary environment={environment} />
                  </Table.Td>
                  <Table.Td>
                    <Actions environment={environment} canManage={canManage} last={last} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Box>
      <Stack hiddenFrom="md" gap="sm" data-testid="environments-cards">
        {environments.map((environment) => (
          <Paper key={environment.name} withBorder p="sm" data-testid="environment-card">
            <Stack gap={6}>
              <Group justify="space-between" wrap="nowrap">
                <Text fw={600}>
                  {environment.position}. {environment.name}
                </Text>
                <StatusBadge environment={environment} />
              </Group>
              <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                {environment.namespace}
              </Text>
              <Running environment={environment} deployments={deployments} onPromote={onPromote} />
              <ConfigurationSummary environment={environment} />
              <ProtectionSummary environment={environment} />
              <Actions environment={environment} canManage={canManage} last={last} />
            </Stack>
          </Paper>
        ))}
      </Stack>
    </>
  );
}
