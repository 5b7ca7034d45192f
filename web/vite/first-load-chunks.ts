// One chunk for the framework every page loads.
//
// Rolldown splits shared code into one chunk per distinct set of importers, so React, React
// DOM and React Router arrived as five files. Each file is compressed on its own, and split
// code compresses worse than the same code in one file (4 kB of brotli here). Every page loads
// the browser entry, so putting everything it imports statically into one chunk costs no page
// a byte more. (Doing the same for the root route's imports does not pay: through
// '@mantine/core''s index they reach every Mantine component any page uses.)
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Plugin } from 'vite';

/** Beside the client build (not served): the chunks the root route loads lazily, see route-sizes.ts. */
export const LAZY_CHUNKS_FILE = 'lazy-chunks.json';

interface ModuleGraph {
  getModuleIds(): IterableIterator<string>;
  getModuleInfo(id: string): { importedIds: readonly string[] } | null;
}

/** Every module `from` imports statically, directly or not (itself included). */
function staticClosure(graph: ModuleGraph, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(graph.getModuleInfo(id)?.importedIds ?? []));
  }
  return seen;
}

/**
 * Modules every page loads anyway (through the root route's Mantine components) that a lazily
 * loaded chunk imports too: left to Rolldown, such a module becomes a file of its own (its set
 * of importers changed), one more request on every page. Mantine's styles-API resolver is one:
 * @mantine/charts (the admin health page's charts, loaded lazily) calls it.
 */
const EVERY_PAGE = /\/@mantine\/core\/esm\/core\/styles-api\/use-resolved-styles-api\//;

export function firstLoadChunks(): Plugin {
  let framework = new Set<string>();
  return {
    name: 'atrium:first-load-chunks',
    apply: 'build',
    applyToEnvironment: (environment) => environment.name === 'client',
    config() {
      return {
        environments: {
          client: {
            build: {
              rolldownOptions: {
                output: {
                  codeSplitting: {
                    groups: [{ name: 'framework', test: (id: string) => framework.has(id) || EVERY_PAGE.test(id) }],
                  },
                },
              },
            },
          },
        },
      };
    },
    // Which files each lazy import of the root route brings (its chunk, that chunk's static
    // imports and their stylesheets), keyed by the imported module's path in web/: the per-page
    // sizes add the signed-in frame's (web/vite/route-sizes.ts).
    writeBundle(options, bundle) {
      const chunks = Object.values(bundle).filter((output) => output.type === 'chunk');
      const byFile = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
      const root = chunks.find((chunk) => /\/app\/root\.tsx(\?|$)/.test(chunk.facadeModuleId ?? ''));
      const web = this.environment.config.root;
      const lazy: Record<string, string[]> = {};
      for (const fileName of root?.dynamicImports ?? []) {
        const chunk = byFile.get(fileName);
        if (!chunk?.facadeModuleId) continue;
        const files = new Set<string>();
        const visit = (name: string) => {
          const current = byFile.get(name);
          if (!current || files.has(`/${name}`)) return;
          files.add(`/${name}`);
          for (const css of current.viteMetadata?.importedCss ?? []) files.add(`/${css}`);
          current.imports.forEach(visit);
        };
        visit(fileName);
        lazy[relative(web, chunk.facadeModuleId.split('?')[0]!)] = [...files];
      }
      writeFileSync(resolve(options.dir!, '..', LAZY_CHUNKS_FILE), `${JSON.stringify(lazy, null, 2)}\n`);
    },
    buildEnd() {
      const ids = [...this.getModuleIds()];
      const entry = ids.find((id) => /entry\.client/.test(id));
      if (!entry) return;
      framework = staticClosure(this, entry);
      framework.delete(entry);
    },
  };
}
