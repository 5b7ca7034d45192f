import { Anchor, Breadcrumbs, Tabs } from '@mantine/core';
import { href, Link } from 'react-router';

const SECTIONS = [
  { value: 'overview', label: 'Overview', to: '/tenants/:slug' },
  { value: 'members', label: 'Members', to: '/tenants/:slug/members' },
  { value: 'invitations', label: 'Invitations', to: '/tenants/:slug/invitations' },
  { value: 'api-keys', label: 'API keys', to: '/tenants/:slug/api-keys' },
  { value: 'environments', label: 'Environments', to: '/tenants/:slug/environments' },
  { value: 'releases', label: 'Releases', to: '/tenants/:slug/releases' },
  { value: 'secrets', label: 'Secrets', to: '/tenants/:slug/secrets' },
  { value: 'audit-log', label: 'Audit log', to: '/tenants/:slug/audit-log' },
  { value: 'sso', label: 'Single sign-on', to: '/tenants/:slug/sso' },
  { value: 'webhooks', label: 'Webhooks', to: '/tenants/:slug/webhooks' },
  { value: 'connectors', label: 'Connectors', to: '/tenants/:slug/connectors' },
  { value: 'plan', label: 'Plan', to: '/tenants/:slug/plan' },
  { value: 'approval-policies', label: 'Approval policies', to: '/tenants/:slug/approval-policies' },
] as const;

export type TenantSection = (typeof SECTIONS)[number]['value'];

/** The breadcrumbs and tabs at the top of every page of one tenant. */
export function TenantNav({ slug, current }: { slug: string; current: TenantSection }) {
  return (
    <div>
      <Breadcrumbs mb="xs">
        <Anchor component={Link} to="/tenants" size="sm">
          Tenants
        </Anchor>
        <Anchor component={Link} to={href('/tenants/:slug', { slug })} size="sm" ff="monospace">
          {slug}
        </Anchor>
      </Breadcrumbs>
      {/* Each tab is a link, so sections are real pages (and work without JavaScript). */}
      <Tabs value={current}>
        <Tabs.List aria-label="Tenant sections">
          {SECTIONS.map((section) => (
            <Tabs.Tab
              key={section.value}
              value={section.value}
              renderRoot={(props) => <Link {...props} to={href(section.to, { slug })} />}
            >
              {section.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
    </div>
  );
}
