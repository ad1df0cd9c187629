import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { decodeControl, heldKey, releaseKey } from '../../src/contracts/index.js';
import {
  decideRemovals,
  exceedsLimits,
  limitsFor,
  type Removal,
} from '../../src/processor/deletion-guard.js';
import { Materializer, type TableChange } from '../../src/processor/materializer/index.js';
import { pendingHolds } from '../../src/processor/runner/control-follower.js';
import { type ControlEntry, DeletionHold } from '../../src/processor/runner/deletion-hold.js';
import type { ProducedUpdate } from '../../src/processor/runner/desired-output.js';
import { configFrom } from '../../support/config-file.js';

const defaults = { enabled: true, share: 0.1, count: 20 };
const removals = (hub: string, tx: string, n: number): Removal[] =>
  Array.from({ length: n }, (_, i) => ({ id: `web/${hub}-${i}`, hub, tx }));

describe('Processor > DeletionGuard > decideRemovals', () => {
  it('holds a transaction over both limits, and passes one over only one of them', () => {
    expect(exceedsLimits(21, 0.11, defaults)).toBe(true);
    expect(exceedsLimits(20, 1, defaults)).toBe(false); // not more than 20 nodes
    expect(exceedsLimits(500, 0.1, defaults)).toBe(false); // not more than 10 %
    expect(exceedsLimits(100, 1, { ...defaults, enabled: false })).toBe(false);
  });

  it('groups removals by hub and source transaction', () => {
    const decision = decideRemovals(
      [...removals('a', 'tx1', 30), ...removals('a', 'tx2', 5), ...removals('b', 'tx1', 30)],
      (hub) => (hub === 'a' ? 100 : 1000),
      () => defaults,
    );
    expect(decision.held.map(({ hub, tx, ids, live }) => ({ hub, tx, n: ids.length, live }))).toEqual([
      { hub: 'a', tx: 'tx1', n: 30, live: 100 },
    ]);
    expect(decision.passed).toHaveLength(35);
  });

  it('holds the rest of a transaction already held, whatever its size', () => {
    const decision = decideRemovals(
      removals('a', 'tx1', 2),
      () => 100,
      () => defaults,
      (hub, tx) => hub === 'a' && tx === 'tx1',
    );
    expect(decision.held).toHaveLength(1);
  });

  it('takes the hub overrides over the global limits', () => {
    expect(limitsFor(defaults, { count: 5 })).toEqual({ enabled: true, share: 0.1, count: 5 });
    expect(limitsFor(defaults, undefined)).toEqual(defaults);
  });
});

describe('Processor > DeletionGuard > pendingHolds', () => {
  const held = (node: string, offset: bigint): ControlEntry => ({
    key: heldKey(node),
    value: JSON.stringify({ kind: 'held', hub: 'tenants', node, tx: 'tx1', topic: 't', partition: 0 }),
    offset,
  });
  it('lists holds after the latest release, or every one still there', () => {
    const entries: ControlEntry[] = [
      held('web/a', 0n),
      held('web/b', 1n),
      {
        key: releaseKey('tenants'),
        value: '{"kind":"release","hub":"tenants","requestedAtMs":1}',
        offset: 2n,
      },
      held('web/c', 3n),
      { key: heldKey('web/b'), value: null, offset: 4n },
    ];
    expect(pendingHolds(entries, 'tenants')).toEqual({ nodes: ['web/c'], txs: ['tx1'] });
    expect(pendingHolds(entries, 'tenants', 'include').nodes).toEqual(['web/a', 'web/c']);
    expect(pendingHolds(entries, 'other').nodes).toEqual([]);
  });
  it('names the key of a record it cannot read', () => {
    expect(() => decodeControl('held/x', '{"kind":"nope"}')).toThrow(/control record 'held\/x'/);
  });
});

