import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { decodeProgress } from '../../connectors/incremental-snapshot.js';
import {
  type IncrementalDialect,
  PROGRESS_FIELD,
  withIncrementalSnapshots,
} from '../../connectors/incremental-snapshot-connector.js';
import { chunkQuery, mysqlIncrementalDialect } from '../../connectors/mysql/mysql-incremental.js';
import { chunkQuery as pgChunkQuery } from '../../connectors/postgres/postgres-incremental.js';
import { executeSnapshotRow, type SignalRow } from '../../connectors/signal-table.js';
import { sourceForTable } from '../../src/app/incremental-snapshot-request.js';
import type { ChangeSink, CommitInfo, Row, RowChange, TableSchema } from '../../src/core/change-event.js';
import { configSchema } from '../../src/core/config/config-schema.js';
import type { SourceConnector } from '../../src/core/source-connector.js';

// The decorator that gives any connector incremental snapshots, driven by a
// fake connector whose "log" is an in-memory queue: the watermark rows the
// decorator writes come back through the stream, as from a database.

const schema = (table: string): TableSchema => ({
  source: 's',
  database: 'db',
  table,
  columns: [
    { name: 'id', kind: 'int', nullable: false, sourceType: 'int' },
    { name: 'v', kind: 'string', nullable: true, sourceType: 'text' },
  ],
  primaryKey: ['id'],
});
const tenants = schema('tenants');
const signals = schema('rowkube_signal');

type Position = { n: number };

/** A source whose log is `log`: each entry one transaction; the stream ends when the log is empty. */
function fakeSource(rows: Map<number, Row>) {
  const log: RowChange[][] = [];
  const written: SignalRow[] = [];
  const captured: string[][] = [];
  let n = 0;
  const insertSignal = (row: SignalRow) =>
    log.push([{ op: 'c', table: signals, before: null, after: row as unknown as Row }]);
  const connector = (tables: readonly string[]): SourceConnector<string, Position> => ({
    kind: 'fake',
    name: 's',
    offsetCodec: {
      parse: (stored) => ({ n: Number(stored.n) }),
      serialize: (p) => ({ n: p.n }),
      compare: (a, b) => a.n - b.n,
      format: (p) => String(p.n),
    },
    isTransient: () => false,
    async preflight() {
      captured.push([...tables]);
      return 'prepared';
    },
    async snapshot(_prepared, sink) {
      await sink.append({ op: 'r', table: tenants, before: null, after: { id: 1, v: 'a' } });
      await sink.append({
        op: 'r',
        table: signals,
        before: null,
        after: { id: 'old', type: 'x', data: null },
      });
      await sink.commit({ position: { n: 0 }, commitTsMs: 0, snapshot: true });
      return { n: 0 };
    },
    async stream(_prepared, _from, sink, context) {
      context.streaming();
      // Ends once the log stayed empty for a few turns of the event loop (watermarks written meanwhile arrive).
      for (let idle = 0; idle < 5 && !context.signal.aborted; ) {
        const tx = log.shift();
        if (tx === undefined) {
          idle += 1;
          await new Promise((resolve) => setTimeout(resolve, 1));
          continue;
        }
        idle = 0;
        for (const change of tx) {
          // The table changes as the log says, so chunk reads see it.
          if (change.table === tenants && change.after) rows.set(change.after.id as number, change.after);
          if (change.table === tenants && !change.after) rows.delete(change.before?.id as number);
          await sink.append(change);
        }
        n += 1;
        await sink.commit({ position: { n }, commitTsMs: n });
      }
    },
  });
  const dialect: IncrementalDialect<string> = {
    signalTable: 'rowkube_signal',
    label: (name) => name,
    labelOf: (table) => table.table,
    signalTableExists: async () => true,
    open: async () => ({
      writeSignal: async (row) => {
        written.push(row);
        insertSignal(row);
      },
      readChunk: async (_table, after, limit) => ({
        schema: tenants,
        rows: [...rows.keys()]
          .sort((a, b) => a - b)
          .filter((id) => after === null || id > (after[0] as number))
          .slice(0, limit)
          .map((id) => rows.get(id) as Row),
      }),
      close: async () => undefined,
    }),
  };
  return { log, written, captured, connector, dialect, insertSignal };
}

function recordingSink() {
  const appended: RowChange[] = [];
  const commits: CommitInfo[] = [];
  const sink: ChangeSink = {
    append: (change) => void appended.push(change),
    commit: async (info) => void commits.push(info),
  };
  return { sink, appended, commits };
}

const context = () => ({
  signal: new AbortController().signal,
  logger: pino({ level: 'silent' }),
  streaming: () => undefined,
  chunkRows: 1_000,
  progress: () => undefined,
});

