import { NavLink, Stack } from '@mantine/core';
import { Link, useLocation } from 'react-router';
import { ActivityIcon, BuildingIcon, ExternalLinkIcon, ShieldIcon } from '../icons.tsx';

const sections = [
  { to: '/tenants', label: 'Tenants', icon: <BuildingIcon /> },
  { to: '/operations', label: 'Operations', icon: <ActivityIcon /> },
  { to: '/approvals', label: 'Approvals', icon: <ShieldIcon /> },
] as const;

interface MainNavProps {
  /** Called after a link is followed, so the mobile drawer can close. */
  onNavigate: () => void;
  /** The Temporal UI (/ops/temporal/): given to operators only (the root loader decides). */
  temporalUiUrl: string | undefined;
  /** Platform admins also see the admin console. */
  platformAdmin: boolean;
  /** Operators (operator-read or operator-write) also see the stuck activities. */
  operator: boolean;
}

export function MainNav({ onNavigate, temporalUiUrl, platformAdmin, operator }: MainNavProps) {
  const { pathname } = useLocation();
  const visible = [
    ...sections,
    ...(platformAdmin
      ? [
          { to: '/admin', label: 'Admin console', icon: <ShieldIcon /> } as const,
          { to: '/admin/health', label: 'Platform health', icon: <ActivityIcon /> } as const,
          { to: '/admin/signing-keys', label: 'Signing keys', icon: <ShieldIcon /> } as const,
        ]
      : []),
    ...(operator
      ? [{ to: '/admin/stuck-activities', label: 'Stuck activities', icon: <ActivityIcon /> } as const]
      : []),
  ];

  // The most specific section the path lies in (/admin/health is health, not the console).
  const current = visible
    .filter((section) => pathname === section.to || pathname.startsWith(`${section.to}/`))
    .sort((a, b) => b.to.length - a.to.length)[0]?.to;

  return (
    <Stack component="nav" aria-label="Main" gap={4} flex={1}>
      {visible.map((section) => (
        <NavLink
          key={section.to}
          component={Link}
          to={section.to}
          label={section.label}
          leftSection={section.icon}
          active={section.to === current}
          onClick={onNavigate}
        />
      ))}
      {temporalUiUrl ? (
        <NavLink
          component="a"
          href={temporalUiUrl}
          target="_blank"
          rel="noreferrer"
          label="Temporal UI"
          description="Workflows, for operators"
          leftSection={<ExternalLinkIcon />}
          mt="auto"
        />
      ) : null}
    </Stack>
  );
}
