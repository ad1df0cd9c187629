import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/contracts/index.js';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import type { StatusTableRow, StatusTableStore } from '../../src/core/status-table.js';
import { type StatusSource, syncStatusTable } from '../../src/status/index.js';
import { statusTableRow } from '../../src/status/status-table-row.js';
import { waitFor } from '../../support/wait-for.js';

const until = (what: string, holds: () => boolean) =>
  waitFor(what, () => holds() || undefined, { timeoutMs: 3_000, intervalMs: 5 });

// What the status-table sync decides to write. The table is an in-memory
// stand-in here; test/integration/status-table.test.ts writes real ones.

function status(nodeId: string, updatedAtMs: number, state: NodeStatus['state'] = 'Ready'): NodeStatus {
  const [form = '', uid = ''] = nodeId.split('/');
  return {
    nodeId,
    hub: 'tenants',
    form,
    state,
    stateSinceMs: BigInt(updatedAtMs),
    updatedAtMs: BigInt(updatedAtMs),
    objects: [
      {
        resourceId: 'ns',
        apiVersion: 'v1',
        kind: 'Namespace',
        namespace: null,
        name: `t-${uid}`,
        lastAction: 'created',
        ready: true,
      },
      {
        resourceId: 'app',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: `t-${uid}`,
        name: 'app',
        lastAction: 'created',
        ready: state === 'Ready',
      },
    ],
    source: 'appdb',
    table: 'tenants',
    position: '{"gtid":"0-1-7"}',
    commitTsMs: BigInt(updatedAtMs - 5),
    contentHash: 'h',
    error:
      state === 'Failed'
        ? { code: 'ROWKUBE_ERR_INVALID_NAME', message: 'bad name', at: BigInt(updatedAtMs) }
        : null,
  };
}

class FakeView implements StatusSource {
  private listeners = new Set<(nodeId: string, s: NodeStatus | undefined) => void>();
  constructor(readonly nodes = new Map<string, NodeStatus>()) {}
  ready = () => Promise.resolve();
  list = () => [...this.nodes.values()];
  subscribe(listener: (nodeId: string, s: NodeStatus | undefined) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  change(nodeId: string, s: NodeStatus | undefined) {
    if (s) this.nodes.set(nodeId, s);
    else this.nodes.delete(nodeId);
    for (const l of this.listeners) l(nodeId, s);
  }
}

class MemoryTable implements StatusTableStore {
  readonly label = 'memory';
  rowsById = new Map<string, StatusTableRow>();
  statements: string[] = [];
  failures: unknown[] = [];
  async prepare() {
    this.maybeFail();
  }
  async rows(forms: readonly string[]) {
    this.maybeFail();
    return new Map(
      [...this.rowsById.values()].filter((r) => forms.includes(r.form)).map((r) => [r.nodeId, r.updatedAtMs]),
    );
  }
  async upsert(rows: readonly StatusTableRow[]) {
    this.maybeFail();
    this.statements.push(`upsert ${rows.map((r) => r.nodeId).join(',')}`);
    for (const row of rows) {
      const old = this.rowsById.get(row.nodeId);
      if (!old || old.updatedAtMs <= row.updatedAtMs) this.rowsById.set(row.nodeId, row);
    }
  }
  async remove(nodeIds: readonly string[]) {
    this.maybeFail();
    this.statements.push(`remove ${nodeIds.join(',')}`);
    for (const id of nodeIds) this.rowsById.delete(id);
  }
  async close() {}
  private maybeFail() {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
  }
}

function start(view: FakeView, table: MemoryTable, forms = ['web']) {
  const stop = new AbortController();
  const done = syncStatusTable({
    hub: 'tenants',
    forms,
    view,
    store: table,
    signal: stop.signal,
    retry: { initialMs: 1, maxMs: 2 },
  });
  return {
    stop: () => {
      stop.abort();
      return done;
    },
  };
}

describe('Status table > sync', () => {
  it('flattens a status into a row: uid, counts, error, times as ms', () => {
    expect(statusTableRow(status('web/acme', 1_000, 'Failed'))).toEqual({
      nodeId: 'web/acme',
      hub: 'tenants',
      form: 'web',
      uid: 'acme',
      state: 'Failed',
      objectsReady: 1,
      objectsTotal: 2,
      appliedPosition: '{"gtid":"0-1-7"}',
      commitTsMs: 995,
      errorCode: 'ROWKUBE_ERR_INVALID_NAME',
      errorMessage: 'bad name',
      stateSinceMs: 1_000,
      updatedAtMs: 1_000,
    });
  });

  it('at start writes only what differs from the topic, and removes rows of nodes the topic no longer has', async () => {
    const view = new FakeView(
      new Map([
        ['web/same', status('web/same', 10)],
        ['web/newer', status('web/newer', 20)],
        ['web/missing', status('web/missing', 30)],
        ['api/other-form', status('api/other-form', 40)],
      ]),
    );
    const table = new MemoryTable();
    for (const row of [
      statusTableRow(status('web/same', 10)),
      statusTableRow(status('web/newer', 15)),
      statusTableRow(status('web/gone', 5)),
    ])
      table.rowsById.set(row.nodeId, row);
    const sync = start(view, table);
    await until(
      'the reconciled table',
      () => table.rowsById.has('web/missing') && !table.rowsById.has('web/gone'),
    );
    await sync.stop();
    expect(table.statements).toEqual(['upsert web/newer,web/missing', 'remove web/gone']);
    expect(table.rowsById.get('web/newer')?.updatedAtMs).toBe(20);
    expect(table.rowsById.has('api/other-form')).toBe(false);
  });

  it('follows changes of its forms, latest state per node, and removes a tombstoned node', async () => {
    const view = new FakeView();
    const table = new MemoryTable();
    const sync = start(view, table);
    view.change('web/acme', status('web/acme', 1, 'Progressing'));
    view.change('web/acme', status('web/acme', 2, 'Ready'));
    view.change('api/acme', status('api/acme', 2, 'Ready'));
    await until('web/acme Ready', () => table.rowsById.get('web/acme')?.state === 'Ready');
    view.change('web/acme', undefined);
    await until('web/acme removed', () => !table.rowsById.has('web/acme'));
    await sync.stop();
    expect(table.rowsById.has('api/acme')).toBe(false);
  });

  it('waits out a database that is away and a table that is wrong, losing no change', async () => {
    const view = new FakeView(new Map([['web/a', status('web/a', 1)]]));
    const table = new MemoryTable();
    table.failures.push(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      new RowkubeError(ErrorCode.CONFIG, 'table lacks the column(s) state'),
    );
    const sync = start(view, table);
    await until('web/a written', () => table.rowsById.has('web/a'));
    table.failures.push(Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' }));
    view.change('web/b', status('web/b', 2, 'Failed'));
    await until('web/b Failed', () => table.rowsById.get('web/b')?.errorCode === 'ROWKUBE_ERR_INVALID_NAME');
    await sync.stop();
    expect(table.failures).toEqual([]);
  });
});