describe('Processor > DeletionGuard > DeletionHold', () => {
  const config = configFrom({
    kafka: { brokers: ['127.0.0.1:9092'] },
    sources: [{ name: 'appdb', mysql: { url: 'mysql://u:p@h/app' }, tables: ['tenants'] }],
    hubs: [{ name: 'tenants', source: 'appdb', table: 'tenants', uid: 'id', deletionGuard: { count: 2 } }],
    forms: [
      {
        name: 'web',
        hub: 'tenants',
        resources: [
          { id: 'ns', manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n-{{ uid }}' } } },
        ],
      },
    ],
  });
  const where = { topic: 'rk.appdb.tenants', partition: 0 };
  const row = (id: string): TableChange => ({
    source: 'appdb',
    table: 'tenants',
    key: id,
    op: 'c',
    before: null,
    after: { id },
    unchanged: [],
  });
  const provenance = (tx: string) => ({
    source: 'appdb',
    table: 'tenants',
    position: tx,
    commitTsMs: 1n,
    primaryKey: '',
  });

  function setup() {
    const materializer = new Materializer(config);
    for (const id of ['a', 'b', 'c', 'd', 'e']) materializer.apply(row(id), 'hub');
    const hold = new DeletionHold({
      config,
      materializer,
      logger: pino({ level: 'silent' }),
      controlTopic: 'rk._control',
      auditTopic: 'rk.audit',
      now: () => 1000,
    });
    const apply = (change: TableChange, tx: string): ProducedUpdate[] =>
      materializer.apply(change, 'hub').map((update) => ({ update, provenance: provenance(tx) }));
    return { materializer, hold, apply };
  }

  it('holds a truncate of more than the limits, then releases only what was held before the release', () => {
    const { materializer, hold, apply } = setup();
    hold.restore([], () => true);
    const step = hold.screen(
      apply(
        { source: 'appdb', table: 'tenants', key: '{}', op: 't', before: null, after: null, unchanged: [] },
        'tx1',
      ),
      where,
    );
    expect(step.produced).toEqual([]);
    const control = step.records.filter((r) => r.topic === 'rk._control');
    expect(control.map((r) => r.key)).toEqual([
      'held/web/a',
      'held/web/b',
      'held/web/c',
      'held/web/d',
      'held/web/e',
    ]);
    expect(step.records.filter((r) => r.topic === 'rk.audit')).toHaveLength(5);
    expect(materializer.isLive('web/a')).toBe(true);
    expect(hold.heldByHub().get('tenants')).toBe(5);

    // Read back at offsets 10..14: a release at offset 13 covers a..c only.
    for (const [index, record] of control.entries())
      hold.onControl({ key: String(record.key), value: String(record.value), offset: BigInt(index + 10) });
    const released = hold.release('tenants', 13n);
    expect(released.produced.map((p) => [p.update.id, p.update.result.kind])).toEqual([
      ['web/a', 'absent'],
      ['web/b', 'absent'],
      ['web/c', 'absent'],
    ]);
    expect(released.records.filter((r) => r.topic === 'rk._control' && r.value === null)).toHaveLength(3);
    expect(hold.heldByHub().get('tenants')).toBe(2);
  });

  it('cancels the hold of a row that comes back', () => {
    const { hold, apply } = setup();
    hold.restore([], () => true);
    const deletes: ProducedUpdate[] = [];
    for (const id of ['a', 'b', 'c'])
      deletes.push(
        ...apply(
          { source: 'appdb', table: 'tenants', key: id, op: 'd', before: { id }, after: null, unchanged: [] },
          'tx1',
        ),
      );
    hold.screen(deletes, where);
    expect(hold.heldByHub().get('tenants')).toBe(3);
    const back = apply(row('b'), 'tx2');
    expect(back).toEqual([]); // the same rendering as the record the desired topic kept
    const cancelled = hold.cancelRestored();
    expect(cancelled.records.find((r) => r.topic === 'rk._control')).toMatchObject({
      key: 'held/web/b',
      value: null,
    });
    expect(hold.heldByHub().get('tenants')).toBe(2);
  });

  it('lets a deletion below the limits through', () => {
    const { hold, apply } = setup();
    hold.restore([], () => true);
    const deletes = [
      ...apply(
        {
          source: 'appdb',
          table: 'tenants',
          key: 'a',
          op: 'd',
          before: { id: 'a' },
          after: null,
          unchanged: [],
        },
        'tx1',
      ),
      ...apply(
        {
          source: 'appdb',
          table: 'tenants',
          key: 'b',
          op: 'd',
          before: { id: 'b' },
          after: null,
          unchanged: [],
        },
        'tx1',
      ),
    ];
    const step = hold.screen(deletes, where);
    expect(step.produced).toHaveLength(2);
    expect(step.records).toEqual([]);
  });

  it('restores holds after a restart and carries out a release requested meanwhile', () => {
    const { hold, materializer } = setup();
    const record = (node: string) =>
      JSON.stringify({
        kind: 'held',
        hub: 'tenants',
        node,
        tx: 'tx1',
        topic: where.topic,
        partition: 0,
        removed: 2,
        live: 5,
        heldAtMs: 1,
      });
    // The rows of x and y are gone; their nodes' live records are what the desired topic holds.
    materializer.seedProduced(
      new Map([
        ['web/x', 'h-x'],
        ['web/y', 'h-y'],
      ]),
    );
    const step = hold.restore(
      [
        { key: heldKey('web/x'), value: record('web/x'), offset: 0n },
        {
          key: releaseKey('tenants'),
          value: '{"kind":"release","hub":"tenants","requestedAtMs":1}',
          offset: 1n,
        },
        { key: heldKey('web/y'), value: record('web/y'), offset: 2n },
      ],
      () => true,
    );
    expect(step.produced.map((p) => p.update.id)).toEqual(['web/x']);
    expect(hold.heldByHub().get('tenants')).toBe(1);
  });
});
