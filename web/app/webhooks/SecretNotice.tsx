import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

/** A signing secret just created or rotated: shown this once, with a copy button. */
export function SecretNotice({ secret, title }: { secret: string; title: string }) {
  return (
    <Alert color="yellow" title={title} data-testid="webhook-secret">
      <Stack gap="xs">
        <Text size="sm" fw={500}>
          Copy the signing secret now: it is shown this once and cannot be read again. Keep it with your receiver, which
          verifies every request's webhook-signature with it; anyone who has it can sign requests as Atrium.
        </Text>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <Code data-testid="webhook-secret-value" style={{ wordBreak: 'break-all' }}>
            {secret}
          </Code>
          <CopyButton value={secret}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Stack>
    </Alert>
  );
}
