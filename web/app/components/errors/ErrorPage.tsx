import { Button, EmptyState, Group, Text } from '@mantine/core';
import { isRouteErrorResponse, Link } from 'react-router';
import type { Problem } from '../../../../contracts/index.ts';

/** What a route shows instead of its page: a 404, an API problem, or an unexpected error. */
export function ErrorPage({ error }: { error: unknown }) {
  const { status, title, detail } = describe(error);

  return (
    <EmptyState
      data-testid="error-page"
      mt="xl"
      size="lg"
      variant="light"
      color={status === 404 ? 'gray' : 'red'}
      icon={
        <Text ff="monospace" fw={700} fz="lg">
          {status ?? '!'}
        </Text>
      }
      title={title}
      description={detail}
    >
      <EmptyState.Actions>
        <Group>
          <Button component={Link} to="/tenants">
            Back to tenants
          </Button>
          <Button component={Link} to="/operations" variant="default">
            Operations
          </Button>
        </Group>
      </EmptyState.Actions>
    </EmptyState>
  );
}

function describe(error: unknown): { status?: number; title: string; detail?: string } {
  if (isRouteErrorResponse(error)) {
    if (error.status === 404 && !isProblem(error.data)) {
      return { status: 404, title: 'Page not found', detail: 'There is nothing at this address.' };
    }
    if (error.status === 403) {
      return {
        status: 403,
        title: 'Your role does not allow this',
        detail: isProblem(error.data) ? error.data.detail : 'Ask an owner or admin of the tenant for access.',
      };
    }
    if (isProblem(error.data)) {
      return { status: error.status, title: error.data.title, detail: error.data.detail };
    }
    return { status: error.status, title: error.statusText || 'Request failed' };
  }
  return {
    title: 'Something went wrong',
    detail: error instanceof Error ? error.message : undefined,
  };
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'title' in value;
}
