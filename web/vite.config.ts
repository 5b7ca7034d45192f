import { reactRouter } from '@react-router/dev/vite';
import { defineConfig } from 'vite';
import { firstLoadChunks } from './vite/first-load-chunks.ts';
import { mantineComponentStyles } from './vite/mantine-styles.ts';

export default defineConfig({
  // Each page links the stylesheets of the Mantine components it uses, not all of Mantine's.
  plugins: [mantineComponentStyles(), reactRouter(), firstLoadChunks()],
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
