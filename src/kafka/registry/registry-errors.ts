import { ErrorCode, RowkubeError } from '../../core/errors.js';

// What a failed registry call means, and which setting fixes it. One place,
// so that the capture, the processor, the sink, tail and replay say the same.
// A registry that is down or overloaded is retriable: the stages wait it out
// like a Kafka broker that is away (restarting-stage.ts, retry-backoff.ts).
// Credentials, certificates and refused schemas are not: retrying cannot fix
// them, so they fail once with the setting to change.

export interface RegistryCall {
  /** The registry's base URL without credentials (displayUrl). */
  url: string;
  /** What rowkube was doing, e.g. "registering subject 'app.orders-value'". */
  action: string;
  /** Set when registering: the subject a 409 names. */
  subject?: string;
  /** What the schema belongs to, e.g. "table appdb/shop.orders". */
  about?: string;
}

/** Network and TLS error codes of node:http(s) that mean a certificate problem. */
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
]);

/** Codes of a registry that is not there (yet): worth waiting for. */
const DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ROWKUBE_TIMEOUT',
]);

/** A failure below HTTP: no connection, or TLS refused. */
export function registryNetworkError(call: RegistryCall, error: unknown): RowkubeError {
  const code = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  const prefix = `${call.action} at ${call.url} failed`;
  if (typeof code === 'string' && CERT_CODES.has(code)) {
    return new RowkubeError(
      ErrorCode.SCHEMA_REGISTRY,
      `${prefix}: the registry's certificate is not trusted (${code}); give the CA that signed it in schemaRegistry.ssl.ca`,
      false,
      { cause: error },
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new RowkubeError(
      ErrorCode.SCHEMA_REGISTRY,
      `${prefix}: the registry's certificate does not name this host (${reason}); fix the host in schemaRegistry.url or set schemaRegistry.ssl.servername`,
      false,
      { cause: error },
    );
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(reason)) {
    return new RowkubeError(
      ErrorCode.SCHEMA_REGISTRY,
      `${prefix}: TLS met a port that does not speak it (${reason}); use http:// in schemaRegistry.url for a plaintext port`,
      false,
      { cause: error },
    );
  }
  const down = typeof code === 'string' && DOWN_CODES.has(code);
  return new RowkubeError(
    ErrorCode.SCHEMA_REGISTRY,
    down
      ? `${prefix}: the registry cannot be reached (${code}); is it running, and is schemaRegistry.url right?`
      : `${prefix}: ${reason}`,
    // An unknown network failure is treated like a registry that is away.
    true,
    { cause: error },
  );
}

/** An HTTP answer other than 2xx. `message` is the registry's own (its JSON `message` field). */
export function registryHttpError(call: RegistryCall, status: number, message: string): RowkubeError {
  const prefix = `${call.action} at ${call.url} failed (HTTP ${status})`;
  if (status === 401 || status === 403) {
    return new RowkubeError(
      ErrorCode.SCHEMA_REGISTRY,
      `${prefix}: the registry refused rowkube's credentials${message === '' ? '' : ` (${message})`}; check schemaRegistry.auth`,
    );
  }
  if ((status === 409 || status === 422) && call.subject !== undefined) {
    const about = call.about === undefined ? '' : ` of ${call.about}`;
    return new RowkubeError(
      ErrorCode.SCHEMA_REFUSED,
      `the registry refused the schema${about} for subject '${call.subject}' (HTTP ${status}): ${message || 'no reason given'}; ` +
        `change the subject's compatibility (PUT /config/${call.subject}) or the table so the schema is compatible`,
    );
  }
  if (status === 404) {
    return new RowkubeError(
      ErrorCode.SCHEMA_NOT_FOUND,
      `${prefix}: ${message || 'not found'}; is schemaRegistry.url the registry the writer used?`,
    );
  }
  // 5xx, 408, 429: the registry is overloaded or restarting.
  const retriable = status >= 500 || status === 408 || status === 429;
  return new RowkubeError(ErrorCode.SCHEMA_REGISTRY, `${prefix}: ${message || 'no reason given'}`, retriable);
}

/** The URL as it may be shown: credentials in it (user:password@) are dropped. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid URL)';
  }
}