describe('connectors > incremental snapshot > connector', () => {
  it('captures the signal table too, but never publishes its rows', async () => {
    const source = fakeSource(new Map());
    const connector = withIncrementalSnapshots({
      connector: source.connector,
      tables: ['tenants'],
      dialect: source.dialect,
    });
    const prepared = await connector.preflight(undefined, context());
    expect(source.captured).toEqual([['tenants', 'rowkube_signal']]);
    const { sink, appended } = recordingSink();
    expect(await connector.snapshot(prepared, sink, context())).toEqual({
      inner: { n: 0 },
      progress: undefined,
    });
    expect(appended.map((c) => c.table.table)).toEqual(['tenants']);
  });

  it('snapshots a table on request between watermarks, with the progress in each position', async () => {
    const rows = new Map<number, Row>([1, 2, 3, 4, 5].map((id) => [id, { id, v: `v${id}` }]));
    const source = fakeSource(rows);
    const connector = withIncrementalSnapshots({
      connector: source.connector,
      tables: ['tenants'],
      dialect: source.dialect,
      chunkSize: 2,
    });
    const prepared = await connector.preflight(undefined, context());
    source.insertSignal(executeSnapshotRow('req-1', ['tenants']));
    const { sink, appended, commits } = recordingSink();
    await connector.stream(prepared, { inner: { n: 0 }, progress: undefined }, sink, context());

    expect(appended.every((c) => c.op === 'r')).toBe(true);
    expect(appended.map((c) => c.after?.id)).toEqual([1, 2, 3, 4, 5]);
    // Three chunks (2 + 2 + 1 rows), each between an open and a close watermark.
    expect(source.written.map((w) => w.type)).toEqual([
      'snapshot-window-open',
      'snapshot-window-close',
      'snapshot-window-open',
      'snapshot-window-close',
      'snapshot-window-open',
      'snapshot-window-close',
    ]);
    const stored = commits.map((c) => decodeProgress(c.position[PROGRESS_FIELD]));
    expect(stored.at(-1)).toEqual({ queue: [], lastKey: null, done: ['req-1'] });
    expect(stored).toContainEqual({ queue: [{ signal: 'req-1', table: 'tenants' }], lastKey: [2], done: [] });
    expect(connector.offsetCodec.parse(commits.at(-1)?.position ?? {})).toEqual({
      inner: { n: commits.length },
      progress: { queue: [], lastKey: null, done: ['req-1'] },
    });
  });

  it("drops a chunk row that the log changed inside the chunk's window", async () => {
    const rows = new Map<number, Row>([1, 2].map((id) => [id, { id, v: 'old' }]));
    const source = fakeSource(rows);
    // Between the chunk SELECT and the high watermark, row 2 changes.
    const dialect: IncrementalDialect<string> = {
      ...source.dialect,
      open: async (prepared) => {
        const session = await source.dialect.open(prepared);
        return {
          ...session,
          writeSignal: async (row) => {
            if (row.type === 'snapshot-window-close')
              source.log.push([
                { op: 'u', table: tenants, before: { id: 2, v: 'old' }, after: { id: 2, v: 'new' } },
              ]);
            await session.writeSignal(row);
          },
        };
      },
    };
    const connector = withIncrementalSnapshots({ connector: source.connector, tables: ['tenants'], dialect });
    const prepared = await connector.preflight(undefined, context());
    source.insertSignal(executeSnapshotRow('req', ['tenants']));
    const { sink, appended } = recordingSink();
    await connector.stream(prepared, { inner: { n: 0 }, progress: undefined }, sink, context());
    expect(appended.map((c) => [c.op, c.after?.id, c.after?.v])).toEqual([
      ['u', 2, 'new'],
      ['r', 1, 'old'],
    ]);
  });

  it('resumes a stored snapshot after the last key once the stream reads', async () => {
    const rows = new Map<number, Row>([1, 2, 3].map((id) => [id, { id, v: 'x' }]));
    const source = fakeSource(rows);
    const connector = withIncrementalSnapshots({
      connector: source.connector,
      tables: ['tenants'],
      dialect: source.dialect,
      chunkSize: 10,
    });
    const prepared = await connector.preflight(undefined, context());
    const progress = { queue: [{ signal: 'r', table: 'tenants' }], lastKey: [1], done: [] };
    const { sink, appended } = recordingSink();
    // Nothing in the log: the resumed chunk's watermarks are all the stream reads.
    await connector.stream(prepared, { inner: { n: 7 }, progress }, sink, context());
    expect(appended.map((c) => c.after?.id)).toEqual([2, 3]);
    expect(source.written).toHaveLength(2);
  });

  it('ends the stream with the failure of a chunk resumed in the background', async () => {
    const source = fakeSource(new Map());
    const failing: IncrementalDialect<string> = {
      ...source.dialect,
      open: async (prepared) => ({
        ...(await source.dialect.open(prepared)),
        readChunk: async () => {
          throw new Error('chunk SELECT failed');
        },
      }),
    };
    const connector = withIncrementalSnapshots({
      connector: source.connector,
      tables: ['tenants'],
      dialect: failing,
    });
    const prepared = await connector.preflight(undefined, context());
    const progress = { queue: [{ signal: 'r', table: 'tenants' }], lastKey: null, done: [] };
    const { sink } = recordingSink();
    await expect(connector.stream(prepared, { inner: { n: 1 }, progress }, sink, context())).rejects.toThrow(
      'chunk SELECT failed',
    );
  });

  it('skips tables a request names that the source does not capture', async () => {
    const source = fakeSource(new Map());
    const connector = withIncrementalSnapshots({
      connector: source.connector,
      tables: ['tenants'],
      dialect: source.dialect,
    });
    const prepared = await connector.preflight(undefined, context());
    source.insertSignal(executeSnapshotRow('req', ['nope']));
    const { sink, commits } = recordingSink();
    await connector.stream(prepared, { inner: { n: 0 }, progress: undefined }, sink, context());
    expect(source.written).toEqual([]);
    expect(decodeProgress(commits.at(-1)?.position[PROGRESS_FIELD])?.done).toEqual(['req']);
  });

  it('refuses a damaged stored progress with a configuration error', () => {
    const source = fakeSource(new Map());
    const connector = withIncrementalSnapshots({
      connector: source.connector,
      tables: ['tenants'],
      dialect: source.dialect,
    });
    expect(() => connector.offsetCodec.parse({ n: 1, [PROGRESS_FIELD]: '{' })).toThrow(
      /ROWKUBE_ERR_CONFIG.*not JSON/,
    );
    expect(connector.offsetCodec.serialize({ inner: { n: 1 }, progress: undefined })).toEqual({ n: 1 });
  });
});

