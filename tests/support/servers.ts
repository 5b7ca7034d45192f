// The real servers a test file asked for with `// @needs-servers: …` (scripts/test-servers.ts
// starts them for the run). Each getter fails with a clear message when the file forgot to
// ask, instead of a connection error later.
import { z } from 'zod';

const ServersEnv = z.object({
  ATRIUM_TEST_VAULT_ADDR: z.url().optional(),
  ATRIUM_TEST_VAULT_TOKEN: z.string().optional(),
  ATRIUM_TEST_VAULT_BIN: z.string().optional(),
  ATRIUM_TEST_STRIPE_HOST: z.string().optional(),
  ATRIUM_TEST_STRIPE_PORT: z.coerce.number().int().positive().optional(),
  ATRIUM_TEST_STRIPE_SECRET_KEY: z.string().optional(),
  ATRIUM_TEST_KUBECONFIG: z.string().optional(),
  ATRIUM_TEST_KUBECONFIG_LIMITED: z.string().optional(),
  ATRIUM_TEST_OTLP_ENDPOINT: z.url().optional(),
  ATRIUM_TEST_JAEGER_QUERY_URL: z.url().optional(),
});

const env = ServersEnv.parse(process.env);

function missing(server: string): Error {
  return new Error(
    `This test needs the ${server} server: add "// @needs-servers: ${server}" near the top of the file and run it through npm test.`,
  );
}

/** OpenBao in dev mode (the Vault HTTP API), with KV v2 at secret/, transit and AppRole enabled. */
export function vaultServer(): { address: string; rootToken: string } {
  if (!env.ATRIUM_TEST_VAULT_ADDR || !env.ATRIUM_TEST_VAULT_TOKEN) throw missing('vault');
  return { address: env.ATRIUM_TEST_VAULT_ADDR, rootToken: env.ATRIUM_TEST_VAULT_TOKEN };
}

/** The OpenBao binary the dev-mode server runs, for a server of a test's own. */
export function vaultBinary(): string {
  if (!env.ATRIUM_TEST_VAULT_BIN) throw missing('vault');
  return env.ATRIUM_TEST_VAULT_BIN;
}

/** stripe-mock over plain HTTP (it accepts any sk_test_ key). */
export function stripeServer(): { host: string; port: number; secretKey: string } {
  if (!env.ATRIUM_TEST_STRIPE_HOST || !env.ATRIUM_TEST_STRIPE_PORT || !env.ATRIUM_TEST_STRIPE_SECRET_KEY)
    throw missing('stripe');
  return {
    host: env.ATRIUM_TEST_STRIPE_HOST,
    port: env.ATRIUM_TEST_STRIPE_PORT,
    secretKey: env.ATRIUM_TEST_STRIPE_SECRET_KEY,
  };
}

/** The local Kubernetes control plane: a cluster-admin kubeconfig and a namespaced one. */
export function kubeServer(): { kubeconfig: string; limitedKubeconfig: string } {
  if (!env.ATRIUM_TEST_KUBECONFIG || !env.ATRIUM_TEST_KUBECONFIG_LIMITED) throw missing('kube');
  return { kubeconfig: env.ATRIUM_TEST_KUBECONFIG, limitedKubeconfig: env.ATRIUM_TEST_KUBECONFIG_LIMITED };
}

/** Jaeger all-in-one: its OTLP/HTTP receiver and its query API. */
export function jaegerServer(): { otlpEndpoint: string; queryUrl: string } {
  if (!env.ATRIUM_TEST_OTLP_ENDPOINT || !env.ATRIUM_TEST_JAEGER_QUERY_URL) throw missing('jaeger');
  return { otlpEndpoint: env.ATRIUM_TEST_OTLP_ENDPOINT, queryUrl: env.ATRIUM_TEST_JAEGER_QUERY_URL };
}

/** The environment that turns tracing on in the API and the worker, into the run's Jaeger. */
export function tracingEnv(): Record<string, string> {
  const { otlpEndpoint, queryUrl } = jaegerServer();
  return { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, TRACES_QUERY_URL: queryUrl };
}

/**
 * The worker's environment for the real servers a test asked for: VAULT_* for OpenBao,
 * STRIPE_* for stripe-mock (a price per plan), KUBECONFIG for the local control plane
 * (`kube: 'limited'` gives the namespaced user that may not create namespaces).
 */
export function workerEnvFor(servers: {
  vault?: boolean;
  stripe?: boolean;
  kube?: 'admin' | 'limited';
}): Record<string, string> {
  const result: Record<string, string> = {};
  if (servers.vault) {
    const { address, rootToken } = vaultServer();
    Object.assign(result, { VAULT_ADDR: address, VAULT_TOKEN: rootToken });
  }
  if (servers.stripe) {
    const { host, port, secretKey } = stripeServer();
    Object.assign(result, {
      STRIPE_SECRET_KEY: secretKey,
      STRIPE_API_HOST: host,
      STRIPE_API_PORT: String(port),
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_PRICES: JSON.stringify({ free: 'price_free', team: 'price_team', enterprise: 'price_enterprise' }),
    });
  }
  if (servers.kube) {
    const { kubeconfig, limitedKubeconfig } = kubeServer();
    result.KUBECONFIG = servers.kube === 'admin' ? kubeconfig : limitedKubeconfig;
  }
  return result;
}
