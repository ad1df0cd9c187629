import { describe, expect, it } from 'vitest';
import { mysqlConnectionOptions } from '../../connectors/mysql/mysql-connection.js';
import { clientConfig, pgSsl } from '../../connectors/postgres/postgres-connection.js';
import { sourceTlsError } from '../../connectors/source-tls.js';
import { sourceSchema } from '../../src/core/config/config-schema.js';
import { ErrorCode } from '../../src/core/errors.js';

// TLS settings of the source databases, as the drivers receive them, and the
// driver failures that become one SOURCE_TLS error naming the setting to fix.

const driverError = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('sources[].mysql.ssl', () => {
  it('reaches mysql2 (binlog and queries share the options) and verifies by default', () => {
    const parsed = sourceSchema.parse({
      name: 'app',
      mysql: { url: 'mysql://u:p@db:3306/app', ssl: { ca: 'CA PEM' } },
      tables: ['t'],
    });
    const options = mysqlConnectionOptions(parsed.mysql?.url ?? '', parsed.mysql?.ssl);
    expect(options.ssl).toEqual({ ca: 'CA PEM', cert: undefined, key: undefined, rejectUnauthorized: true });
  });

  it('is plaintext without it', () => {
    expect(mysqlConnectionOptions('mysql://u:p@db/app').ssl).toBeUndefined();
  });
});

describe('sources[].postgres.ssl', () => {
  it('maps each mode to node-postgres', () => {
    expect(pgSsl({ mode: 'disable' })).toBe(false);
    expect(pgSsl({ mode: 'allow' })).toBe(false);
    expect(pgSsl({ mode: 'require' })).toMatchObject({ rejectUnauthorized: false });
    expect(pgSsl({ mode: 'prefer' })).toMatchObject({ rejectUnauthorized: false });
    expect(pgSsl({ mode: 'require', ca: 'CA' })).toMatchObject({ rejectUnauthorized: true, ca: 'CA' });
    const verifyCa = pgSsl({ mode: 'verify-ca', ca: 'CA' });
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: 'CA' });
    // The chain is checked, the host name is not.
    expect((verifyCa as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
    const full = pgSsl({ mode: 'verify-full', ca: 'CA', cert: 'C', key: 'K' });
    expect(full).toEqual({ ca: 'CA', cert: 'C', key: 'K', rejectUnauthorized: true });
  });

  it('defaults to verify-full', () => {
    const parsed = sourceSchema.parse({
      name: 'app',
      postgres: { url: 'postgres://u:p@db/app', ssl: {} },
      tables: ['t'],
    });
    expect(parsed.postgres?.ssl?.mode).toBe('verify-full');
  });

  it("takes the URL's sslmode but keeps ssl's certificates", () => {
    const config = clientConfig('postgres://u:p@db/app?sslmode=require&sslrootcert=/x.pem', {
      mode: 'verify-full',
      ca: 'CA',
    });
    expect(config.connectionString).toBe('postgres://u:p@db/app');
    expect(config.ssl).toMatchObject({ ca: 'CA', rejectUnauthorized: true });
    expect(clientConfig('postgres://u:p@db/app?sslmode=disable', { mode: 'verify-full' }).ssl).toBe(false);
  });

  it('leaves a URL alone without ssl', () => {
    const config = clientConfig('postgres://u:p@db/app?sslmode=require');
    expect(config.connectionString).toBe('postgres://u:p@db/app?sslmode=require');
    expect(config.ssl).toBeUndefined();
  });
});

describe('sourceTlsError', () => {
  const mysql = { database: 'mysql', source: 'app', tls: true } as const;
  const postgres = { database: 'postgres', source: 'app', tls: true } as const;

  it('names ssl.ca for an untrusted certificate', () => {
    for (const [error, context] of [
      [driverError('self-signed certificate in certificate chain', 'HANDSHAKE_SSL_ERROR'), mysql],
      [driverError('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), postgres],
    ] as const) {
      const tls = sourceTlsError(error, context);
      expect(tls?.code).toBe(ErrorCode.SOURCE_TLS);
      expect(tls?.retriable).toBe(false);
      expect(tls?.message).toContain(`sources[name=app].${context.database}.ssl.ca`);
    }
  });

  it('names mysql.ssl for a TLS-only user reached in plaintext, and only then', () => {
    const denied = driverError(
      "Access denied for user 'u'@'h' (using password: YES)",
      'ER_ACCESS_DENIED_ERROR',
    );
    expect(sourceTlsError(denied, { ...mysql, tls: false })?.message).toMatch(
      /requires TLS: set `sources\[name=app\]\.mysql\.ssl`/,
    );
    expect(sourceTlsError(denied, mysql)).toBeUndefined();
  });

  it('names postgres.ssl.mode when pg_hba.conf refuses plaintext', () => {
    const refused = driverError(
      'pg_hba.conf rejects connection for host "127.0.0.1", user "u", database "d", no encryption',
      '28000',
    );
    expect(sourceTlsError(refused, { ...postgres, tls: false })?.message).toContain(
      'sources[name=app].postgres.ssl.mode',
    );
  });

  it('leaves other failures alone', () => {
    expect(sourceTlsError(driverError('connect ECONNREFUSED', 'ECONNREFUSED'), mysql)).toBeUndefined();
    expect(sourceTlsError(driverError('password authentication failed', '28P01'), postgres)).toBeUndefined();
  });
});