describe('connectors > mysql > incremental dialect', () => {
  it('refuses a signal table outside the URL database', () => {
    expect(() =>
      mysqlIncrementalDialect({
        source: 'a',
        url: 'mysql://u:p@h/db',
        database: 'db',
        signalTable: 'ops.sig',
      }),
    ).toThrow(/ROWKUBE_ERR_CONFIG: source a: incrementalSnapshots.signalTable ops.sig/);
  });

  it('reads chunks after the last key in key order, composite keys spelled out', () => {
    const table: TableSchema = { ...tenants, primaryKey: ['id', 'v'] };
    expect(chunkQuery(table, null, 10)).toEqual({
      sql: 'SELECT `id`, `v` FROM `db`.`tenants` ORDER BY `id`, `v` LIMIT 10',
      params: [],
    });
    expect(chunkQuery(table, [3, 'x'], 10)).toEqual({
      sql: 'SELECT `id`, `v` FROM `db`.`tenants` WHERE (`id` > ?) OR (`id` = ? AND `v` > ?) ORDER BY `id`, `v` LIMIT 10',
      params: [3, 3, 'x'],
    });
  });
});

describe('connectors > postgres > incremental dialect', () => {
  it('casts the last key to the column types', () => {
    const table: TableSchema = {
      ...tenants,
      schema: 'public',
      columns: [
        { name: 'id', kind: 'long', nullable: false, sourceType: 'bigint' },
        { name: 'v', kind: 'string', nullable: true, sourceType: 'text' },
      ],
    };
    expect(pgChunkQuery(table, [12345678901234567890n], 5)).toEqual({
      text: 'SELECT "id", "v" FROM "public"."tenants" WHERE ("id") > ($1::bigint) ORDER BY "id" LIMIT 5',
      values: ['12345678901234567890'],
    });
  });
});

describe('app > incremental snapshot request > sourceForTable', () => {
  const config = configSchema.parse({
    kafka: { brokers: ['k:9092'] },
    sources: [
      { name: 'a', mysql: { url: 'mysql://u:p@h/db' }, tables: ['tenants', 'flags'] },
      { name: 'b', postgres: { url: 'postgres://u:p@h/db' }, tables: ['public.tenants', 'accounts'] },
    ],
  });

  it('picks the one source that captures the table', () => {
    expect(sourceForTable(config, 'flags').name).toBe('a');
    expect(sourceForTable(config, 'public.accounts').name).toBe('b');
  });

  it('names the choices when the table is ambiguous, unknown, or not of the named source', () => {
    expect(() => sourceForTable(config, 'tenants')).toThrow(
      /sources a, b all capture table tenants: name one with --source/,
    );
    expect(sourceForTable(config, 'tenants', 'b').name).toBe('b');
    expect(() => sourceForTable(config, 'nope')).toThrow(/no source captures table nope/);
    expect(() => sourceForTable(config, 'flags', 'b')).toThrow(/source b does not capture table flags/);
    expect(() => sourceForTable(config, 'flags', 'c')).toThrow(/no source named c/);
  });
});
