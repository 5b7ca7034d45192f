import type { Config } from '@react-router/dev/config';
import { join } from 'node:path';
import { portalBuildEnd } from './vite/build-end.ts';

export default {
  appDirectory: 'app',
  buildDirectory: 'build',
  ssr: true,
  // Brotli and gzip copies of every asset, the per-page sizes, and a failed build over budget.
  buildEnd({ reactRouterConfig }) {
    portalBuildEnd(join(reactRouterConfig.buildDirectory, 'client'));
  },
} satisfies Config;
