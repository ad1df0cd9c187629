import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCaptureOptions, runPostgresCapture } from '../../connectors/postgres/index.js';
import { clientConfig } from '../../connectors/postgres/postgres-connection.js';
import { runPreflight } from '../../connectors/postgres/postgres-preflight.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { RecordingSink } from '../../support/recording-sink.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';

// Misconfigurations stop capture before anything is read, with a stable code
// and a message that says what to run.
describe('connectors > postgres > preflight', () => {
  const env = stackEnv();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const prefix = uniqueName('pg_pre');
  const withKey = `${prefix}_ok`;
  const noKey = `${prefix}_nokey`;
  const nothing = `${prefix}_nothing`;
  const extra = `${prefix}_extra`;
  const view = `${prefix}_view`;
  const role = uniqueName('norepl');
  const slot = `${prefix}_slot`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: env.pgAdminUrl });
    await admin.connect();
    await admin.query(`CREATE TABLE ${withKey} (id INT PRIMARY KEY, body TEXT, n INT)`);
    await admin.query(`CREATE TABLE ${noKey} (id INT, body TEXT)`);
    await admin.query(`CREATE TABLE ${nothing} (id INT PRIMARY KEY)`);
    await admin.query(`CREATE TABLE ${extra} (id INT PRIMARY KEY)`);
    await admin.query(`ALTER TABLE ${nothing} REPLICA IDENTITY NOTHING`);
    await admin.query(`CREATE VIEW ${view} AS SELECT * FROM ${withKey}`);
    await admin.query(`CREATE PUBLICATION ${prefix}_pub FOR TABLE ${withKey}`);
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
  });

  afterAll(async () => {
    await admin?.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    await admin?.query(`DROP PUBLICATION IF EXISTS ${prefix}_pub`);
    await admin?.query(`DROP VIEW IF EXISTS ${view}`);
    for (const table of [withKey, noKey, nothing, extra]) await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.query(`DROP ROLE IF EXISTS ${role}`);
    await admin?.end();
  });

  function options(overrides: Partial<PostgresCaptureOptions>): PostgresCaptureOptions {
    return {
      name: 'pgtest',
      url: env.pgUrl,
      slot,
      publication: `${prefix}_pub`,
      tables: [withKey],
      sink: new RecordingSink(),
      loadOffset: async () => undefined,
      logger,
      ...overrides,
    };
  }

  async function failure(overrides: Partial<PostgresCaptureOptions>): Promise<RowkubeError> {
    const error = await runPostgresCapture(options(overrides)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RowkubeError);
    return error as RowkubeError;
  }

  it('refuses a table that does not exist, or is a view', async () => {
    const missing = await failure({ tables: [withKey, `${prefix}_missing`] });
    expect(missing.code).toBe(ErrorCode.TABLE_NOT_FOUND);
    expect(missing.message).toContain(`public.${prefix}_missing not found`);
    const notATable = await failure({ tables: [view] });
    expect(notATable.code).toBe(ErrorCode.TABLE_NOT_FOUND);
    expect(notATable.message).toContain('is not a table');
  });

  it('refuses a table without a primary key, REPLICA IDENTITY FULL being no substitute', async () => {
    const error = await failure({ tables: [`public.${noKey}`] });
    expect(error.code).toBe(ErrorCode.NO_PRIMARY_KEY);
    expect(error.message).toContain(`ALTER TABLE public.${noKey} ADD PRIMARY KEY`);
    expect(error.message).toContain('REPLICA IDENTITY FULL');
  });

  it('refuses REPLICA IDENTITY NOTHING', async () => {
    const error = await failure({ tables: [nothing] });
    expect(error.code).toBe(ErrorCode.CONFIG);
    expect(error.message).toContain(`ALTER TABLE public.${nothing} REPLICA IDENTITY DEFAULT`);
  });

  it('refuses a user without the REPLICATION attribute', async () => {
    const url = new URL(env.pgUrl);
    url.username = role;
    url.password = 'secret';
    const error = await failure({ url: url.toString() });
    expect(error.code).toBe(ErrorCode.PRIVILEGES);
    expect(error.message).toContain(`ALTER ROLE ${role} REPLICATION`);
  });

  it('says to create the publication as the table owner when the capture user may not', async () => {
    const error = await failure({ publication: `${prefix}_missing_pub` });
    expect(error.code).toBe(ErrorCode.PRIVILEGES);
    expect(error.message).toContain(
      `CREATE PUBLICATION "${prefix}_missing_pub" FOR TABLE "public"."${withKey}" WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)`,
    );
    const extend = await failure({ tables: [withKey, extra] });
    expect(extend.code).toBe(ErrorCode.PRIVILEGES);
    expect(extend.message).toContain(`ALTER PUBLICATION "${prefix}_pub" ADD TABLE "public"."${extra}"`);
  });

  it('refuses a stored position when the slot is gone or has moved past it', async () => {
    const gone = await failure({ loadOffset: async () => ({ lsn: '0/1000000' }) });
    expect(gone.code).toBe(ErrorCode.POSITION_PURGED);
    expect(gone.message).toContain('does not exist');
    expect(gone.message).toContain("run 'rowkube snapshot --source");

    await admin.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    const behind = await failure({ loadOffset: async () => ({ lsn: '0/1' }) });
    expect(behind.code).toBe(ErrorCode.POSITION_PURGED);
    expect(behind.message).toContain('past the stored position 0/1');
  });

  it('warns about TOASTable columns under REPLICA IDENTITY DEFAULT', async () => {
    const client = new pg.Client(clientConfig(env.pgUrl));
    await client.connect();
    try {
      const result = await runPreflight(client, {
        tables: [{ schema: 'public', table: withKey }],
        slot: `${prefix}_none`,
        offset: undefined,
      });
      expect(result.tables.map((t) => t.primaryKey)).toEqual([['id']]);
      expect(result.warnings).toEqual([
        {
          table: `public.${withKey}`,
          message: expect.stringContaining(`(body): an update that leaves such a value unchanged`),
        },
      ]);
      expect(result.warnings[0]?.message).toContain(`ALTER TABLE public.${withKey} REPLICA IDENTITY FULL`);
    } finally {
      await client.end();
    }
  });
});
