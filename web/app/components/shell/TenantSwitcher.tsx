import { NativeSelect } from '@mantine/core';
import { useNavigate, useParams } from 'react-router';
import type { Tenant } from '../../../../contracts/index.ts';

const SECTIONS = ['members', 'invitations', 'api-keys', 'audit-log'];

/** The choice that opens the tenants list, when there are more tenants than the switcher holds. */
const ALL_TENANTS = '*all';

export type TenantChoice = Pick<Tenant, 'slug' | 'name'>;

/**
 * Moves between the tenants the user belongs to (for people in several), keeping to the
 * same section of the tenant pages. Hidden for people in one tenant or none. `more`: the
 * user has more tenants than listed; the last choice opens the tenants list.
 */
export function TenantSwitcher({ tenants, more }: { tenants: TenantChoice[]; more: boolean }) {
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
        ...(more ? [{ value: ALL_TENANTS, label: 'All tenants…' }] : []),
      ]}
      onChange={(event) => {
        if (event.currentTarget.value === ALL_TENANTS) {
          void navigate('/tenants');
          return;
        }
        const section = /^\/tenants\/[^/]+\/([^/?]+)/.exec(window.location.pathname)?.[1] ?? 'members';
        const target = SECTIONS.includes(section) ? section : 'members';
        void navigate(`/tenants/${encodeURIComponent(event.currentTarget.value)}/${target}`);
      }}
    />
  );
}
