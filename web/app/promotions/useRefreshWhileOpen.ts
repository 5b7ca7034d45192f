import { useEffect } from 'react';
import { useRevalidator } from 'react-router';
import type { EnvironmentDeployment } from './deployments.ts';

/**
 * While a promotion is on its way somewhere (requested, awaiting approval, held, deploying),
 * reads the page again every few seconds, so "what runs where" follows it to its end. Its live
 * view with every step is the operation page; this keeps the summary true without a reload.
 */
export function useRefreshWhileOpen(deployments: EnvironmentDeployment[], everyMs = 5_000): void {
  const revalidator = useRevalidator();
  const open = deployments.some((deployment) => deployment.open !== null);
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle' && document.visibilityState === 'visible') void revalidator.revalidate();
    }, everyMs);
    return () => clearInterval(timer);
  }, [open, revalidator, everyMs]);
}
