// How long the worker takes to stop after SIGTERM, beyond WORKER_SHUTDOWN_GRACE_TIME. Whatever
// stops it (a person, Kubernetes) must wait at least workerStopBudgetMs before killing it, or
// activities lose the grace time they were promised (deploy/kubernetes/worker.yaml).

/** Past the grace time activities are cancelled; they get this long to notice. */
export const SHUTDOWN_FORCE_MARGIN_MS = 10_000;
/** Closing connections and flushing traces after the workers stopped, at most. */
export const CLEANUP_TIMEOUT_MS = 5_000;

/** The longest a worker with this grace time may take from SIGTERM to exit. */
export function workerStopBudgetMs(shutdownGraceTimeMs: number): number {
  return shutdownGraceTimeMs + SHUTDOWN_FORCE_MARGIN_MS + CLEANUP_TIMEOUT_MS;
}
