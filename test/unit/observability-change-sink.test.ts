import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PipelineMetrics } from '../../src/contracts/index.js';
import type { CommitInfo, RowChange, TableSchema } from '../../src/core/change-event.js';
import { ObservedChangeSink } from '../../src/observability/index.js';

const table = (name: string, schema?: string): TableSchema => ({
  source: 'appdb',
  database: 'app',
  ...(schema === undefined ? {} : { schema }),
  table: name,
  columns: [],
  primaryKey: ['id'],
});
const change = (t: TableSchema, op: RowChange['op'] = 'c'): RowChange => ({
  op,
  table: t,
  before: null,
  after: {},
});
const info: CommitInfo = { position: { pos: 1 }, commitTsMs: 0 };

function counting() {
  const counted: [string, number][] = [];
  const metrics = { changesCaptured: (_s: string, t: string, n: number) => counted.push([t, n]) };
  return { counted, metrics: metrics as unknown as PipelineMetrics };
}

/** A sink whose commits the test settles by hand. */
function innerSink() {
  const settle: { resolve: () => void; reject: (e: Error) => void }[] = [];
  return {
    settle,
    sink: {
      append: () => undefined,
      commit: () =>
        new Promise<void>((resolve, reject) => {
          settle.push({ resolve, reject });
        }),
      abort: () => undefined,
    },
  };
}

const logger = pino({ level: 'silent' });

describe('Observability > ObservedChangeSink', () => {
  it('counts a transaction’s events by table once its commit is acknowledged', async () => {
    const { counted, metrics } = counting();
    const inner = innerSink();
    const sink = new ObservedChangeSink(inner.sink, { source: 'appdb', metrics, logger });
    sink.append(change(table('tenants')));
    sink.append(change(table('tenants')));
    sink.append(change(table('flags', 'billing')));
    const committed = sink.commit(info);
    expect(counted).toEqual([]);
    inner.settle[0]?.resolve();
    await committed;
    expect(counted).toEqual([
      ['tenants', 2],
      ['billing.flags', 1],
    ]);
  });

  it('does not count what abort() dropped or a commit that failed', async () => {
    const { counted, metrics } = counting();
    const inner = innerSink();
    const sink = new ObservedChangeSink(inner.sink, { source: 'appdb', metrics, logger });
    sink.append(change(table('tenants', 'public')));
    sink.abort();
    sink.append(change(table('tenants', 'public')));
    const failed = sink.commit(info);
    inner.settle[0]?.reject(new Error('broker away'));
    await expect(failed).rejects.toThrow('broker away');
    sink.append(change(table('tenants', 'public')));
    const ok = sink.commit(info);
    inner.settle[1]?.resolve();
    await ok;
    expect(counted).toEqual([['tenants', 1]]);
  });
});
