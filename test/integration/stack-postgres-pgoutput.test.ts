import pg from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';

// Smoke test of the local stack: PostgreSQL runs with wal_level=logical and the
// capture user may create a slot and stream pgoutput. A row written by the
// application user arrives as an insert message with the row's values.
describe('local stack > PostgreSQL logical replication', () => {
  const env = stackEnv();
  const table = uniqueName('smoke');
  const publication = `${table}_pub`;
  const slot = `${table}_slot`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: env.pgAdminUrl });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name TEXT NOT NULL)`);
    await admin.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
  });

  afterAll(async () => {
    await admin?.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    await admin?.query(`DROP PUBLICATION IF EXISTS ${publication}`);
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('delivers an inserted row as a pgoutput insert message', async () => {
    const capture = new pg.Client({ connectionString: env.pgUrl });
    await capture.connect();
    await capture.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    await capture.end();

    const service = new LogicalReplicationService(
      { connectionString: env.pgUrl },
      // Never acknowledge on a timer: it would ack what was received, not what was handled.
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    const messages: Pgoutput.Message[] = [];
    service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      messages.push(message);
    });
    const errors: Error[] = [];
    service.on('error', (error) => errors.push(error));
    try {
      // subscribe() resolves only when the stream ends; failures reject it.
      const streaming = service.subscribe(
        new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }),
        slot,
      );
      streaming.catch((error: Error) => errors.push(error));

      await admin.query(`INSERT INTO ${table} (id, name) VALUES ($1, $2)`, [1, 'zoë']);

      const insert = await waitFor('the insert message', () =>
        messages.find((m): m is Pgoutput.MessageInsert => m.tag === 'insert'),
      );
      expect(errors).toEqual([]);
      expect(insert.relation.name).toBe(table);
      expect(insert.new).toEqual({ id: 1, name: 'zoë' });
    } finally {
      await service.stop();
    }
  });
});
