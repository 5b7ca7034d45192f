// Mantine's per-component stylesheets, imported where the components are.
//
// `@mantine/core/styles.css` holds every component's styles (248 kB); a page needs a few.
// Mantine also ships one stylesheet per component (`@mantine/core/styles/Button.css`), but a
// component needs the stylesheets of the components it is built from too (Button needs
// UnstyledButton's and Loader's), in that order. Listing them by hand in every file would be
// wrong as soon as a file changes, so this plugin works them out: for each of the portal's
// modules that imports components from '@mantine/core', it follows those components' own
// modules (Mantine's ESM build) and appends an import of every stylesheet they use,
// dependencies first. Vite then puts each stylesheet in the chunk of the page that needs it,
// and React Router links it with that page. The base (CSS variables, reset, global classes)
// is imported once, by web/app/root.tsx.
//
// Cascade layers keep the order right however the stylesheets arrive. A component's rules
// must come after those of the components it is built from (Tabs' padding after
// UnstyledButton's reset, same specificity), but the document's order is not ours to keep:
// when the lazily loaded signed-in chunk arrives, Vite appends its stylesheets (UnstyledButton's
// among them) after the page's, and they would win. So each stylesheet is wrapped in the layer
// of its depth (`mantine-0` for sheets built on nothing, `mantine-<n+1>` for sheets built on
// ones of depth n), the base in `mantine-base`, and web/app/root.tsx declares the layers'
// order once, before any stylesheet (`mantineLayerOrder`). The portal's own styles are not in
// a layer, so they override Mantine's, as Mantine documents for its `.layer.css` files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/** `import { A, B as C } from '@mantine/core'` (not `import type`), over several lines. */
const MANTINE_IMPORT = /\bimport\s*\{([^}]*)\}\s*from\s*(['"])@mantine\/core\2/g;
/** Any import from '@mantine/dates' (its components are built from core components). */
const DATES_IMPORT = /\bfrom\s*(['"])@mantine\/dates\1/;
/** Relative imports and re-exports in Mantine's ESM files. */
const RELATIVE_IMPORT = /\bfrom\s*"(\.{1,2}\/[^"]+)"|\bimport\s*"(\.{1,2}\/[^"]+)"/g;
/** A component's CSS module, e.g. `./Button.module.mjs` or `../AppShell.module.mjs`. */
const CSS_MODULE = /\/([A-Za-z]+)\.module\.mjs$/;

export interface MantineStyles {
  /** The stylesheet specifiers (`@mantine/core/styles/X.css`) for these named imports, dependencies first. */
  stylesFor(names: readonly string[]): string[];
  /** What a module importing `@mantine/dates` needs: the core styles its components use, then its own. */
  datesStyles(): string[];
  /** The cascade layer of a stylesheet specifier: `mantine-<depth>`, `mantine-base` for the base. */
  layerOf(specifier: string): string;
  /** The `@layer` statement that orders every layer `layerOf` can answer, lowest first. */
  layerOrder(): string;
}

/** The base stylesheets root.tsx imports: below every component's. */
const BASE_STYLESHEETS = ['baseline.css', 'default-css-variables.css', 'global.css'];
const DATES_STYLESHEET = '@mantine/dates/styles.css';
/** The query that asks this plugin to wrap a stylesheet in its layer. */
const LAYER_QUERY = 'mantine-layer';

/** Reads Mantine's ESM build (where `@mantine/core` resolves from `fromDirectory`). */
export function readMantineStyles(fromDirectory: string): MantineStyles {
  const indexFile = fileURLToPath(import.meta.resolve('@mantine/core', `file://${fromDirectory}/`));
  const stylesDirectory = resolve(dirname(indexFile), '../styles');
  const exportFiles = exportedFrom(indexFile);
  const importsOf = new Map<string, string[]>();
  const stylesOfFile = new Map<string, string[]>();
  /** For each stylesheet, the stylesheets of what the components owning it are built from. */
  const builtOn = new Map<string, Set<string>>();

  const relativeImports = (file: string): string[] => {
    let imports = importsOf.get(file);
    if (!imports) {
      const source = readFileSync(file, 'utf8');
      imports = [...source.matchAll(RELATIVE_IMPORT)].map((match) => resolve(dirname(file), match[1] ?? match[2]!));
      importsOf.set(file, imports);
    }
    return imports;
  };

  // Depth-first: the stylesheets of the modules a module imports, then its own.
  const stylesOf = (file: string, visiting: Set<string>): string[] => {
    const known = stylesOfFile.get(file);
    if (known) return known;
    if (visiting.has(file)) return [];
    visiting.add(file);
    const fromDependencies: string[] = [];
    const own: string[] = [];
    for (const imported of relativeImports(file)) {
      const cssModule = CSS_MODULE.exec(imported);
      if (cssModule) {
        const stylesheet = `${cssModule[1]}.css`;
        if (existsSync(resolve(stylesDirectory, stylesheet))) own.push(`@mantine/core/styles/${stylesheet}`);
      } else if (imported.endsWith('.mjs')) {
        fromDependencies.push(...stylesOf(imported, visiting));
      }
    }
    visiting.delete(file);
    for (const stylesheet of own) {
      const below = builtOn.get(stylesheet) ?? new Set<string>();
      for (const dependency of fromDependencies) if (dependency !== stylesheet) below.add(dependency);
      builtOn.set(stylesheet, below);
    }
    const styles = [...new Set([...fromDependencies, ...own])];
    stylesOfFile.set(file, styles);
    return styles;
  };

  // Every export's graph is walked now, so depths are final before the first module asks.
  for (const file of new Set(exportFiles.values())) stylesOf(file, new Set());
  const depths = new Map<string, number>();
  const depthOf = (stylesheet: string, visiting: Set<string>): number => {
    const known = depths.get(stylesheet);
    if (known !== undefined) return known;
    if (visiting.has(stylesheet)) return 0; // a cycle: Mantine has none today
    visiting.add(stylesheet);
    let depth = 0;
    for (const below of builtOn.get(stylesheet) ?? []) depth = Math.max(depth, depthOf(below, visiting) + 1);
    visiting.delete(stylesheet);
    depths.set(stylesheet, depth);
    return depth;
  };
  for (const stylesheet of builtOn.keys()) depthOf(stylesheet, new Set());
  // @mantine/dates is built on core components, so its sheet sits above all of core's.
  const datesDepth = Math.max(0, ...depths.values()) + 1;

  return {
    layerOf(specifier) {
      if (specifier === DATES_STYLESHEET) return `mantine-${datesDepth}`;
      const name = specifier.replace('@mantine/core/styles/', '');
      if (BASE_STYLESHEETS.includes(name)) return 'mantine-base';
      return `mantine-${depths.get(specifier) ?? 0}`;
    },
    layerOrder() {
      const layers = Array.from({ length: datesDepth + 1 }, (_, depth) => `mantine-${depth}`);
      return `@layer mantine-base, ${layers.join(', ')};`;
    },
    stylesFor(names) {
      const styles: string[] = [];
      for (const name of names) {
        const file = exportFiles.get(name);
        if (!file) continue;
        for (const style of stylesOf(file, new Set())) if (!styles.includes(style)) styles.push(style);
      }
      // Lowest layer first, so the sheets also arrive in the order the layers rank them (a
      // module's own sheet can be met before a dependency's: Tabs.mjs imports its CSS
      // module before the tab built on UnstyledButton).
      return styles.sort((a, b) => (depths.get(a) ?? 0) - (depths.get(b) ?? 0));
    },
    datesStyles() {
      // The core components @mantine/dates imports anywhere in its ESM build (a superset of
      // what one picker uses: a few kB more on the one page that has a picker).
      const datesIndex = fileURLToPath(import.meta.resolve('@mantine/dates', `file://${fromDirectory}/`));
      const names = new Set<string>();
      for (const entry of readdirSync(dirname(datesIndex), { recursive: true, encoding: 'utf8' })) {
        if (!entry.endsWith('.mjs')) continue;
        const source = readFileSync(resolve(dirname(datesIndex), entry), 'utf8');
        for (const match of source.matchAll(MANTINE_IMPORT))
          for (const { imported } of specifiers(match[1]!)) names.add(imported);
      }
      return [...this.stylesFor([...names]), DATES_STYLESHEET];
    },
  };
}

/** Which file of Mantine's ESM build each export of its index comes from. */
function exportedFrom(indexFile: string): Map<string, string> {
  const source = readFileSync(indexFile, 'utf8');
  const files = new Map<string, string>();
  for (const match of source.matchAll(/\bimport\s*\{([^}]*)\}\s*from\s*"(\.\/[^"]+)"/g)) {
    for (const { local } of specifiers(match[1]!)) files.set(local, resolve(dirname(indexFile), match[2]!));
  }
  for (const match of source.matchAll(/\bexport\s*\{([^}]*)\}/g)) {
    for (const { imported, local } of specifiers(match[1]!)) {
      const file = files.get(imported);
      if (file && imported !== local) files.set(local, file);
    }
  }
  return files;
}

/** `A, type B, C as D` → [{ imported: 'A', local: 'A' }, { imported: 'C', local: 'D' }] (types skipped). */
function specifiers(list: string): Array<{ imported: string; local: string }> {
  return list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith('type '))
    .map((part) => {
      const [imported, local = imported] = part.split(/\s+as\s+/) as [string, string?];
      return { imported, local };
    });
}

