import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/contracts/index.js';
import {
  decodeStatus,
  encodeStatus,
  encodeStatusTombstone,
  KEY_SCHEMA_HEADER,
  STATUS_KEY_SCHEMA,
  STATUS_VALUE_SCHEMA,
  StatusFold,
  statusKeyCodec,
  VALUE_SCHEMA_HEADER,
} from '../../src/kafka/index.js';
import { nodeStatus } from '../../support/node-statuses.js';

describe('status > record', () => {
  it('round-trips a status with an error and a cluster-scoped object', () => {
    const status = nodeStatus('acme', {
      state: 'Failed',
      objects: [
        {
          resourceId: 'ns',
          apiVersion: 'v1',
          kind: 'Namespace',
          namespace: null,
          name: 'tenant-acme',
          lastAction: 'failed',
          ready: false,
        },
      ],
      position: null,
      commitTsMs: null,
      error: { code: 'ROWKUBE_ERR_INVALID_NAME', message: "field 'slug': 'Acme!' is not a name", at: 5n },
      formVersion: '0123456789abcdef',
    });
    const { message, schemas } = encodeStatus('rk.status', status);
    expect(message.topic).toBe('rk.status');
    expect(statusKeyCodec.decode(message.key)).toBe('web/acme');
    expect(message.headers).toEqual({
      [KEY_SCHEMA_HEADER]: STATUS_KEY_SCHEMA.id,
      [VALUE_SCHEMA_HEADER]: STATUS_VALUE_SCHEMA.id,
    });
    expect(schemas).toEqual([STATUS_KEY_SCHEMA, STATUS_VALUE_SCHEMA]);
    expect(decodeStatus(message.value as Buffer)).toEqual(status);
  });

  it('gives back plain objects, longs as bigint', () => {
    const decoded = decodeStatus(encodeStatus('rk.status', nodeStatus('a')).message.value as Buffer);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(decoded.objects[0])).toBe(Object.prototype);
    expect(decoded.stateSinceMs).toBe(1_700_000_000_000n);
  });

  it('refuses a state that is not one of NODE_STATES, naming the node', () => {
    const bad = { ...nodeStatus('a'), state: 'Done' } as unknown as NodeStatus;
    expect(() => encodeStatus('rk.status', bad)).toThrow(/'Done' is not a node state \(node web\/a\)/);
  });

  it('encodes a tombstone as the key alone', () => {
    const { message } = encodeStatusTombstone('rk.status', 'web/a');
    expect(message.value).toBeNull();
    expect(statusKeyCodec.decode(message.key)).toBe('web/a');
    expect(message.headers).toEqual({ [KEY_SCHEMA_HEADER]: STATUS_KEY_SCHEMA.id });
  });
});

describe('status > fold', () => {
  it('keeps the last status per node, sorted by node id, and drops a node at its tombstone', () => {
    const fold = new StatusFold();
    fold.offer('web/b', nodeStatus('b', { state: 'Progressing' }));
    fold.offer('web/a', nodeStatus('a'));
    fold.offer('web/b', nodeStatus('b'));
    expect(fold.list().map((s) => [s.nodeId, s.state])).toEqual([
      ['web/a', 'Ready'],
      ['web/b', 'Ready'],
    ]);
    fold.offer('web/a', null);
    expect(fold.get('web/a')).toBeUndefined();
    expect(fold.size).toBe(1);
  });

  it('tells listeners of each change, undefined for a tombstone, and not of a tombstone of an unknown node', () => {
    const fold = new StatusFold();
    const seen: [string, string | undefined][] = [];
    const unsubscribe = fold.subscribe((id, status) => seen.push([id, status?.state]));
    fold.offer('web/a', nodeStatus('a', { state: 'Progressing' }));
    fold.offer('web/a', null);
    fold.offer('web/x', null);
    unsubscribe();
    fold.offer('web/a', nodeStatus('a'));
    expect(seen).toEqual([
      ['web/a', 'Progressing'],
      ['web/a', undefined],
    ]);
  });

  it('keeps telling the other listeners when one throws', () => {
    const errors: string[] = [];
    const fold = new StatusFold((_error, nodeId) => errors.push(nodeId));
    const seen: string[] = [];
    fold.subscribe(() => {
      throw new Error('boom');
    });
    fold.subscribe((id) => seen.push(id));
    fold.offer('web/a', nodeStatus('a'));
    expect(seen).toEqual(['web/a']);
    expect(errors).toEqual(['web/a']);
  });
});
