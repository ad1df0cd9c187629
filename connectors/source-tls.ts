import { ErrorCode, RowkubeError } from '../src/core/errors.js';

// TLS failures towards a source database are misconfigurations, not outages:
// retrying an untrusted CA or a user that requires TLS only fills the log. Each
// becomes one SOURCE_TLS error that names the setting to change. Driver
// messages carry no password (they say "using password: YES" at most).

/** Node's certificate verification failures (tls.TLSSocket authorizationError codes). */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface TlsContext {
  database: 'mysql' | 'postgres';
  /** The source's name in the configuration. */
  source: string;
  /** Whether the source configures TLS (`ssl`, or sslmode in a PostgreSQL URL). */
  tls: boolean;
}

function setting(context: TlsContext, key: string): string {
  return `\`sources[name=${context.source}].${context.database}.${key}\``;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The SOURCE_TLS error `error` stands for, or undefined when it is not about TLS.
 * Pure: the unit tests feed it the drivers' errors.
 */
export function sourceTlsError(error: unknown, context: TlsContext): RowkubeError | undefined {
  if (error instanceof RowkubeError) return undefined;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const fail = (text: string) =>
    new RowkubeError(ErrorCode.SOURCE_TLS, `source ${context.source}: ${text}`, false, { cause: error });
  // mysql2 reports every failed TLS handshake as HANDSHAKE_SSL_ERROR with Node's message.
  if ((code && CERTIFICATE_CODES.has(code)) || code === 'HANDSHAKE_SSL_ERROR') {
    const what =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames|does not match/i.test(message)
        ? `the server certificate does not name the host in the URL (${message})`
        : `the server certificate is not trusted (${message})`;
    const fix =
      context.database === 'mysql'
        ? `set ${setting(context, 'ssl.ca')} to the CA that signed it (or ${setting(context, 'ssl.rejectUnauthorized')}: false to skip verification)`
        : `set ${setting(context, 'ssl.ca')} to the CA that signed it (or a weaker ${setting(context, 'ssl.mode')})`;
    return fail(`${what}: ${fix}`);
  }
  if (context.database === 'mysql') {
    if (code === 'HANDSHAKE_NO_SSL_SUPPORT')
      return fail(
        `the server does not offer TLS: enable it on the server or remove ${setting(context, 'ssl')}`,
      );
    // MariaDB and MySQL answer a REQUIRE SSL user without TLS like a wrong password.
    if (code === 'ER_ACCESS_DENIED_ERROR' && !context.tls)
      return fail(
        `${message}: a wrong user or password in ${setting(context, 'url')}, or a user that requires TLS: set ${setting(context, 'ssl')}`,
      );
    return undefined;
  }
  if (/does not support SSL/i.test(message))
    return fail(
      `the server does not offer TLS: enable it on the server or set ${setting(context, 'ssl.mode')} to disable`,
    );
  // pg_hba.conf refuses plaintext for this user (a hostssl line and a hostnossl reject).
  if (code === '28000' && /no encryption/i.test(message))
    return fail(
      `${message}: the server requires TLS for this user: set ${setting(context, 'ssl.mode')} (verify-full)`,
    );
  return undefined;
}
