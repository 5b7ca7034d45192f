// Checks each dependency of the platform for the admin health page: one probe per component,
// run together, each bounded by a timeout, timed, and remembered when it fails (the last
// error stays on the page after the component is up again). A component running its embedded
// default with nothing to reach (no cluster, mail to the log) is `not-configured`, not down.
import type { ComponentHealth, HealthComponentName } from '../../contracts/health.ts';

export interface HealthProbe {
  component: HealthComponentName;
  label: string;
  adapter: string;
  /** Resolves when the component answers; null when nothing is configured to answer. */
  probe: (() => Promise<unknown>) | null;
}

export interface HealthChecker {
  check(): Promise<ComponentHealth[]>;
}

export function createHealthChecker(
  probes: readonly HealthProbe[],
  options: { timeoutMs: number; now?: () => Date },
): HealthChecker {
  const now = options.now ?? (() => new Date());
  const lastErrors = new Map<HealthComponentName, { message: string; at: string }>();

  async function checkOne({ component, label, adapter, probe }: HealthProbe): Promise<ComponentHealth> {
    if (!probe) return { component, label, adapter, status: 'not-configured', latencyMs: null, lastError: null };
    const started = performance.now();
    let failure: string | null = null;
    try {
      await withTimeout(probe(), options.timeoutMs);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      lastErrors.set(component, { message: failure, at: now().toISOString() });
    }
    return {
      component,
      label,
      adapter,
      status: failure === null ? 'up' : 'down',
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      lastError: lastErrors.get(component) ?? null,
    };
  }

  return { check: () => Promise.all(probes.map(checkOne)) };
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
