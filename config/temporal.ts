// How the API and the worker reach Temporal beyond its address: TLS (a private CA, a server
// name), a client certificate (mTLS, as Temporal Cloud and clusters with mTLS ask), or an API
// key (Temporal Cloud). Read once at boot; the certificate files are read then too, so a wrong
// path stops the process at start, naming the variable.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './env.ts';

export const temporalConnectionSettings = {
  /** Unset: TLS when any of the settings below is given, plaintext otherwise. */
  TEMPORAL_TLS: z.enum(['on', 'off'], { error: 'must be on or off' }).optional(),
  TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
};

type TemporalConnectionSettings = z.output<z.ZodObject<typeof temporalConnectionSettings>>;

/** What Connection.connect and NativeConnection.connect take besides the address. */
export interface TemporalConnectionConfig {
  tls:
    | false
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
  apiKey?: string;
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([
      `${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    ]);
  }
}

export function temporalConnectionFrom(parsed: TemporalConnectionSettings): TemporalConnectionConfig {
  const certFile = parsed.TEMPORAL_TLS_CERT_FILE;
  const keyFile = parsed.TEMPORAL_TLS_KEY_FILE;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError([
      `${certFile === undefined ? 'TEMPORAL_TLS_CERT_FILE' : 'TEMPORAL_TLS_KEY_FILE'}: give TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE together (the client certificate and its key)`,
    ]);
  const tlsDetails = [certFile, parsed.TEMPORAL_TLS_CA_FILE, parsed.TEMPORAL_TLS_SERVER_NAME].some(
    (value) => value !== undefined,
  );
  if (parsed.TEMPORAL_TLS === 'off' && tlsDetails)
    throw new ConfigError([
      'TEMPORAL_TLS: is off, but TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_CA_FILE or TEMPORAL_TLS_SERVER_NAME is set',
    ]);
  const apiKey = parsed.TEMPORAL_API_KEY !== undefined ? { apiKey: parsed.TEMPORAL_API_KEY } : {};
  // An API key travels in every request's metadata: TLS unless told otherwise.
  const tlsOn =
    parsed.TEMPORAL_TLS === 'on' || (parsed.TEMPORAL_TLS === undefined && (tlsDetails || 'apiKey' in apiKey));
  if (!tlsOn) return { tls: false, ...apiKey };
  return {
    tls: {
      ...(parsed.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: parsed.TEMPORAL_TLS_SERVER_NAME } : {}),
      ...(parsed.TEMPORAL_TLS_CA_FILE
        ? { serverRootCACertificate: readPem('TEMPORAL_TLS_CA_FILE', parsed.TEMPORAL_TLS_CA_FILE) }
        : {}),
      ...(certFile && keyFile
        ? {
            clientCertPair: {
              crt: readPem('TEMPORAL_TLS_CERT_FILE', certFile),
              key: readPem('TEMPORAL_TLS_KEY_FILE', keyFile),
            },
          }
        : {}),
    },
    ...apiKey,
  };
}
