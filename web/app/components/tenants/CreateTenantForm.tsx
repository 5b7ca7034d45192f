import { Alert, Button, List, NativeSelect, Stack, TextInput } from '@mantine/core';
import { Form, useNavigation } from 'react-router';
import type { CreateTenantRequest, Problem } from '../../../../contracts/index.ts';
import { PLAN_NAMES } from '../../../../contracts/index.ts';

const fields = ['slug', 'name', 'plan', 'ownerEmail'] as const satisfies ReadonlyArray<keyof CreateTenantRequest>;
type Field = (typeof fields)[number];

/** The form as posted: every field of the create request, as text (the API checks it). */
export type CreateTenantFormValues = Record<Field, string>;

interface CreateTenantFormProps {
  /** Sent as the Idempotency-Key header: a double submit creates one tenant. */
  idempotencyKey: string;
  /** What was submitted last time, so a rejected form keeps its values without JavaScript too. */
  values?: CreateTenantFormValues;
  /** Why the API rejected the last submission, if it did. */
  problem?: Problem;
}

export function CreateTenantForm({ idempotencyKey, values, problem }: CreateTenantFormProps) {
  const navigation = useNavigation();
  const submitting = navigation.state === 'submitting' && navigation.formAction === '/tenants';
  const { byField, unplaced } = placeErrors(problem);

  return (
    <Form method="post" action="/tenants" aria-label="Create tenant" data-testid="create-tenant-form">
      <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
      <Stack gap="sm">
        {problem && (unplaced.length > 0 || Object.keys(byField).length === 0) ? (
          <Alert color="red" title={problem.title} data-testid="create-tenant-problem">
            {problem.detail}
            {unplaced.length > 0 ? (
              <List size="sm" mt="xs">
                {unplaced.map((error) => (
                  <List.Item key={`${error.path}:${error.message}`}>
                    {error.path ? `${error.path}: ` : ''}
                    {error.message}
                  </List.Item>
                ))}
              </List>
            ) : null}
          </Alert>
        ) : null}
        <TextInput
          name="slug"
          label="Slug"
          description="Lowercase letters, digits and dashes; part of every URL and workflow ID."
          placeholder="acme"
          required
          autoComplete="off"
          defaultValue={values?.slug}
          error={byField.slug}
          errorProps={{ 'data-testid': 'slug-error' }}
        />
        <TextInput
          name="name"
          label="Name"
          placeholder="Acme Inc."
          required
          defaultValue={values?.name}
          error={byField.name}
          errorProps={{ 'data-testid': 'name-error' }}
        />
        <NativeSelect
          name="plan"
          label="Plan"
          data={PLAN_NAMES.map((plan) => ({ value: plan, label: capitalize(plan) }))}
          defaultValue={values?.plan ?? 'free'}
          error={byField.plan}
          errorProps={{ 'data-testid': 'plan-error' }}
        />
        <TextInput
          name="ownerEmail"
          type="email"
          label="Owner email"
          placeholder="owner@acme.test"
          required
          autoComplete="off"
          defaultValue={values?.ownerEmail}
          error={byField.ownerEmail}
          errorProps={{ 'data-testid': 'ownerEmail-error' }}
        />
        <Button type="submit" loading={submitting} mt="xs">
          Create tenant
        </Button>
      </Stack>
    </Form>
  );
}

/** Puts each of the problem's errors on the field it names; the rest go in the alert. */
function placeErrors(problem: Problem | undefined) {
  const byField: Partial<Record<Field, string>> = {};
  const unplaced: { path: string; message: string }[] = [];
  for (const error of problem?.errors ?? []) {
    // Paths may arrive as "slug", "body.slug" or "/slug": the last segment names the field.
    const field = error.path.split(/[./]/).pop();
    if (isField(field)) byField[field] = [byField[field], error.message].filter(Boolean).join(' ');
    else unplaced.push(error);
  }
  return { byField, unplaced };
}

function isField(value: string | undefined): value is Field {
  return (fields as readonly (string | undefined)[]).includes(value);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
