// Keeps an operation's step-by-step progress inside a workflow and exposes it through
// getProgressQuery. Time comes from the workflow clock (Date is deterministic in the sandbox).
import { ActivityFailure, ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { OperationKind, OperationProgress, StepProgress } from './operation.contract.ts';
import { getProgressQuery } from './operation.contract.ts';

export class StepTracker<Name extends string> {
  private readonly progress: OperationProgress;

  constructor(kind: OperationKind, tenantId: string | null, steps: ReadonlyArray<{ name: Name; title: string }>) {
    this.progress = {
      kind,
      tenantId,
      phase: 'running',
      error: null,
      steps: steps.map(({ name, title }) => ({
        name,
        title,
        status: 'pending',
        startedAt: null,
        completedAt: null,
        error: null,
        attempt: null,
      })),
    };
    setHandler(getProgressQuery, () => this.snapshot());
  }

  snapshot(): OperationProgress {
    // A copy, so callers can't mutate the live state (structuredClone is not in the sandbox).
    return JSON.parse(JSON.stringify(this.progress)) as OperationProgress;
  }

  /** Runs one step, recording when it started and ended and how it failed. */
  async run<T>(name: Name, fn: () => Promise<T>): Promise<T> {
    const step = this.step(name);
    step.status = 'running';
    step.startedAt = new Date().toISOString();
    step.error = null;
    try {
      const result = await fn();
      step.status = 'completed';
      step.completedAt = new Date().toISOString();
      delete step.note;
      return result;
    } catch (error) {
      step.status = 'failed';
      step.completedAt = new Date().toISOString();
      step.error = describeFailure(error);
      throw error;
    }
  }

  /** Says what a running step waits for (null: nothing any more). */
  note(name: Name, text: string | null): void {
    const step = this.step(name);
    if (text === null) delete step.note;
    else step.note = text;
  }

  /** A step that ran but whose outcome is a refusal (e.g. an approval that was rejected). */
  fail(name: Name, reason: string): void {
    const step = this.step(name);
    step.status = 'failed';
    step.error = reason;
  }

  skip(name: Name, reason: string): void {
    const step = this.step(name);
    step.status = 'skipped';
    step.error = reason;
  }

  /** A completed step whose work was undone. A failed or skipped step keeps its status. */
  markCompensated(name: Name): void {
    const step = this.step(name);
    if (step.status === 'completed') step.status = 'compensated';
  }

  /** Undoing the step failed for good: it shows as failed, saying what is left. */
  markCompensationFailed(name: Name, reason: string): void {
    const step = this.step(name);
    step.status = 'failed';
    step.error = `Undoing this step failed: ${reason}`;
  }

  setPhase(phase: OperationProgress['phase'], error: string | null = null): void {
    this.progress.phase = phase;
    this.progress.error = error;
  }

  private step(name: Name): StepProgress {
    const step = this.progress.steps.find((s) => s.name === name);
    if (!step) throw ApplicationFailure.nonRetryable(`Unknown step "${name}"`, 'UnknownStep');
    return step;
  }
}

/** The innermost message of a failure chain: what actually went wrong. */
export function describeFailure(error: unknown): string {
  let current: unknown = error;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
