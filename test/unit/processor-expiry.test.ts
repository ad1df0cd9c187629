import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/change-event.js';
import { formSchema } from '../../src/core/config/form-schema.js';
import { hubSchema } from '../../src/core/config/hub-schema.js';
import { ExpiryQueue, expiryTime } from '../../src/processor/expiry/index.js';
import { Materializer, type TableChange } from '../../src/processor/materializer/index.js';
import { renderNode } from '../../src/processor/render-node.js';

const T = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('Processor > expiry > expiryTime', () => {
  it.each([
    ['MySQL DATETIME / PostgreSQL timestamp (no zone: UTC)', '2026-12-03T12:00:00', T],
    ['with microseconds', '2026-12-03T12:00:00.250000', T + 250],
    ['TIMESTAMP / timestamptz (UTC)', '2026-12-03T12:00:00Z', T],
    ['ISO text with an offset', '2026-12-03 13:00:00+01:00', T],
    ['a date alone', '2026-12-03', Date.UTC(2026, 11, 3)],
    ['epoch ms as a number', T, T],
    ['epoch ms as a bigint', BigInt(T), T],
    ['epoch ms as text', String(T), T],
    ['a Date', new Date(T), T],
  ])('reads %s', (_what, value, expected) => {
    expect(expiryTime(value)).toEqual({ ok: true, atMs: expected });
  });

  it('NULL never expires', () => {
    expect(expiryTime(null)).toEqual({ ok: true, atMs: null });
  });

  it.each(['tomorrow', '2026-02-31T00:00:00', '', 1.5, true, { at: 1 }])(
    '%j is not a time, with a hint',
    (value) => {
      const result = expiryTime(value);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/is not a time: use a DATETIME\/TIMESTAMP/);
    },
  );
});

describe('Processor > expiry > ExpiryQueue', () => {
  it('gives the earliest time and takes what is due, earliest first', () => {
    const queue = new ExpiryQueue();
    queue.schedule('b', 30);
    queue.schedule('a', 10);
    queue.schedule('c', 20);
    expect(queue.next()).toBe(10);
    expect(queue.takeDue(25)).toEqual([
      { id: 'a', atMs: 10 },
      { id: 'c', atMs: 20 },
    ]);
    expect(queue.next()).toBe(30);
    expect(queue.size).toBe(1);
  });

  it('moves a node when its time changes, and forgets a cancelled one', () => {
    const queue = new ExpiryQueue();
    queue.schedule('a', 10);
    queue.schedule('b', 20);
    queue.schedule('a', 50); // extended
    queue.cancel('b');
    expect(queue.next()).toBe(50);
    expect(queue.takeDue(40)).toEqual([]);
    expect(queue.takeDue(50)).toEqual([{ id: 'a', atMs: 50 }]);
    expect(queue.next()).toBeUndefined();
  });

  it('stays ordered through many random moves (against a sort)', () => {
    const queue = new ExpiryQueue();
    const truth = new Map<string, number>();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 5_000; i++) {
      const id = `n${random() % 300}`;
      if (random() % 5 === 0) {
        queue.cancel(id);
        truth.delete(id);
      } else {
        const at = random() % 10_000;
        queue.schedule(id, at);
        truth.set(id, at);
      }
    }
    const expected = [...truth].map(([id, atMs]) => ({ id, atMs }));
    expected.sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : 1));
    expect(queue.takeDue(Number.MAX_SAFE_INTEGER)).toEqual(expected);
  });
});

const hub = hubSchema.parse({
  name: 'previews',
  source: 'appdb',
  table: 'previews',
  uid: 'name',
  expireAt: 'expires_at',
});
const form = formSchema.parse({
  name: 'preview',
  hub: 'previews',
  resources: [
    { id: 'cm', manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ uid }}' } } },
  ],
});

describe('Processor > renderNode > expireAt', () => {
  const render = (expires: unknown, nowMs = T) =>
    renderNode({ form, hub, row: { name: 'pr-1', expires_at: expires }, lookups: new Map(), nowMs });

  it('renders the node before its time, absent (expired) from its time on', () => {
    expect(render('2026-12-03T12:00:01Z').kind).toBe('node');
    expect(render('2026-12-03T12:00:00Z')).toEqual({ kind: 'absent', id: 'preview/pr-1', reason: 'expired' });
  });

  it('NULL never expires', () => {
    expect(render(null, Number.MAX_SAFE_INTEGER).kind).toBe('node');
  });

  it('a value that is not a time is the node error naming hub and column', () => {
    expect(render('soon')).toMatchObject({
      kind: 'error',
      error: {
        code: 'ROWKUBE_ERR_ROW',
        message: expect.stringContaining(`hub 'previews' expireAt column 'expires_at': "soon" is not a time`),
      },
    });
  });

  it('the same row renders the same record at any time before expiry (no clock in the hash)', () => {
    expect(render('2026-12-04T00:00:00Z', T)).toEqual(render('2026-12-04T00:00:00Z', T - 3_600_000));
  });
});

describe('Processor > materializer > expiry', () => {
  const upsert = (name: string, expires: unknown, op: 'c' | 'u' = 'c'): TableChange => ({
    source: 'appdb',
    table: 'previews',
    key: name,
    op,
    before: null,
    after: { name, expires_at: expires } as Row,
    unchanged: [],
  });

  it('takes a node off when its time comes, with no change; an extension moves it', () => {
    let now = T;
    const materializer = new Materializer({ hubs: [hub], forms: [form] }, { now: () => now });
    materializer.apply(upsert('a', T + 1_000));
    materializer.apply(upsert('b', T + 5_000));
    materializer.apply(upsert('c', null));
    expect(materializer.nextExpiry()).toBe(T + 1_000);
    // Extending 'a' renders the same record (no update) and moves the timer.
    expect(materializer.apply(upsert('a', T + 8_000, 'u'))).toEqual([]);
    expect(materializer.nextExpiry()).toBe(T + 5_000);
    now = T + 5_000;
    const expired = materializer.expire();
    expect(expired.map(({ update, expiredAtMs }) => [update.id, update.result.kind, expiredAtMs])).toEqual([
      ['preview/b', 'absent', T + 5_000],
    ]);
    expect(materializer.isLive('preview/b')).toBe(false);
    expect(materializer.nextExpiry()).toBe(T + 8_000);
  });

  it('a row already past its time renders absent at once (a take-over after a stop)', () => {
    const materializer = new Materializer({ hubs: [hub], forms: [form] }, { now: () => T });
    materializer.restoreHubRow(upsert('old', T - 60_000));
    materializer.seedProduced(new Map([['preview/old', 'a-live-hash']]));
    const [update] = materializer.reconcile();
    expect(update?.result).toEqual({ kind: 'absent', id: 'preview/old', reason: 'expired' });
    expect(materializer.nextExpiry()).toBeUndefined();
  });

  it('a deleted row no longer expires', () => {
    const materializer = new Materializer({ hubs: [hub], forms: [form] }, { now: () => T });
    materializer.apply(upsert('a', T + 1_000));
    materializer.apply({ source: 'appdb', table: 'previews', key: 'a', tombstone: true });
    expect(materializer.nextExpiry()).toBeUndefined();
  });
});
