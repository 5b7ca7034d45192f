import { Alert, Button, Group, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { Form, useNavigation } from 'react-router';
import type { Problem } from '../../../contracts/index.ts';
import { formatProblem } from '../connectors/problem-text.ts';

export interface CreateReleaseAnswer {
  intent: 'create';
  problem: Problem | null;
  /** The API's field errors by field (image, configurationVersion, notes). */
  fieldErrors: Record<string, string>;
  /** What was sent, shown again with the errors. */
  values: { image: string; configurationVersion: string; notes: string } | null;
  /** The release made. */
  created: number | null;
}

/**
 * A new release: the image by digest, the configuration version, notes. The API checks the
 * image (a tag alone could move) and says what is wrong on the field.
 */
export function CreateReleaseForm({
  refusal,
  idempotencyKey,
  answer,
}: {
  /** Why the caller cannot create one (role, plan); null when they can. */
  refusal: string | null;
  idempotencyKey: string;
  answer: CreateReleaseAnswer | undefined;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create';
  const values = answer?.problem ? answer.values : null;
  const errors = answer?.fieldErrors ?? {};
  return (
    <Paper withBorder p="md">
      {/* A key per release made: the fields empty themselves after a success. */}
      <Form method="post" aria-label="Create a release" key={answer?.created ?? 'new'}>
        <input type="hidden" name="intent" value="create" />
        <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
        <Stack gap="sm">
          <Title order={2} size="h4">
            Create a release
          </Title>
          <Text size="sm" c="dimmed">
            A release is immutable: the image is pinned by digest, so what is approved is exactly what runs.
          </Text>
          {answer?.problem && Object.keys(errors).length === 0 ? (
            <Alert color="red" title={answer.problem.title} data-testid="release-form-problem">
              {formatProblem(answer.problem)}
            </Alert>
          ) : null}
          <TextInput
            name="image"
            label="Image"
            description="By digest: registry.example.com/team/app@sha256:<64 hex digits>"
            placeholder="registry.example.com/team/app@sha256:…"
            ff="monospace"
            defaultValue={values?.image ?? ''}
            error={errors.image}
            disabled={refusal !== null}
            required
          />
          <TextInput
            name="configurationVersion"
            label="Configuration version"
            description="Optional: the version of the configuration this release expects (a tag, a commit)"
            defaultValue={values?.configurationVersion ?? ''}
            error={errors.configurationVersion}
            disabled={refusal !== null}
            maw={420}
          />
          <Textarea
            name="notes"
            label="Notes"
            description="Optional: what changed, for the approvers"
            autosize
            minRows={2}
            maxRows={8}
            defaultValue={values?.notes ?? ''}
            error={errors.notes}
            disabled={refusal !== null}
          />
          <Group>
            <Button type="submit" disabled={refusal !== null} loading={busy}>
              Create release
            </Button>
            {refusal ? (
              <Text size="sm" c="dimmed" data-testid="create-release-refusal">
                {refusal}
              </Text>
            ) : null}
          </Group>
        </Stack>
      </Form>
    </Paper>
  );
}
