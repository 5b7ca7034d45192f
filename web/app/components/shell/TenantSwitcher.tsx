import { Input } from '@mantine/core';
import type { ChangeEvent } from 'react';
import { useMatches, useNavigate, useParams } from 'react-router';
import type { Tenant } from '../../../../contracts/index.ts';
import { ChevronDownIcon } from '../icons.tsx';

const SECTIONS = ['members', 'invitations', 'api-keys', 'audit-log', 'sso'];

/** The choice that opens the tenants list, when there are more tenants than the switcher holds. */
const ALL_TENANTS = '*all';

export type TenantChoice = Pick<Tenant, 'slug' | 'name'>;

/**
 * The tenant the page shows: the `:slug` of a tenant page, else the `tenantSlug` a page's
 * loader returns for a page that belongs to a tenant without it in the path (an operation).
 */
export function useCurrentTenantSlug(): string | undefined {
  const { slug } = useParams();
  const matches = useMatches();
  if (slug) return slug;
  for (const match of [...matches].reverse()) {
    const fromPage = (match.loaderData as { tenantSlug?: unknown } | undefined)?.tenantSlug;
    if (typeof fromPage === 'string') return fromPage;
  }
  return undefined;
}

interface TenantSwitcherProps {
  tenants: TenantChoice[];
  /** The user has more tenants than listed; the last choice opens the tenants list. */
  more: boolean;
  /** The header's copy and the mobile navigation's copy are told apart by this. */
  testId?: string;
  /** Full width (the mobile navigation) or the header's fixed width. */
  fullWidth?: boolean;
  /** Called after a choice, so the mobile navigation can close. */
  onNavigate?: () => void;
}

/**
 * Moves between the tenants the user belongs to (for people in several), keeping to the
 * same section of the tenant pages. Hidden for people in one tenant or none.
 */
export function TenantSwitcher({
  tenants,
  more,
  testId = 'tenant-switcher',
  fullWidth = false,
  onNavigate,
}: TenantSwitcherProps) {
  const navigate = useNavigate();
  const slug = useCurrentTenantSlug();
  if (tenants.length < 2) return null;
  const known = slug !== undefined && tenants.some((t) => t.slug === slug);
  return (
    // A native select in Mantine's input (what NativeSelect renders, without pulling in the
    // Combobox for its chevron): part of every page's frame, it must stay light, and it works
    // as soon as the page has hydrated (it is not in the lazily loaded signed-in chunk).
    <Input
      component="select"
      aria-label="Switch tenant"
      data-testid={testId}
      size="xs"
      w={fullWidth ? '100%' : 200}
      rightSection={<ChevronDownIcon size={14} />}
      rightSectionPointerEvents="none"
      value={known ? slug : ''}
      onChange={(event: ChangeEvent<HTMLSelectElement>) => {
        onNavigate?.();
        if (event.currentTarget.value === ALL_TENANTS) {
          void navigate('/tenants');
          return;
        }
        // The same section of the other tenant; its overview from anywhere else.
        const section = /^\/tenants\/[^/]+\/([^/?]+)/.exec(window.location.pathname)?.[1];
        const target = section && SECTIONS.includes(section) ? `/${section}` : '';
        void navigate(`/tenants/${encodeURIComponent(event.currentTarget.value)}${target}`);
      }}
    >
      {known ? null : (
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
