// How the tests and the benches launch Chromium (a module of its own: tests/support/browser.ts
// reads the test run's environment, which a bench has not).
/** As root, without the sandbox; no background traffic (the network is closed here). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
