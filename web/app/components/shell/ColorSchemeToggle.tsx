import { ActionIcon, Box, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { MoonIcon, SunIcon } from '../icons.tsx';

/**
 * Switches between light and dark. Both icons are rendered and CSS hides the wrong one
 * (lightHidden/darkHidden), so the server's HTML matches whatever scheme the browser
 * picks before hydration.
 */
export function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: true });

  return (
    <ActionIcon
      variant="default"
      size="lg"
      aria-label="Toggle color scheme"
      data-testid="color-scheme-toggle"
      onClick={() => setColorScheme(computed === 'light' ? 'dark' : 'light')}
    >
      <Box component="span" lh={0} darkHidden>
        <MoonIcon />
      </Box>
      <Box component="span" lh={0} lightHidden>
        <SunIcon />
      </Box>
    </ActionIcon>
  );
}
