import { describe, expect, it } from 'vitest';
import { mysqlSetupError } from '../../connectors/mysql/mysql-connection.js';
import { pgSetupError } from '../../connectors/postgres/postgres-connection.js';
import { sourceCredentialsError } from '../../connectors/source-credentials.js';
import { ErrorCode } from '../../src/core/errors.js';

// A refused database login is one SOURCE_AUTH error naming the source's URL,
// not an outage to retry.

const driverError = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('sourceCredentialsError', () => {
  it('names mysql.url for a wrong password, a database the user may not use, or no such database', () => {
    for (const code of ['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR']) {
      const error = sourceCredentialsError(driverError("Access denied for user 'u'@'h'", code), {
        database: 'mysql',
        source: 'app',
      });
      expect(error?.code).toBe(ErrorCode.SOURCE_AUTH);
      expect(error?.retriable).toBe(false);
      expect(error?.message).toContain("Access denied for user 'u'@'h'");
      expect(error?.message).toContain('`sources[name=app].mysql.url`');
    }
  });

  it('names postgres.url for a wrong password, an unknown role or no such database', () => {
    for (const code of ['28P01', '28000', '3D000']) {
      const error = sourceCredentialsError(driverError('password authentication failed for user "u"', code), {
        database: 'postgres',
        source: 'billing',
      });
      expect(error?.code).toBe(ErrorCode.SOURCE_AUTH);
      expect(error?.message).toContain('`sources[name=billing].postgres.url`');
    }
  });

  it('leaves outages and other failures alone', () => {
    const mysql = { database: 'mysql', source: 'app' } as const;
    expect(
      sourceCredentialsError(driverError('connect ECONNREFUSED', 'ECONNREFUSED'), mysql),
    ).toBeUndefined();
    expect(
      sourceCredentialsError(driverError('no RELOAD', 'ER_SPECIFIC_ACCESS_DENIED_ERROR'), mysql),
    ).toBeUndefined();
    expect(sourceCredentialsError(new Error('no code'), mysql)).toBeUndefined();
  });
});

describe('setup errors', () => {
  it('a TLS-only user reached in plaintext is a TLS error first, a wrong password over TLS a login error', () => {
    const denied = driverError(
      "Access denied for user 'u'@'h' (using password: YES)",
      'ER_ACCESS_DENIED_ERROR',
    );
    expect(mysqlSetupError(denied, { source: 'app' })?.code).toBe(ErrorCode.SOURCE_TLS);
    expect(mysqlSetupError(denied, { source: 'app', ssl: { rejectUnauthorized: true } })?.code).toBe(
      ErrorCode.SOURCE_AUTH,
    );
    const refused = driverError(
      'pg_hba.conf rejects connection for host "127.0.0.1", user "u", database "d", no encryption',
      '28000',
    );
    expect(pgSetupError(refused, 'postgres://u@h/d', 'app')?.code).toBe(ErrorCode.SOURCE_TLS);
    const wrong = driverError('password authentication failed for user "u"', '28P01');
    expect(pgSetupError(wrong, 'postgres://u@h/d?sslmode=verify-full', 'app')?.code).toBe(
      ErrorCode.SOURCE_AUTH,
    );
  });
});
