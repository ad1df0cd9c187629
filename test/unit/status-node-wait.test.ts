import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/contracts/index.js';
import { parseWantedPosition } from '../../src/core/wanted-position.js';
import { type StatusFeed, waitForNode } from '../../src/status/node-wait.js';

function status(state: NodeStatus['state'], lsn: string, extra: Partial<NodeStatus> = {}): NodeStatus {
  return {
    nodeId: 'web/acme',
    hub: 'tenants',
    form: 'web',
    state,
    stateSinceMs: 1n,
    updatedAtMs: 1n,
    objects: [],
    source: 'appdb',
    table: 'tenants',
    position: JSON.stringify({ lsn }),
    commitTsMs: 1n,
    contentHash: 'h',
    error: null,
    ...extra,
  };
}

/** A feed the test writes to, as the status topic's follower would. */
class Feed implements StatusFeed {
  private readonly nodes = new Map<string, NodeStatus>();
  private readonly listeners = new Set<(id: string, s: NodeStatus | undefined) => void>();
  get(id: string) {
    return this.nodes.get(id);
  }
  subscribe(listener: (id: string, s: NodeStatus | undefined) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  put(s: NodeStatus) {
    this.nodes.set(s.nodeId, s);
    for (const listener of this.listeners) listener(s.nodeId, s);
  }
}

const base = { nodeId: 'web/acme', wanted: parseWantedPosition('0/200'), pollMs: 5 };

describe('Status > waitForNode', () => {
  it('succeeds at once when the node is Ready at or past the position', async () => {
    const feed = new Feed();
    feed.put(status('Ready', '0/200'));
    const outcome = await waitForNode({
      ...base,
      feed,
      timeoutMs: 1_000,
      barrier: async () => false,
      readCurrent: async () => undefined,
    });
    expect(outcome.kind).toBe('ready');
  });

  it('waits through Progressing for the state the version ends in, and reports a failure with its error', async () => {
    const feed = new Feed();
    feed.put(status('Ready', '0/100'));
    const waiting = waitForNode({
      ...base,
      feed,
      timeoutMs: 1_000,
      barrier: async () => false,
      readCurrent: async () => undefined,
    });
    feed.put(status('Progressing', '0/300'));
    feed.put(
      status('Failed', '0/300', {
        error: { code: 'ROWKUBE_ERR_INVALID_NAME', message: 'metadata.name: bad', at: 2n },
      }),
    );
    const outcome = await waiting;
    expect(outcome).toMatchObject({ kind: 'failed' });
    expect(outcome.kind === 'failed' && outcome.reason).toContain(
      'ROWKUBE_ERR_INVALID_NAME: metadata.name: bad',
    );
  });

  it('once the barrier holds, the current status answers whatever its position', async () => {
    const feed = new Feed();
    feed.put(status('Ready', '0/100'));
    let checks = 0;
    const outcome = await waitForNode({
      ...base,
      feed,
      timeoutMs: 1_000,
      barrier: async () => ++checks >= 3,
      readCurrent: async () => status('Ready', '0/100'),
    });
    expect(outcome.kind).toBe('ready');
    expect(checks).toBe(3);
  });

  it('says so when the barrier holds and no status exists', async () => {
    const outcome = await waitForNode({
      ...base,
      feed: new Feed(),
      timeoutMs: 1_000,
      barrier: async () => true,
      readCurrent: async () => undefined,
    });
    expect(outcome.kind).toBe('not-found');
  });

  it('times out behind the position, saying where the node is', async () => {
    const feed = new Feed();
    feed.put(status('Ready', '0/100'));
    const outcome = await waitForNode({
      ...base,
      feed,
      timeoutMs: 50,
      barrier: async () => false,
      readCurrent: async () => undefined,
    });
    expect(outcome.kind).toBe('timeout');
    expect(outcome.kind === 'timeout' && outcome.reason).toContain('does not reflect position 0/200');
  });

  it('refuses a position of another database', async () => {
    const feed = new Feed();
    feed.put(status('Ready', '0/100'));
    await expect(
      waitForNode({
        ...base,
        wanted: parseWantedPosition('0-1-5'),
        feed,
        timeoutMs: 1_000,
        barrier: async () => false,
        readCurrent: async () => undefined,
      }),
    ).rejects.toThrow(/ROWKUBE_ERR_POSITION/);
  });
});
