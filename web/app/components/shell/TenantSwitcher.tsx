import { NativeSelect } from '@mantine/core';
import { useNavigate, useParams } from 'react-router';
import type { Tenant } from '../../../../contracts/index.ts';

const SECTIONS = ['members', 'invitations', 'api-keys', 'audit-log'];

export type TenantChoice = Pick<Tenant, 'slug' | 'name'>;

/**
 * Moves between the tenants the user belongs to (for people in several), keeping to the
 * same section of the tenant pages. Hidden for people in one tenant or none.
 */
export function TenantSwitcher({ tenants }: { tenants: TenantChoice[] }) {
  const navigate = useNavigate();
  const { slug } = useParams();
  if (tenants.length < 2) return null;
  return (
    <NativeSelect
      aria-label="Switch tenant"
      data-testid="tenant-switcher"
      size="xs"
      w={200}
      value={slug ?? ''}
      data={[
        ...(slug ? [] : [{ value: '', label: 'Choose a tenant…', disabled: true }]),
        ...tenants.map((t) => ({ value: t.slug, label: t.name })),
      ]}
      onChange={(event) => {
        const section = /^\/tenants\/[^/]+\/([^/?]+)/.exec(window.location.pathname)?.[1] ?? 'members';
        const target = SECTIONS.includes(section) ? section : 'members';
        void navigate(`/tenants/${encodeURIComponent(event.currentTarget.value)}/${target}`);
      }}
    />
  );
}
