// Workflow tests: a family's workflows, bundled as the worker bundles them, run by an
// in-process Worker on the project's own Temporal dev server (the one `npm test` starts;
// there is no time-skipping server here, so tests keep timers short through the workflows'
// inputs), with typed activity stand-ins in place of the family's activities (after the
// samples-typescript tests). The stand-ins reach the branches that are hard to reach through
// the whole platform — a timeout, a refused undo, a signal at just the wrong moment — and
// every call is recorded, so a test says which activities ran, in which order, with what.
//
//   const harness = await startWorkflowHarness('tenant-provisioning');
//   await harness.withWorker({ ...succeed, activateTenant: refuse } satisfies Partial<Activities>, async (s) => {
//     const handle = await s.start<typeof provisionTenant>('provisionTenant', input, workflowId);
//     ...assert on (await failureOf(handle)), await handle.query(getProgressQuery), s.names()
//   });
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Workflow, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { Client, Connection, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/workflow-bundle.ts';
import { DISCARDED_RUN_NOTES } from '../../worker/workflow-run-metering.ts';
import type { WorkflowFamily } from '../../workflows/catalogue.ts';
import type { ActivityTimings } from '../../workflows/shared/operation.contract.ts';
import { testEnv } from './env.ts';

// The stand-ins' deliberate failures would fill the output at WARN; real trouble is an ERROR.
Runtime.install({ logger: new DefaultLogger('ERROR') });

/** Activity timings for workflow inputs: stand-ins answer at once. */
export const TEST_TIMINGS: ActivityTimings = { heartbeatTimeoutMs: 5_000, startToCloseTimeoutMs: 10_000 };

export type StandIn = (input: any) => Promise<unknown>;

export interface ActivityCall {
  name: string;
  input: any;
}

export interface Scenario {
  /** Every stand-in call so far, in the order they started. */
  calls: ActivityCall[];
  /** The names of the calls so far, in order. */
  names(): string[];
  /** The input of the only call of `name` (fails unless it was called exactly once). */
  inputOf(name: string): any;
  /** Starts a workflow on this file's task queue; it is terminated when the scenario ends. */
  start<W extends Workflow>(
    workflowType: string,
    input: Parameters<W>[0],
    workflowId: string,
  ): Promise<WorkflowHandle<W>>;
  /** Polls `check` until it holds (or fails the test after `timeoutMs`, naming `what`). */
  waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
}

export interface WorkflowHarness {
  client: Client;
  /** This file's task queue. */
  taskQueue: string;
  /**
   * Runs `body` while an in-process worker polls the task queue with `standIns` as the family's
   * activities; stops the worker afterwards (workflows the body left open are terminated first).
   */
  withWorker<T>(standIns: Record<string, StandIn>, body: (scenario: Scenario) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export async function startWorkflowHarness(family: WorkflowFamily): Promise<WorkflowHarness> {
  const bundle: WorkflowBundleWithSourceMap = await bundleWorkflows([family], new DefaultLogger('WARN'));
  const address = testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `atrium-wftest-${family}-${randomBytes(4).toString('hex')}`;

  return {
    client,
    taskQueue,
    async withWorker(standIns, body) {
      const calls: ActivityCall[] = [];
      const activities = Object.fromEntries(
        Object.entries(standIns).map(([name, standIn]) => [
          name,
          (input: unknown) => {
            calls.push({ name, input });
            return standIn(input);
          },
        ]),
      );
      const started: Array<WorkflowHandle<Workflow>> = [];
      const scenario: Scenario = {
        calls,
        names: () => calls.map((call) => call.name),
        inputOf(name) {
          const matching = calls.filter((call) => call.name === name);
          assert.equal(matching.length, 1, `${name} was called once (calls: ${scenario.names().join(', ')})`);
          return matching[0]!.input;
        },
        async start<W extends Workflow>(workflowType: string, input: Parameters<W>[0], workflowId: string) {
          const options = { taskQueue, workflowId, args: [input] } as unknown as WorkflowStartOptions<W>;
          const handle = await client.workflow.start<W>(workflowType, options);
          started.push(handle as WorkflowHandle<Workflow>);
          return handle;
        },
        async waitUntil(what, check, timeoutMs = 15_000) {
          const deadline = Date.now() + timeoutMs;
          while (!(await check())) {
            if (Date.now() > deadline)
              assert.fail(`Timed out waiting until ${what} (calls: ${scenario.names().join(', ') || 'none'})`);
            await sleep(50);
          }
        },
      };
      const worker = await Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        activities,
        // The bundle counts tenants' runs through a sink; these runs are no one's usage.
        sinks: DISCARDED_RUN_NOTES,
      });
      return worker.runUntil(async () => {
        try {
          return await body(scenario);
        } finally {
          // A later scenario's worker (other stand-ins) must not pick up this one's workflows.
          for (const handle of started) {
            const { status } = await handle.describe();
            if (status.name === 'RUNNING') await handle.terminate('the test scenario ended');
          }
        }
      });
    },
    async stop() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** The ApplicationFailure a workflow failed with (fails the test if it completed or failed otherwise). */
export async function failureOf(handle: WorkflowHandle<Workflow>): Promise<ApplicationFailure> {
  const error = await handle.result().then(
    (result: unknown) => assert.fail(`${handle.workflowId} completed (${JSON.stringify(result)}); it should fail`),
    (error: unknown) => error,
  );
  assert.ok(error instanceof WorkflowFailedError, String(error));
  assert.ok(error.cause instanceof ApplicationFailure, `failed with ${String(error.cause)}`);
  return error.cause;
}

/** For assert.rejects: an Update its validator (or handler) refused with a message matching `pattern`. */
export function updateRefused(pattern: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof WorkflowUpdateFailedError && error.cause instanceof Error && pattern.test(error.cause.message);
}

/** Resolves once `open()` is called: holds a stand-in until the test lets it go on. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
