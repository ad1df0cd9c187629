import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, readSchemaHistory } from '../../src/kafka/index.js';
import {
  type AdminDatabase,
  type DatabaseKind,
  dropReplicationSlot,
  execOnce,
  openAdminDatabase,
} from '../../support/admin-database.js';
import { type ChangeTopicRecord, readChangeTopic, startKafkaCapture } from '../../support/kafka-capture.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { waitFor } from '../../support/wait-for.js';
import { cell, matrixRows, type TypeCase, typeCases } from './type-matrix-cases.js';

// The type matrix (issue 11): every column type of type-matrix-cases.ts with
// its edge values, read back from Kafka with the project's decoder, must be
// the documented value, the same from every path a row can take:
//   snapshot   rows there before capture first started (op r)
//   stream     the same values inserted while capture streams (op c)
//   restart    inserted while capture is down, before an ALTER TABLE that
//              adds a column in the middle: read after the restart, across
//              the DDL (op c)
//   altered    inserted after the ALTER (op c)
//   updated    the stream rows updated after the ALTER (op u, both images)

const env = stackEnv({ needs: ['KAFKA_BROKERS'] });
const kinds: DatabaseKind[] = ['mariadb', 'mysql', 'postgres'];

/** Row ids of each path: row r of the matrix is id base + r. */
const PATH_BASE = { snapshot: 1, stream: 101, restart: 201, altered: 301 } as const;

describe.each(kinds)('capture > type matrix (%s)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('reads every value as documented, the same from snapshot and stream, before and after an ALTER and across a restart', async () => {
    const db = await openAdminDatabase(kind);
    cleanups.push(() => db.close());
    const table = uniqueName('types');
    const source = uniqueName('src').replaceAll('-', '_');
    const prefix = uniqueName('rk');
    const enumType = `${table}_mood`;
    const cases = typeCases(kind, enumType);
    const rows = matrixRows(cases);
    await createTable(db, table, cases, enumType);
    cleanups.push(() =>
      execOnce(
        kind,
        `DROP TABLE IF EXISTS ${table}`,
        ...(kind === 'postgres' ? [`DROP TYPE IF EXISTS ${enumType}`] : []),
      ),
    );
    if (kind === 'postgres') {
      await db.exec(`CREATE PUBLICATION rowkube_${source} FOR TABLE ${table}`);
      cleanups.push(() => dropSlot(source));
      cleanups.push(() => execOnce(kind, `DROP PUBLICATION IF EXISTS rowkube_${source}`));
    }
    const insert = (base: number) => insertRows(db, table, cases, rows, base);

    await insert(PATH_BASE.snapshot);
    const options = { kind, captureUrl: db.captureUrl, source, prefix, tables: [table] };
    const database = new URL(db.captureUrl).pathname.slice(1);
    const topicTable = { source, database, table, ...(kind === 'postgres' ? { schema: 'public' } : {}) };
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'rowkube-test' });
    const readUntil = (what: string, done: (records: ChangeTopicRecord[]) => boolean) =>
      waitFor(
        what,
        async () => {
          const records = await readChangeTopic(prefix, topicTable, kafka);
          return done(records) ? records : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );

    let capture = startKafkaCapture(options);
    cleanups.push(() => capture.stop());
    await capture.positioned();
    await insert(PATH_BASE.stream);
    await readUntil('the streamed rows', (records) => records.length >= 2 * rows);
    await capture.stop();

    // Capture is down: rows under the old definition, the ALTER, rows and updates under the new one.
    await insert(PATH_BASE.restart);
    const first = cases[0] as TypeCase;
    await db.exec(
      kind === 'postgres'
        ? `ALTER TABLE ${table} ADD COLUMN added INT`
        : `ALTER TABLE ${table} ADD COLUMN added INT NULL AFTER ${first.column}`,
    );
    await insert(PATH_BASE.altered);
    await db.exec(
      `UPDATE ${table} SET added = 7 WHERE id >= ${PATH_BASE.stream} AND id < ${PATH_BASE.stream + rows}`,
    );
    capture = startKafkaCapture(options);
    await capture.positioned();
    const records = await readUntil('every path', (all) => all.length >= 5 * rows);
    await capture.stop();

    const events = records.filter((r) => r.value !== null);
    expect(events).toHaveLength(5 * rows);
    const rowOf = (op: string, id: number, side: 'before' | 'after' = 'after') => {
      const found = events.find((r) => r.value?.op === op && Number(r.value?.[side]?.id) === id);
      if (found === undefined) throw new Error(`no ${op} event of id ${id}`);
      return found.value?.[side] as Record<string, unknown>;
    };

    const mismatches: string[] = [];
    for (let r = 0; r < rows; r++) {
      const paths: [string, Record<string, unknown>][] = [
        ['snapshot', rowOf('r', PATH_BASE.snapshot + r)],
        ['stream', rowOf('c', PATH_BASE.stream + r)],
        ['restart', rowOf('c', PATH_BASE.restart + r)],
        ['altered', rowOf('c', PATH_BASE.altered + r)],
        ['updated (after)', rowOf('u', PATH_BASE.stream + r)],
      ];
      // PostgreSQL sends the before-image only with REPLICA IDENTITY FULL.
      if (kind !== 'postgres') paths.push(['updated (before)', rowOf('u', PATH_BASE.stream + r, 'before')]);
      for (const c of cases) {
        const [literal, expected] = cell(c, r);
        for (const [path, row] of paths) {
          if (!isSame(row[c.column], expected))
            mismatches.push(
              `${c.column} ${c.type} = ${literal} (row ${r}) via ${path}: got ${show(row[c.column])}, want ${show(expected)}`,
            );
        }
      }
      // The column added by the ALTER exists only in the rows written after it.
      expect(paths.map(([path, row]) => [path, 'added' in row])).toEqual(
        paths.map(([path]) => [path, path === 'altered' || path.startsWith('updated')]),
      );
    }
    expect(mismatches).toEqual([]);
    // Every key of the table, whatever path wrote it, is the bare id: never a nullable union.
    for (const record of records) expect(Object.keys(record.decodedKey)).toEqual(['id']);
    // The schema history: the definition of the snapshot, then the one with the added column.
    const history = await readSchemaHistory({ kafka, prefix, source });
    const columns = ['id', ...cases.map((c) => c.column)];
    expect(history.map((v) => v.table.columns.map((c) => c.name))).toEqual([
      columns,
      kind === 'postgres' ? [...columns, 'added'] : ['id', first.column, 'added', ...columns.slice(2)],
    ]);
    expect(history[1]?.table.columns.find((c) => c.name === first.column)?.kind).toBe('boolean');
  }, 90_000);
});

