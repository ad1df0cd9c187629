import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeSink, RowChange } from '../../src/core/change-event.js';
import { type DatabaseKind, dropReplicationSlot, openAdminDatabase } from '../../support/admin-database.js';
import { configFrom } from '../../support/config-file.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { startStages } from '../../support/stage-run.js';
import { waitFor } from '../../support/wait-for.js';

// Capture over TLS with the stack's TLS-only users (MariaDB and MySQL REQUIRE
// SSL, PostgreSQL hostssl), and the two ways it is misconfigured: the TLS-only user
// reached without TLS, and a CA that did not sign the server's certificate.
// Each misconfiguration is one SOURCE_TLS error naming the setting, not a retry
// loop, and the password appears in no log line.
const env = stackEnv({
  needs: [
    'KAFKA_BROKERS',
    'MYSQL_ADMIN_URL',
    'ORACLE_MYSQL_ADMIN_URL',
    'PG_ADMIN_URL',
    'MYSQL_TLS_URL',
    'ORACLE_MYSQL_TLS_URL',
    'PG_TLS_URL',
    'STACK_CA_FILE',
  ],
});
const caFile = env.urls.STACK_CA_FILE;
const tlsUrl = {
  mariadb: env.urls.MYSQL_TLS_URL,
  mysql: env.urls.ORACLE_MYSQL_TLS_URL,
  postgres: env.urls.PG_TLS_URL,
} as const;
const password = (kind: DatabaseKind) => decodeURIComponent(new URL(tlsUrl[kind]).password);

/** A CA of nobody's: well-formed, but it signed none of the stack's certificates. */
function otherCa(): string {
  return execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=not-the-stack-ca',
      '-keyout',
      '/dev/null',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

/** Log lines of a run, as JSON text. */
function logLines(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const out = new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) });
  return { lines, logger: pino({ level: 'debug' }, out) };
}

function sourceSection(kind: DatabaseKind, ssl: object | undefined, extra: object = {}) {
  const key = kind === 'postgres' ? 'postgres' : 'mysql';
  return { [key]: { url: tlsUrl[kind], ...(ssl && { ssl }), ...extra } };
}

describe('database TLS', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it.each([
    ['mariadb', { ca: `\${file:${caFile}}` }],
    ['mysql', { ca: `\${file:${caFile}}` }],
    ['postgres', { mode: 'verify-full', ca: `\${file:${caFile}}` }],
  ] as const)('captures %s over verified TLS as the TLS-only user', async (kind, ssl) => {
    const table = uniqueName('tls');
    const source = uniqueName('src');
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, note VARCHAR(32))`);
    cleanups.push(() => db.exec(`DROP TABLE IF EXISTS ${table}`));
    let extra = {};
    if (kind === 'postgres') {
      // The TLS user does not own the table: the publication is made for it, as a DBA would.
      const publication = uniqueName('pub');
      await db.exec(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
      cleanups.push(() => db.exec(`DROP PUBLICATION IF EXISTS ${publication}`));
      extra = { publication, slot: source };
      cleanups.push(() => dropReplicationSlot(source));
    }
    const config = configFrom({
      kafka: { brokers: env.kafkaBrokers, topicPrefix: uniqueName('rk') },
      sources: [{ name: source, ...sourceSection(kind, ssl, extra), tables: [table] }],
    });
    const appended: RowChange[] = [];
    let commits = 0;
    const { lines, logger } = logLines();
    const run = startStages(config, ['capture'], {
      logger,
      capture: {
        wrapSink: (inner): ChangeSink => ({
          append: (change) => {
            appended.push(change);
            return inner.append(change);
          },
          commit: (info) => inner.commit(info).then(() => void commits++),
          abort: () => inner.abort?.(),
        }),
      },
    });
    cleanups.push(() => run.stop());
    const polling = { timeoutMs: 30_000, intervalMs: 50, abandon: run.died };
    await waitFor('the snapshot', () => (commits > 0 ? true : undefined), polling);
    await db.exec(`INSERT INTO ${table} VALUES (1, 'over tls')`);
    await waitFor('the streamed row', () => appended.find((c) => c.after?.id === 1), polling);
    await run.stop();
    expect(lines.join('')).not.toContain(password(kind));
  });

  it.each([
    [
      'mariadb',
      'no TLS',
      undefined,
      /ROWKUBE_ERR_SOURCE_TLS: .*requires TLS: set `sources\[name=[^\]]+\]\.mysql\.ssl`/,
    ],
    [
      'mariadb',
      'another CA',
      { ca: otherCa() },
      /ROWKUBE_ERR_SOURCE_TLS: .*not trusted.*`sources\[name=[^\]]+\]\.mysql\.ssl\.ca`/,
    ],
    [
      'mysql',
      'no TLS',
      undefined,
      /ROWKUBE_ERR_SOURCE_TLS: .*requires TLS: set `sources\[name=[^\]]+\]\.mysql\.ssl`/,
    ],
    [
      'mysql',
      'another CA',
      { ca: otherCa() },
      /ROWKUBE_ERR_SOURCE_TLS: .*not trusted.*`sources\[name=[^\]]+\]\.mysql\.ssl\.ca`/,
    ],
    [
      'postgres',
      'no TLS',
      undefined,
      /ROWKUBE_ERR_SOURCE_TLS: .*requires TLS.*`sources\[name=[^\]]+\]\.postgres\.ssl\.mode`/,
    ],
    [
      'postgres',
      'another CA',
      { mode: 'verify-full', ca: otherCa() },
      /ROWKUBE_ERR_SOURCE_TLS: .*not trusted.*`sources\[name=[^\]]+\]\.postgres\.ssl\.ca`/,
    ],
  ] as const)('%s with %s fails once, naming the setting', async (kind, _label, ssl, expected) => {
    const source = uniqueName('src');
    const config = configFrom({
      kafka: { brokers: env.kafkaBrokers, topicPrefix: uniqueName('rk') },
      sources: [{ name: source, ...sourceSection(kind, ssl), tables: ['never_reached'] }],
    });
    const { lines, logger } = logLines();
    const run = startStages(config, ['capture'], { logger });
    // The capture stage stops with "every source failed", caused by the source's error.
    const died = await run.died.catch((error: unknown) => error);
    await run.stop().catch(() => undefined);
    const failure = (died as Error).cause;
    expect(String(failure)).toMatch(expected);
    expect(String(failure)).not.toContain(password(kind));
    // Not retried: no "retrying from the stored position" before the failure.
    expect(lines.filter((line) => line.includes('retrying'))).toEqual([]);
    expect(lines.join('')).not.toContain(password(kind));
  });
});
