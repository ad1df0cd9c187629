import { ErrorCode, RowkubeError } from '../src/core/errors.js';

// A refused login is a misconfiguration, not an outage: retrying a wrong
// password only fills the log (and may lock the account). It becomes one
// SOURCE_AUTH error that names the URL holding the credentials. The drivers'
// messages name the user and database, never the password ("using password:
// YES" at most).

export interface CredentialsContext {
  database: 'mysql' | 'postgres';
  /** The source's name in the configuration. */
  source: string;
}

/** MySQL/MariaDB: wrong user or password, no rights on the database, no such database. */
const MYSQL_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR']);
/** PostgreSQL SQLSTATEs: invalid_password, invalid_authorization_specification, invalid_catalog_name. */
const POSTGRES_CODES = new Set(['28P01', '28000', '3D000']);

/**
 * The SOURCE_AUTH error `error` stands for, or undefined when it is not a refused login.
 * Pure: the unit tests feed it the drivers' errors. Ask sourceTlsError first:
 * a TLS-only user reached in plaintext is refused with the same codes.
 */
export function sourceCredentialsError(
  error: unknown,
  context: CredentialsContext,
): RowkubeError | undefined {
  if (error instanceof RowkubeError) return undefined;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const codes = context.database === 'mysql' ? MYSQL_CODES : POSTGRES_CODES;
  if (!codes.has(code)) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new RowkubeError(
    ErrorCode.SOURCE_AUTH,
    `source ${context.source}: the database refused the login (${message}): ` +
      `check the user, password and database in \`sources[name=${context.source}].${context.database}.url\``,
    false,
    { cause: error },
  );
}
