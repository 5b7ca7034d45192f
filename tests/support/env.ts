// What scripts/test.ts hands every test file: the shared Temporal dev server, the
// PostgreSQL server to create per-file databases in, and (for the browser tests) the
// browser it found. Tests read it from here only.
import { z } from 'zod';

const TestEnv = z.object({
  ATRIUM_TEST_TEMPORAL_ADDRESS: z.string().min(1, 'run tests through `npm test`, which starts Temporal'),
  ATRIUM_TEST_TEMPORAL_UI_URL: z.string().default('http://127.0.0.1:8233'),
  ATRIUM_TEST_POSTGRES_URL: z.string().min(1, 'run tests through `npm test`, which chooses the PostgreSQL'),
  ATRIUM_TEST_TEMPORAL_CLI: z.string().default('temporal'),
  /** Set by `npm test` when browser tests are selected (scripts/find-browser.ts). */
  ATRIUM_TEST_CHROMIUM: z.string().optional(),
  /** Set by `npm test`: the prebuilt workflow bundles every test worker loads (scripts/test-workflow-bundles.ts). */
  ATRIUM_TEST_WORKFLOW_BUNDLE_DIR: z.string().min(1).optional(),
  /** A label (e.g. v3): write fresh workflow histories into tests/histories/<name>-<label>.json. */
  ATRIUM_RECORD_HISTORIES: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'a label such as v3')
    .optional(),
  /** The chaos suite (tests/chaos): `long` is `npm run test:chaos`, `short` the form inside `npm test`. */
  CHAOS_FORM: z.enum(['short', 'long']).default('short'),
  /** How many mixed operations the chaos suite runs (default: 6 short, 30 long). */
  CHAOS_OPERATIONS: z.coerce.number().int().min(1).max(500).optional(),
  /** The chaos suite's seed, printed by every run: set it to replay a run's choices. */
  CHAOS_SEED: z.coerce.number().int().min(0).max(0xffffffff).optional(),
});

export const testEnv = TestEnv.parse(process.env);
