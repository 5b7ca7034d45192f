// Modules that Vite plugins serve (web/vite/).

/** The `@layer` statement ordering Mantine's cascade layers (web/vite/mantine-styles.ts). */
declare module 'virtual:mantine-layer-order' {
  const layerOrder: string;
  export default layerOrder;
}

/** A Mantine stylesheet wrapped in its cascade layer (web/vite/mantine-styles.ts). */
declare module '*.css?mantine-layer';
