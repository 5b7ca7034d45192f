import { Anchor, AppShell, Burger, Group, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ColorSchemeToggle } from './ColorSchemeToggle.tsx';
import { MainNav } from './MainNav.tsx';

interface AppFrameProps {
  children: ReactNode;
  temporalUiUrl: string | undefined;
}

/** The chrome around every page: header, navbar (a drawer behind a burger on mobile), main. */
export function AppFrame({ children, temporalUiUrl }: AppFrameProps) {
  const [navOpened, nav] = useDisclosure(false);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={navOpened} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Anchor component={Link} to="/tenants" underline="never" c="inherit">
              <Title order={3} component="span">
                Atrium
              </Title>
            </Anchor>
          </Group>
          <ColorSchemeToggle />
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm">
        <MainNav onNavigate={nav.close} temporalUiUrl={temporalUiUrl} />
      </AppShell.Navbar>

      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
