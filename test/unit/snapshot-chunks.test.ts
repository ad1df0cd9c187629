import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SnapshotChunks } from '../../connectors/snapshot-chunks.js';
import type { CommitInfo, Row, RowChange, TableSchema } from '../../src/core/change-event.js';
import {
  decodeStoredState,
  newSnapshotProgress,
  rowKeyText,
  type SnapshotProgress,
} from '../../src/core/snapshot-progress.js';
import type { CapturedRows, OffsetCodec, SnapshotContext } from '../../src/core/source-connector.js';

type Position = { n: number };
const codec: OffsetCodec<Position> = {
  parse: (stored) => ({ n: Number(stored.n) }),
  serialize: (p) => ({ n: p.n }),
  compare: (a, b) => a.n - b.n,
  format: (p) => String(p.n),
};
const schema: TableSchema = {
  source: 's',
  database: 'db',
  table: 't',
  columns: [
    { name: 'id', kind: 'int', nullable: false, sourceType: 'int' },
    { name: 'v', kind: 'string', nullable: true, sourceType: 'text' },
  ],
  primaryKey: ['id'],
};

function harness(options: { chunkRows: number; captured?: Row[]; progress?: SnapshotProgress }) {
  const appended: RowChange[] = [];
  const commits: { info: CommitInfo; changes: RowChange[] }[] = [];
  let open: RowChange[] = [];
  const reported: SnapshotProgress[] = [];
  const capturedRows: CapturedRows | undefined = options.captured && {
    liveRowsBefore: async (table) => new Map(options.captured?.map((row) => [rowKeyText(table, row), row])),
  };
  const context: SnapshotContext = {
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    chunkRows: options.chunkRows,
    capturedRows,
    progress: (p) => reported.push(p),
  };
  const sink = {
    append: (change: RowChange) => {
      appended.push(change);
      open.push(change);
    },
    commit: async (info: CommitInfo) => {
      commits.push({ info, changes: open });
      open = [];
    },
  };
  const progress =
    options.progress ??
    newSnapshotProgress({ estimated: 5, startedAtMs: 1000, replace: capturedRows !== undefined });
  const chunks = new SnapshotChunks(sink, codec, { n: 7 }, progress, context);
  return { chunks, appended, commits, reported };
}

const read = (id: number): RowChange => ({
  op: 'r',
  table: schema,
  before: null,
  after: { id, v: `v${id}` },
});

describe('connectors > snapshot > SnapshotChunks', () => {
  it('commits every chunkRows rows with the progress, then the rest with the stream position alone', async () => {
    const { chunks, commits, reported } = harness({ chunkRows: 2 });
    expect(await chunks.beginTable('db.t', schema)).toBeUndefined();
    for (const id of [1, 2, 3]) await chunks.row(read(id), [id]);
    await chunks.endTable();
    await chunks.beginTable('db.u', schema);
    await chunks.row(read(4), [4]);
    await chunks.row(read(5), [5]);
    await chunks.endTable();
    expect(await chunks.finish()).toEqual({ n: 7 });
    expect(commits.map((c) => c.changes.length)).toEqual([2, 2, 1]);
    const states = commits.map((c) => decodeStoredState('s', c.info.position, codec.parse));
    expect(states[0]).toMatchObject({
      phase: 'resume-snapshot',
      from: { n: 7 },
      progress: { table: 'db.t', lastKey: [2], rows: 2, done: [] },
    });
    // The end of db.t travels with the next chunk.
    expect(states[1]).toMatchObject({
      phase: 'resume-snapshot',
      progress: { table: 'db.u', lastKey: [4], rows: 4, done: ['db.t'] },
    });
    expect(states[2]).toEqual({ phase: 'stream', position: { n: 7 } });
    expect(commits.every((c) => c.info.snapshot === true)).toBe(true);
    expect(reported.map((p) => p.rows)).toEqual([2, 4, 5]);
  });

  it('commits a snapshot smaller than a chunk once', async () => {
    const { chunks, commits } = harness({ chunkRows: 100 });
    await chunks.beginTable('db.t', schema);
    await chunks.row(read(1), [1]);
    await chunks.endTable();
    await chunks.finish();
    expect(commits.map((c) => [c.changes.length, c.info.position])).toEqual([[1, { n: 7 }]]);
  });

  it('resumes a table after its last committed key and skips the tables done', async () => {
    const progress: SnapshotProgress = {
      ...newSnapshotProgress({ estimated: 9, startedAtMs: 1000, replace: false }),
      done: ['db.a'],
      table: 'db.t',
      lastKey: [4],
      rows: 6,
    };
    const { chunks, commits, reported } = harness({ chunkRows: 10, progress });
    expect(chunks.isDone('db.a')).toBe(true);
    expect(await chunks.beginTable('db.t', schema)).toEqual([4]);
    await chunks.row(read(5), [5]);
    await chunks.row(read(6), [6]);
    await chunks.endTable();
    expect(await chunks.finish()).toEqual({ n: 7 });
    expect(commits.map((c) => c.changes.map((x) => x.after?.id))).toEqual([[5, 6]]);
    expect(reported.at(-1)).toMatchObject({ rows: 8, done: ['db.a', 'db.t'] });
    // Another table starts from its first row.
    expect(await chunks.beginTable('db.u', schema)).toBeUndefined();
  });

  it('deletes the rows a re-snapshot does not read again, with the last captured row, in the commit that ends the table', async () => {
    const captured = [
      { id: 1, v: 'old1' },
      { id: 2, v: 'old2' },
      { id: 9, v: 'old9', dropped: 'x' },
    ];
    const { chunks, commits } = harness({ chunkRows: 100, captured });
    await chunks.beginTable('db.t', schema);
    await chunks.row(read(1), [1]);
    await chunks.endTable();
    await chunks.finish();
    const ops = commits[0]?.changes.map((c) => `${c.op}:${c.before?.id ?? ''}:${c.after?.id ?? ''}`);
    expect(ops).toEqual(['r::1', 'd:2:', 'd:9:']);
    // The old row as the current definition has it: columns gone are left out.
    expect(commits[0]?.changes[2]?.before).toEqual({ id: 9, v: 'old9' });
  });
});
