// The environment `npm test` (scripts/test.ts) reads, once, at its start: which PostgreSQL
// and which browser to use, and where to look for them. Everything else in the test
// runner gets these values from here.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Env } from '../config/env.ts';
import { duration, parseEnv, postgresUrl } from '../config/env.ts';
import type { BrowserPlaces } from './find-browser.ts';
import { chromiumVariableProblem, executableProblem } from './find-browser.ts';
import type { PostgresSettings } from './test-postgres.ts';

const TestRunnerEnv = z
  .object({
    ATRIUM_TEST_POSTGRES_URL: postgresUrl.optional(),
    ATRIUM_TEST_POSTGRES: z.enum(['auto', 'embedded']).default('auto'),
    ATRIUM_CHROMIUM: z
      .string()
      .transform((path) => resolve(path))
      .superRefine((path, context) => {
        const problem = executableProblem(path);
        if (problem) context.addIssue({ code: 'custom', message: chromiumVariableProblem(problem) });
      })
      .optional(),
    ATRIUM_SKIP_BUILD: z.string().optional(),
    // Test files run at once. Each has its own database, task queue and platform processes;
    // 2 halves the run (15 min instead of 27). Two browser tests at once made each other time
    // out on two cores, so browser tests take one of these places, one at a time
    // (scripts/test-queue.ts).
    ATRIUM_TEST_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(2),
    // A file that runs longer is stopped with what it started and counted as failed: a hang
    // must fail the run, not hold it (the slowest file takes about 4 minutes on two cores).
    ATRIUM_TEST_FILE_TIMEOUT: duration.pipe(z.number().min(10_000, 'at least 10s')).default(20 * 60_000),
    PATH: z.string().default(''),
    HOME: z.string().optional(),
    XDG_CACHE_HOME: z.string().optional(),
    PLAYWRIGHT_BROWSERS_PATH: z.string().optional(),
  })
  .superRefine((env, context) => {
    if (env.ATRIUM_TEST_POSTGRES === 'embedded' && env.ATRIUM_TEST_POSTGRES_URL)
      context.addIssue({
        code: 'custom',
        path: ['ATRIUM_TEST_POSTGRES'],
        message: '`embedded` contradicts ATRIUM_TEST_POSTGRES_URL; unset one of them',
      });
  });

export interface TestRunnerConfig {
  postgres: PostgresSettings;
  browser: BrowserPlaces;
  /** ATRIUM_SKIP_BUILD: the portal is already built for the browser tests. */
  skipBuild: boolean;
  /** ATRIUM_TEST_CONCURRENCY: how many test files run at once. */
  concurrency: number;
  /** ATRIUM_TEST_FILE_TIMEOUT: how long one file may run. */
  fileTimeoutMs: number;
}

/** Throws ConfigError naming every bad variable. `root` is the repository (for PLAYWRIGHT_BROWSERS_PATH=0). */
export function readTestRunnerConfig(env: Env, root: string): TestRunnerConfig {
  const parsed = parseEnv(TestRunnerEnv, env);
  return {
    postgres: { url: parsed.ATRIUM_TEST_POSTGRES_URL, mode: parsed.ATRIUM_TEST_POSTGRES },
    browser: {
      chromium: parsed.ATRIUM_CHROMIUM,
      path: parsed.PATH,
      playwrightCache: playwrightCache(parsed, root),
    },
    skipBuild: Boolean(parsed.ATRIUM_SKIP_BUILD),
    concurrency: parsed.ATRIUM_TEST_CONCURRENCY,
    fileTimeoutMs: parsed.ATRIUM_TEST_FILE_TIMEOUT,
  };
}

/** Where Playwright's installer puts browsers (the same rules Playwright follows). */
function playwrightCache(env: z.output<typeof TestRunnerEnv>, root: string): string {
  const configured = env.PLAYWRIGHT_BROWSERS_PATH;
  if (configured === '0') return join(root, 'node_modules/playwright-core/.local-browsers');
  if (configured) return resolve(configured);
  const home = env.HOME ?? homedir();
  if (process.platform === 'darwin') return join(home, 'Library/Caches/ms-playwright');
  return join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'ms-playwright');
}
