// A revealed secret value, shown this once: it is in an action's answer only, never in a
// page's data (the secret's page, and the operation page of an approved reveal).
import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { Problem, RevealedSecret } from '../../../contracts/index.ts';

/** The revealed value, shown this once: it is in the action's answer only, never in the page's data. */
export function RevealedNotice({ result }: { result: { revealed: RevealedSecret | null; problem: Problem | null } }) {
  const [hidden, setHidden] = useState(false);
  if (result.problem)
    return (
      <Alert color="red" title={result.problem.title} data-testid="reveal-problem">
        {result.problem.detail}
      </Alert>
    );
  if (!result.revealed || hidden) return null;
  const { value, version } = result.revealed;
  return (
    <Alert color="yellow" title={`Version ${version}, revealed`} data-testid="revealed-secret">
      <Stack gap="xs">
        <Text size="sm">This reveal is in the audit log. The value is not shown again after you leave or hide it.</Text>
        <Code block data-testid="revealed-value" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
          {value}
        </Code>
        <Group gap="xs">
          <CopyButton value={value}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="subtle" onClick={() => setHidden(true)}>
            Hide
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
