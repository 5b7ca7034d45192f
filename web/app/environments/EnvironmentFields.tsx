import { Checkbox, Group, NumberInput, SimpleGrid, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { ROLES } from '../../../contracts/index.ts';
import type { EnvironmentFormText } from './environment-form.ts';

export type FieldErrors = Partial<Record<keyof EnvironmentFormText | 'name', string>>;

/** An environment's configuration and protection as form fields (create and edit share them). */
export function EnvironmentFields({ values, errors }: { values: EnvironmentFormText; errors: FieldErrors }) {
  return (
    <Stack gap="sm">
      <Text fw={600} size="sm">
        Configuration
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <NumberInput
          name="replicas"
          label="Replicas"
          min={0}
          max={50}
          defaultValue={values.replicas}
          error={errors.replicas}
        />
        <TextInput
          name="secretRefs"
          label="Secrets it reads"
          description="Names of this environment's tenant secrets, separated by commas"
          defaultValue={values.secretRefs}
          error={errors.secretRefs}
        />
      </SimpleGrid>
      <Textarea
        name="variables"
        label="Variables"
        description="One NAME=value a line (not for secrets)"
        autosize
        minRows={2}
        ff="monospace"
        defaultValue={values.variables}
        error={errors.variables}
      />
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <TextInput
          name="cpuRequest"
          label="CPU request"
          placeholder="250m"
          defaultValue={values.cpuRequest}
          error={errors.cpuRequest}
        />
        <TextInput
          name="cpuLimit"
          label="CPU limit"
          placeholder="1"
          defaultValue={values.cpuLimit}
          error={errors.cpuLimit}
        />
        <TextInput
          name="memoryRequest"
          label="Memory request"
          placeholder="256Mi"
          defaultValue={values.memoryRequest}
          error={errors.memoryRequest}
        />
        <TextInput
          name="memoryLimit"
          label="Memory limit"
          placeholder="1Gi"
          defaultValue={values.memoryLimit}
          error={errors.memoryLimit}
        />
      </SimpleGrid>
      <Text fw={600} size="sm" mt="xs">
        Protection
      </Text>
      <Stack gap={4}>
        <Text size="sm">Who may deploy</Text>
        <Group gap="md">
          {ROLES.map((role) => (
            <Checkbox
              key={role}
              name="deployRoles"
              value={role}
              label={role}
              defaultChecked={values.deployRoles.includes(role)}
            />
          ))}
        </Group>
        {errors.deployRoles ? (
          <Text size="xs" c="red" role="alert">
            {errors.deployRoles}
          </Text>
        ) : null}
      </Stack>
      <NumberInput
        name="soakMinutes"
        label="Soak time in the previous environment (minutes)"
        min={0}
        defaultValue={values.soakMinutes}
        error={errors.soakMinutes}
        maw={360}
      />
      <Textarea
        name="freezeWindows"
        label="Freeze windows"
        description="One a line: “once 2026-12-24T00:00:00Z 2026-12-27T00:00:00Z Holidays” or “weekly fri,sat 16:00-23:59 Europe/Berlin Weekend”"
        autosize
        minRows={2}
        ff="monospace"
        defaultValue={values.freezeWindows}
        error={errors.freezeWindows}
      />
    </Stack>
  );
}
