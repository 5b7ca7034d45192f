import { Anchor, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { href } from 'react-router';
import type { TenantLicenseDocument } from '../../../contracts/index.ts';
import { LICENSE_JWT_TYPE } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { verifyCompactJws } from './verify-jws.ts';
import { VerifyAction } from './VerifyAction.tsx';

/** The tenant's signed license: what it states, a download of the token, and a check of its signature. */
export function LicensePanel({ slug, license }: { slug: string; license: TenantLicenseDocument | null }) {
  return (
    <Paper withBorder p="md" data-testid="license-panel">
      <Title order={2} size="h4" mb="sm">
        License
      </Title>
      {license === null ? (
        <Text c="dimmed" size="sm" data-testid="license-missing">
          No license yet: provisioning signs one as its last step.
        </Text>
      ) : (
        <Stack gap={6}>
          <Text size="sm" data-testid="license-summary">
            The {license.tier} plan, license{' '}
            <Text span ff="monospace" size="xs" style={{ overflowWrap: 'anywhere' }}>
              {license.licenseId}
            </Text>
            , issued <Timestamp value={license.issuedAt} span size="sm" />.
          </Text>
          <Group gap="sm" wrap="wrap">
            <Anchor
              href={href('/tenants/:slug/license/download', { slug })}
              download
              size="sm"
              data-testid="license-download"
            >
              Download license
            </Anchor>
            <VerifyAction
              label="Verify the license"
              testId="license-verified"
              check={() => verifyCompactJws(license.token, LICENSE_JWT_TYPE)}
              describe={(payload) => {
                const claims = payload as { tenant?: string; tier?: string; jti?: string };
                return claims.tenant === slug && claims.jti === license.licenseId
                  ? `It licenses ${slug} for the ${claims.tier ?? '?'} plan.`
                  : `But it names ${claims.tenant ?? '?'}, not this license.`;
              }}
            />
          </Group>
        </Stack>
      )}
    </Paper>
  );
}
