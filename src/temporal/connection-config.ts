import { accessSync, constants } from 'node:fs';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { DEFAULT_TEMPORAL_ADDRESS } from '../config/settings.js';
import { InputError } from '../errors.js';

/**
 * Where and how to reach Temporal, from Temporal's own environment configuration (the one the
 * `temporal` CLI reads): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
 * and TOML profiles (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE). One config serves the CLI, every
 * `dnnbench` command and every worker.
 */
export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Options for NativeConnection (workers) and Connection (clients): address, tls, apiKey. */
  connectionOptions: ClientConnectConfig['connectionOptions'];
  /** What to print: address, namespace, whether TLS/mTLS/API key are on. Never a secret. */
  summary: string;
}

const PATH_SETTINGS = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_CONFIG_FILE'];

/** Checks the settings that name files, and pairs that only make sense together, before any connection. */
function checkSettings(env: NodeJS.ProcessEnv): void {
  for (const name of PATH_SETTINGS) {
    const file = env[name];
    if (!file) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new InputError(`${name} names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const hasKey = env.TEMPORAL_TLS_CLIENT_KEY_PATH || env.TEMPORAL_TLS_CLIENT_KEY_DATA;
  const hasCert = env.TEMPORAL_TLS_CLIENT_CERT_PATH || env.TEMPORAL_TLS_CLIENT_CERT_DATA;
  if (hasKey && !hasCert) throw new InputError('a TLS client key is set (TEMPORAL_TLS_CLIENT_KEY_*) without its certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH or _DATA too');
  if (hasCert && !hasKey) throw new InputError('a TLS client certificate is set (TEMPORAL_TLS_CLIENT_CERT_*) without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH or _DATA too');
}

function checkAddress(address: string, source: string): void {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new InputError(`${source} is "${address}", not host:port (e.g. localhost:7233 or temporal.lab:7233)`);
  }
}

/** True when a Temporal server is configured (environment or profile): no embedded dev server then. */
export function temporalConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.TEMPORAL_ADDRESS) return true;
  if (!env.TEMPORAL_CONFIG_FILE && !env.TEMPORAL_PROFILE) return false;
  return Boolean(loadTarget(env, undefined).connectionOptions.address);
}

function loadTarget(env: NodeJS.ProcessEnv, fallbackAddress: string | undefined): TemporalTarget {
  checkSettings(env);
  let config: ClientConnectConfig;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
  } catch (err) {
    throw new InputError(`Temporal connection settings (TEMPORAL_CONFIG_FILE/TEMPORAL_PROFILE/TEMPORAL_*): ${(err as Error).message}`);
  }
  const opts = { ...config.connectionOptions };
  const address = opts.address ?? fallbackAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  checkAddress(address, env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : 'the Temporal address');
  opts.address = address;
  const namespace = config.namespace ?? 'default';
  const tls = opts.tls;
  const mtls = typeof tls === 'object' && tls !== null && Boolean(tls.clientCertPair);
  const parts = [`${address}`, `namespace ${namespace}`, tls ? (mtls ? 'mTLS' : 'TLS') : 'plaintext', ...(opts.apiKey ? ['API key'] : [])];
  return { address, namespace, connectionOptions: opts, summary: parts.join(', ') };
}

/** The configured target; `fallbackAddress` (the embedded dev server) when nothing names one. */
export function temporalTarget(fallbackAddress?: string, env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  return loadTarget(env, fallbackAddress);
}

/**
 * The SDK's connection errors are cryptic ("transport error", "ConnectionReset", "Failed to
 * connect before the deadline"): say in our words what was refused and which setting to check.
 */
export function explainConnectionError(target: TemporalTarget, err: unknown): InputError {
  const raw = String((err as Error)?.message ?? err).split('\n')[0]!;
  const tls = target.connectionOptions.tls;
  let hint = 'is the server running there? (set TEMPORAL_ADDRESS, or start one with `dnnbench dev-server`)';
  if (/refused|ECONNREFUSED|ConnectError/i.test(raw) && !/reset|handshake|certificate|tls/i.test(raw)) {
    hint = 'nothing accepted the connection: is the server running there? (TEMPORAL_ADDRESS, or `dnnbench dev-server`)';
  } else if (/H2NotNegotiated|alpn/i.test(raw)) {
    hint = 'the TLS endpoint did not negotiate HTTP/2 (ALPN h2): a TLS proxy in front of Temporal must offer h2';
  } else if (/reset|handshake|certificate|UnknownIssuer|BadCertificate|tls|transport error|deadline/i.test(raw)
    // Under TLS 1.3 a server refusing the client's certificate alerts after the client thinks the
    // handshake is done, so the client may only see the connection closed under its first call.
    || (tls && /connection closed|operation was canceled/i.test(raw))) {
    hint = tls
      ? 'the TLS handshake failed: check TEMPORAL_TLS_SERVER_CA_CERT_PATH (the CA that signed the server), TEMPORAL_TLS_SERVER_NAME, and for mTLS TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH (a certificate the server\'s CA signed)'
      : 'the server may require TLS: set TEMPORAL_TLS=true (and TEMPORAL_TLS_* for certificates)';
  }
  return new InputError(`cannot connect to Temporal at ${target.summary}: ${hint}. (${raw.slice(0, 300)})`);
}
