import { Input } from '@mantine/core';
import type { ChangeEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import type { Tenant } from '../../../../contracts/index.ts';
import { ChevronDownIcon } from '../icons.tsx';

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
    // A native select in Mantine's input (what NativeSelect renders, without pulling in the
    // Combobox for its chevron): part of every page's frame, it must stay light, and it works
    // as soon as the page has hydrated (it is not in the lazily loaded signed-in chunk).
    <Input
      component="select"
      aria-label="Switch tenant"
      data-testid="tenant-switcher"
      size="xs"
      w={200}
      rightSection={<ChevronDownIcon size={14} />}
      rightSectionPointerEvents="none"
      value={slug ?? ''}
      onChange={(event: ChangeEvent<HTMLSelectElement>) => {
        if (event.currentTarget.value === ALL_TENANTS) {
          void navigate('/tenants');
          return;
        }
        const section = /^\/tenants\/[^/]+\/([^/?]+)/.exec(window.location.pathname)?.[1] ?? 'members';
        const target = SECTIONS.includes(section) ? section : 'members';
        void navigate(`/tenants/${encodeURIComponent(event.currentTarget.value)}/${target}`);
      }}
    >
      {slug ? null : (
        <option value="" disabled>
          Choose a tenant…
        </option>
      )}
      {tenants.map((t) => (
        <option key={t.slug} value={t.slug}>
          {t.name}
        </option>
      ))}
      {more ? <option value={ALL_TENANTS}>All tenants…</option> : null}
    </Input>
  );
}
