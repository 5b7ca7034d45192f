import { Badge, Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import type { JwsVerification } from './verify-jws.ts';

type State = { status: 'idle' } | { status: 'checking' } | { status: 'done'; result: JwsVerification; note: string };

/**
 * A "Verify" button for a signed document and what the check found: valid (with the key
 * id), invalid (with why), or not checkable in this browser. `check` runs in the browser
 * (verify-jws.ts); `describe` says what a valid payload states.
 */
export function VerifyAction({
  label,
  check,
  describe,
  testId,
}: {
  label: string;
  check: () => Promise<JwsVerification>;
  describe: (payload: unknown) => string;
  testId: string;
}) {
  const [state, setState] = useState<State>({ status: 'idle' });
  async function run() {
    setState({ status: 'checking' });
    try {
      const result = await check();
      setState({ status: 'done', result, note: result.outcome === 'valid' ? describe(result.payload) : '' });
    } catch (error) {
      setState({
        status: 'done',
        result: { outcome: 'unsupported', reason: error instanceof Error ? error.message : String(error) },
        note: '',
      });
    }
  }
  return (
    <Group gap="xs" wrap="wrap" align="center">
      <Button
        size="xs"
        variant="default"
        onClick={() => void run()}
        loading={state.status === 'checking'}
        aria-label={label}
      >
        Verify
      </Button>
      {state.status === 'done' ? <Outcome result={state.result} note={state.note} testId={testId} /> : null}
    </Group>
  );
}

function Outcome({ result, note, testId }: { result: JwsVerification; note: string; testId: string }) {
  const color = result.outcome === 'valid' ? 'green' : result.outcome === 'invalid' ? 'red' : 'gray';
  const text =
    result.outcome === 'valid'
      ? `Signature valid, key ${result.keyId}. ${note}`
      : result.outcome === 'invalid'
        ? `Signature not valid${result.keyId ? ` (key ${result.keyId})` : ''}: ${result.reason}`
        : `Not checked: ${result.reason}`;
  return (
    <Group gap={6} wrap="nowrap" align="flex-start" miw={0} data-testid={testId} data-outcome={result.outcome}>
      <Badge color={color} variant="light" style={{ flexShrink: 0 }}>
        {result.outcome}
      </Badge>
      <Text size="xs" style={{ overflowWrap: 'anywhere' }} miw={0}>
        {text}
      </Text>
    </Group>
  );
}