/** The module root.tsx imports the layer order from. */
const LAYER_ORDER_MODULE = 'virtual:mantine-layer-order';

/**
 * The Vite plugin: appends the stylesheet imports to every portal module that imports Mantine
 * components, wraps each Mantine stylesheet imported with `?mantine-layer` in its layer, and
 * serves `virtual:mantine-layer-order` (the `@layer` statement root.tsx puts first).
 */
export function mantineComponentStyles(): Plugin {
  let styles: MantineStyles | undefined;
  return {
    name: 'atrium:mantine-component-styles',
    enforce: 'pre',
    configResolved(config) {
      styles = readMantineStyles(config.root);
    },
    resolveId(id) {
      return id === LAYER_ORDER_MODULE ? `\0${LAYER_ORDER_MODULE}` : null;
    },
    load(id) {
      if (id !== `\0${LAYER_ORDER_MODULE}`) return null;
      return `export default ${JSON.stringify(styles!.layerOrder())};`;
    },
    transform(code, id) {
      const [file, query] = id.split('?') as [string, string?];
      if (query === LAYER_QUERY && file.endsWith('.css')) {
        const specifier = file.slice(file.lastIndexOf('/node_modules/') + '/node_modules/'.length);
        return { code: `@layer ${styles!.layerOf(specifier)} {\n${code}\n}\n`, map: null };
      }
      if (file.includes('/node_modules/') || !/\.(tsx?|jsx?)$/.test(file)) return null;
      const names = [...code.matchAll(MANTINE_IMPORT)].flatMap((match) =>
        specifiers(match[1]!).map(({ imported }) => imported),
      );
      const usesDates = DATES_IMPORT.test(code);
      if (names.length === 0 && !usesDates) return null;
      const stylesheets = [...styles!.stylesFor(names), ...(usesDates ? styles!.datesStyles() : [])];
      const imports = [...new Set(stylesheets)].map((specifier) => `import '${specifier}?${LAYER_QUERY}';`);
      if (imports.length === 0) return null;
      // Appended, so no line of the module moves (imports are hoisted; among them, these come
      // last, after the stylesheets of the portal's own components the module imports).
      return { code: `${code}\n${imports.join('\n')}\n`, map: null };
    },
  };
}
