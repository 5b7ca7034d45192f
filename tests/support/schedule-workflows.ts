// Workflows for the Schedules tests, run by an in-process worker. Deterministic and free of
// imports, like every workflow file (the sandbox lint covers this file too).

/** Returns the arguments it was started with: the test sees a schedule's args reach a real run. */
export function scheduledEcho(...args: unknown[]): Promise<unknown[]> {
  return Promise.resolve(args);
}
