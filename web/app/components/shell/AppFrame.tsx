import { Anchor, AppShell, Burger, Divider, Group, Stack, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense } from 'react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { User } from '../../../../contracts/index.ts';
import { ColorSchemeToggle } from './ColorSchemeToggle.tsx';
import type { TenantChoice } from './TenantSwitcher.tsx';
import { TenantSwitcher } from './TenantSwitcher.tsx';

// What only a signed-in person sees (navigation, user menu) is a chunk of its own, so the
// sign-in page does not download it. The server renders it in place; in the browser its
// Suspense boundary keeps the server's HTML until the chunk is there. Both are links and a
// form, which work before then. The tenant switcher acts through React, so it stays here.
const MainNav = lazy(() => import('./signed-in.ts').then(({ MainNav }) => ({ default: MainNav })));
const UserMenu = lazy(() => import('./signed-in.ts').then(({ UserMenu }) => ({ default: UserMenu })));
const UserMenuInNav = lazy(() => import('./signed-in.ts').then(({ UserMenuInNav }) => ({ default: UserMenuInNav })));

interface AppFrameProps {
  children: ReactNode;
  /** Only for platform admins (the Temporal UI has no sign-in and shows every tenant's workflows). */
  temporalUiUrl: string | undefined;
  /** Signed out (the login page), the frame has no navigation and no user menu. */
  user: User | null;
  /** The user's tenants, for the switcher. */
  tenants: TenantChoice[];
  /** The user has more tenants than `tenants` holds. */
  moreTenants: boolean;
}

/**
 * The chrome around every page: header, navbar, main. On phones (below `sm`) the navbar is a
 * drawer behind the burger, and the tenant switcher and the user menu move from the header
 * into it: the header keeps one row that fits 390 px.
 */
export function AppFrame({ children, temporalUiUrl, user, tenants, moreTenants }: AppFrameProps) {
  const [navOpened, nav] = useDisclosure(false);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navOpened, desktop: !user } }}
      padding={{ base: 'sm', sm: 'lg' }}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            {user ? (
              <Burger
                opened={navOpened}
                onClick={nav.toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label="Toggle navigation"
                aria-expanded={navOpened}
                data-testid="nav-burger"
              />
            ) : null}
            <Anchor component={Link} to="/tenants" underline="never" c="inherit">
              <Title order={3} component="span">
                Atrium
              </Title>
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap" miw={0}>
            {user ? (
              <Group gap="sm" wrap="nowrap" visibleFrom="sm" miw={0}>
                <TenantSwitcher tenants={tenants} more={moreTenants} />
                <Suspense fallback={null}>
                  <UserMenu user={user} />
                </Suspense>
              </Group>
            ) : null}
            <ColorSchemeToggle />
          </Group>
        </Group>
      </AppShell.Header>

      {user ? (
        <AppShell.Navbar p="sm">
          <Suspense fallback={null}>
            <MainNav
              onNavigate={nav.close}
              temporalUiUrl={temporalUiUrl}
              platformAdmin={user.isPlatformAdmin}
              operator={Boolean(user.operatorRole)}
            />
          </Suspense>
          <Stack gap="sm" hiddenFrom="sm" mt="md">
            <Divider />
            <TenantSwitcher
              tenants={tenants}
              more={moreTenants}
              testId="tenant-switcher-nav"
              fullWidth
              onNavigate={nav.close}
            />
            <Suspense fallback={null}>
              <UserMenuInNav user={user} onNavigate={nav.close} />
            </Suspense>
          </Stack>
        </AppShell.Navbar>
      ) : null}

      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
