// The activity side of the error contract: a port error that says a retry would repeat
// it (`retryable: false`) becomes a non-retryable ApplicationFailure with a stable type
// (the error's name), so the workflow compensates at once instead of retrying for an hour.
// Everything else is rethrown as it is and retried with the step's policy.
import { ApplicationFailure } from '@temporalio/activity';

export function asActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof Error && (error as { retryable?: unknown }).retryable === false) {
    return ApplicationFailure.create({ message: error.message, type: error.name, nonRetryable: true });
  }
  return error;
}

/** Runs `fn`, translating its failure with asActivityFailure. */
export async function translatingFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw asActivityFailure(error);
  }
}
