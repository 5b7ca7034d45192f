// The Kubernetes manifests in deploy/kubernetes/, read as the objects they hold, and the
// environment a container of theirs gets (its env, plus the ConfigMaps and Secrets it reads,
// the Secrets taken from examples/secrets.yaml). Used by the unit test of their invariants
// and the integration test that applies them with server-side dry-run.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MANIFESTS_DIR = join(ROOT, 'deploy/kubernetes');

export interface ManifestObject extends k8s.KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: k8s.V1ObjectMeta & { name: string };
  /** The file it came from, relative to deploy/kubernetes/. */
  file: string;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

/** Every object of every YAML file under deploy/kubernetes/, in file order. */
export function loadManifests(): ManifestObject[] {
  return yamlFiles(MANIFESTS_DIR)
    .sort()
    .flatMap((path) =>
      (k8s.loadAllYaml(readFileSync(path, 'utf8')) as unknown[])
        .filter((object) => object !== null && object !== undefined)
        .map((object) => ({ ...(object as Omit<ManifestObject, 'file'>), file: relative(MANIFESTS_DIR, path) })),
    );
}

/** The one object of this kind and name; throws naming what is there when it is missing. */
export function find<T>(objects: ManifestObject[], kind: string, name: string): ManifestObject & T {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} in deploy/kubernetes/ (there are: ${objects.map((o) => `${o.kind} ${o.metadata.name}`).join(', ')})`,
    );
  return found as ManifestObject & T;
}

/** Secret data as strings, from stringData or base64 data. */
function secretData(secret: k8s.V1Secret): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, atob(value)])),
    ...(secret.stringData ?? {}),
  };
}

/**
 * What the process in `container` sees in its environment: envFrom's ConfigMaps and Secrets
 * (from the manifests), then env (values and references). A reference to a missing object or
 * key throws, as the kubelet would refuse to start the container.
 */
export function containerEnv(objects: ManifestObject[], container: k8s.V1Container): Record<string, string> {
  // A reference without a name is refused by the API server; here it names nothing.
  const configMap = (name = '') => find<k8s.V1ConfigMap>(objects, 'ConfigMap', name).data ?? {};
  const secret = (name = '') => secretData(find<k8s.V1Secret>(objects, 'Secret', name));
  const pick = (data: Record<string, string>, key: string, from: string) => {
    const value = data[key];
    if (value === undefined) throw new Error(`${container.name}: ${from} has no key ${key}`);
    return value;
  };
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, configMap(source.configMapRef.name));
    if (source.secretRef) Object.assign(env, secret(source.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (ref?.secretKeyRef)
      env[variable.name] = pick(
        secret(ref.secretKeyRef.name),
        ref.secretKeyRef.key,
        `Secret ${String(ref.secretKeyRef.name)}`,
      );
    else if (ref?.configMapKeyRef)
      env[variable.name] = pick(
        configMap(ref.configMapKeyRef.name),
        ref.configMapKeyRef.key,
        `ConfigMap ${String(ref.configMapKeyRef.name)}`,
      );
    else throw new Error(`${container.name}: ${variable.name} has no value this test can read`);
  }
  return env;
}

/** The pod template of a workload object (Deployment or Job). */
export function podSpec(object: ManifestObject): k8s.V1PodSpec {
  const spec = (object as unknown as { spec?: { template?: { spec?: k8s.V1PodSpec } } }).spec?.template?.spec;
  if (!spec) throw new Error(`${object.kind} ${object.metadata.name} has no pod template`);
  return spec;
}

/** The workloads: every object with a pod template. */
export function workloads(objects: ManifestObject[]): ManifestObject[] {
  return objects.filter((object) => ['Deployment', 'Job', 'StatefulSet', 'DaemonSet', 'CronJob'].includes(object.kind));
}