async function createTable(db: AdminDatabase, table: string, cases: TypeCase[], enumType: string) {
  const columns = cases.map((c) => `${c.column} ${c.type}`).join(', ');
  if (db.kind === 'postgres') {
    await db.exec(`CREATE TYPE ${enumType} AS ENUM ('sad', 'happy')`);
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, ${columns})`);
    // Both images of an update, as for MySQL's binlog.
    await db.exec(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  } else {
    await db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY, ${columns}) DEFAULT CHARSET=utf8mb4`);
  }
}

async function insertRows(db: AdminDatabase, table: string, cases: TypeCase[], rows: number, base: number) {
  const columns = ['id', ...cases.map((c) => c.column)].join(', ');
  const values = Array.from(
    { length: rows },
    (_, r) => `(${[String(base + r), ...cases.map((c) => cell(c, r)[0])].join(', ')})`,
  );
  await db.exec(`INSERT INTO ${table} (${columns}) VALUES ${values.join(', ')}`);
}

async function dropSlot(source: string) {
  await dropReplicationSlot(`rowkube_${source}`);
}

/** Equal as decoded values: NaN equals NaN, Buffers by content, bigints by value. */
function isSame(got: unknown, want: unknown): boolean {
  if (Buffer.isBuffer(want)) return Buffer.isBuffer(got) && got.equals(want);
  return Object.is(got, want) || (typeof want === 'number' && got === want);
}

function show(value: unknown): string {
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString('hex')}>`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}
