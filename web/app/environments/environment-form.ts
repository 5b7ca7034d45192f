// The environment forms' text fields as the API's request bodies, and back. Variables are one
// `NAME=value` a line; secret references a comma list; freeze windows one a line:
//
//   once 2026-12-24T00:00:00Z 2026-12-27T00:00:00Z Holidays
//   weekly fri,sat 16:00-23:59 Europe/Berlin Weekend
//
// Pure (no server code), so the page shows the same text it sends. The API validates the result
// and names fields by the request's paths; `fieldOfPath` maps them back to the form's fields.
import type { EnvironmentConfiguration, EnvironmentProtection, FreezeWindow } from '../../../contracts/index.ts';

export interface EnvironmentFormText {
  replicas: string;
  variables: string;
  secretRefs: string;
  cpuRequest: string;
  memoryRequest: string;
  cpuLimit: string;
  memoryLimit: string;
  deployRoles: string[];
  soakMinutes: string;
  freezeWindows: string;
}

/** A field of the form the text could not be read from, with what is wrong. */
export class FormTextError extends Error {
  readonly field: keyof EnvironmentFormText;
  constructor(field: keyof EnvironmentFormText, message: string) {
    super(message);
    this.field = field;
  }
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);

function numberOr(text: string, fallback: number): number | string {
  if (text.trim() === '') return fallback;
  const value = Number(text);
  // Left as text when it is no number: the API's schema names the field.
  return Number.isFinite(value) ? value : text;
}

export function freezeWindowText(window: FreezeWindow): string {
  return window.kind === 'once'
    ? `once ${window.start} ${window.end} ${window.reason}`
    : `weekly ${window.days.join(',')} ${window.start}-${window.end} ${window.timeZone} ${window.reason}`;
}

function parseFreezeWindow(line: string, index: number): Record<string, unknown> {
  const [kind, ...rest] = line.split(/\s+/);
  if (kind === 'once') {
    const [start, end, ...reason] = rest;
    return { kind, start, end, reason: reason.join(' ') };
  }
  if (kind === 'weekly') {
    const [days = '', times = '', timeZone, ...reason] = rest;
    const [start, end] = times.split('-');
    return { kind, days: days.split(',').filter(Boolean), start, end, timeZone, reason: reason.join(' ') };
  }
  throw new FormTextError('freezeWindows', `Line ${index + 1}: start with "once" or "weekly".`);
}

/** The form's text as the API's configuration and protection (validated by the API, field by field). */
export function environmentBodyFromForm(text: EnvironmentFormText): {
  configuration: Record<string, unknown>;
  protection: Record<string, unknown>;
} {
  const variables: Record<string, string> = {};
  for (const [index, line] of lines(text.variables).entries()) {
    const at = line.indexOf('=');
    if (at <= 0) throw new FormTextError('variables', `Line ${index + 1}: write NAME=value.`);
    variables[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  const pair = (cpu: string, memory: string) => ({
    ...(cpu.trim() ? { cpu: cpu.trim() } : {}),
    ...(memory.trim() ? { memory: memory.trim() } : {}),
  });
  const requests = pair(text.cpuRequest, text.memoryRequest);
  const limits = pair(text.cpuLimit, text.memoryLimit);
  const hasResources = Object.keys(requests).length > 0 || Object.keys(limits).length > 0;
  return {
    configuration: {
      variables,
      secretRefs: text.secretRefs
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      replicas: numberOr(text.replicas, 1),
      resources: hasResources ? { requests, limits } : null,
    },
    protection: {
      deployRoles: text.deployRoles,
      soakMinutes: numberOr(text.soakMinutes, 0),
      freezeWindows: lines(text.freezeWindows).map(parseFreezeWindow),
    },
  };
}

/** An environment's configuration and protection as the form shows them. */
export function formTextOf(
  configuration: EnvironmentConfiguration,
  protection: EnvironmentProtection,
): EnvironmentFormText {
  return {
    replicas: String(configuration.replicas),
    variables: Object.entries(configuration.variables)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
    secretRefs: configuration.secretRefs.join(', '),
    cpuRequest: configuration.resources?.requests.cpu ?? '',
    memoryRequest: configuration.resources?.requests.memory ?? '',
    cpuLimit: configuration.resources?.limits.cpu ?? '',
    memoryLimit: configuration.resources?.limits.memory ?? '',
    deployRoles: [...protection.deployRoles],
    soakMinutes: String(protection.soakMinutes),
    freezeWindows: protection.freezeWindows.map(freezeWindowText).join('\n'),
  };
}

const RESOURCE_FIELDS: Record<string, keyof EnvironmentFormText> = {
  'requests.cpu': 'cpuRequest',
  'requests.memory': 'memoryRequest',
  'limits.cpu': 'cpuLimit',
  'limits.memory': 'memoryLimit',
};

/**
 * The form field an API error path belongs to, and how to say it: a freeze window's error names
 * its line (`protection.freezeWindows.1.end` → freezeWindows, "Line 2: …").
 */
export function fieldOfPath(
  path: string,
  message: string,
): { field: keyof EnvironmentFormText | 'name'; message: string } {
  const parts = path.split('.');
  if (parts[0] === 'name') return { field: 'name', message };
  if (parts[0] === 'configuration') {
    const [, key, ...rest] = parts;
    if (key === 'resources') return { field: RESOURCE_FIELDS[rest.join('.')] ?? 'cpuRequest', message };
    if (key === 'variables' && rest[0]) return { field: 'variables', message: `${rest[0]}: ${message}` };
    if (key === 'replicas' || key === 'variables' || key === 'secretRefs') return { field: key, message };
  }
  if (parts[0] === 'protection') {
    const [, key, index] = parts;
    if (key === 'freezeWindows' && index !== undefined)
      return { field: 'freezeWindows', message: `Line ${Number(index) + 1}: ${message}` };
    if (key === 'deployRoles' || key === 'soakMinutes' || key === 'freezeWindows') return { field: key, message };
  }
  return { field: 'variables', message: `${path}: ${message}` };
}
