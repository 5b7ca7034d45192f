import { useEffect } from 'react';
import { useRevalidator } from 'react-router';

/**
 * While a rotation is under way (or was just started and has not yet changed the keyring),
 * reads the page again every two seconds, so the keys' states and the processes follow it to its
 * end without a reload. Its live view with every step is the operation page.
 */
export function useRefreshWhileRotating(rotating: boolean, everyMs = 2_000): void {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!rotating) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle' && document.visibilityState === 'visible') void revalidator.revalidate();
    }, everyMs);
    return () => clearInterval(timer);
  }, [rotating, revalidator, everyMs]);
}
