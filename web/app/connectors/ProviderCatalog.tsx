import { Badge, Button, EmptyState, Group, Paper, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Form, useNavigation } from 'react-router';
import type { ConnectorProvider } from '../../../contracts/index.ts';

/** Why a provider cannot be connected now, or null when it can. */
function blocker(provider: ConnectorProvider): string | null {
  if (!provider.available) return `Needs the ${provider.feature} feature (upgrade the plan).`;
  if (!provider.configured) return 'Not configured yet: a platform admin must set its client.';
  return null;
}

/**
 * The providers the tenant can connect, searchable by name; Connect starts the connect and
 * sends the browser to the provider (the page's action answers with the redirect).
 */
export function ProviderCatalog({ providers, canManage }: { providers: ConnectorProvider[]; canManage: boolean }) {
  const [query, setQuery] = useState('');
  const navigation = useNavigation();
  const connecting = navigation.state !== 'idle' ? navigation.formData?.get('provider') : null;
  const shown = providers.filter((p) =>
    `${p.name} ${p.description}`.toLowerCase().includes(query.trim().toLowerCase()),
  );
  return (
    <Stack gap="sm">
      <TextInput
        label="Search providers"
        placeholder="Google, GitHub, Slack…"
        value={query}
        onChange={(event) => setQuery(event.currentTarget.value)}
        data-testid="provider-search"
      />
      {shown.length === 0 ? (
        <EmptyState
          data-testid="providers-empty"
          title="No provider matches"
          description="Try another name, or add your own OAuth 2.0 / OpenID Connect provider through the API."
        />
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
          {shown.map((provider) => {
            const reason = blocker(provider);
            return (
              <Paper key={provider.id} withBorder p="sm" data-testid="provider-card" data-provider={provider.id}>
                <Stack gap={6}>
                  <Group justify="space-between" wrap="nowrap">
                    <Text fw={600}>{provider.name}</Text>
                    <Group gap={4}>
                      {provider.kind === 'custom' ? (
                        <Badge variant="outline" color="gray" tt="none" size="sm">
                          Your own
                        </Badge>
                      ) : null}
                      {provider.feature === 'connectors.premium' ? (
                        <Badge variant="light" color="grape" tt="none" size="sm">
                          Premium
                        </Badge>
                      ) : null}
                    </Group>
                  </Group>
                  <Text size="sm" c="dimmed">
                    {provider.description}
                  </Text>
                  {reason ? (
                    <Text size="xs" c="dimmed" data-testid="provider-blocked">
                      {reason}
                    </Text>
                  ) : canManage ? (
                    <Form method="post">
                      <input type="hidden" name="intent" value="connect" />
                      <input type="hidden" name="provider" value={provider.id} />
                      <Button
                        type="submit"
                        size="xs"
                        loading={connecting === provider.id}
                        aria-label={`Connect ${provider.name}`}
                      >
                        Connect
                      </Button>
                    </Form>
                  ) : null}
                </Stack>
              </Paper>
            );
          })}
        </SimpleGrid>
      )}
    </Stack>
  );
}
