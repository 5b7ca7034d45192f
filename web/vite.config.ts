import { reactRouter } from '@react-router/dev/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [reactRouter()],
  environments: {
    ssr: {
      build: {
        // The server bundle's entry is our own module (React Router's build plus the
        // load-context factory) so api/portal.ts and the loaders share one context key.
        rolldownOptions: { input: './server-build.ts' },
      },
    },
  },
});
