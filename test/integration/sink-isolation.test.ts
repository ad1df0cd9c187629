import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedAuditEvent } from '../../src/contracts/index.js';
import { ErrorCode } from '../../src/core/errors.js';
import {
  AuditLog,
  committedOffsets,
  createSinkTopics,
  FORM,
  node,
  resource,
  SinkHarness,
} from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// "A node whose apply always fails does not delay 100 healthy nodes": a node
// whose ConfigMap is in a namespace that does not exist (HTTP 404 on apply,
// retriable: the namespace may be created by an earlier resource or by
// someone else) is retried with growing pauses, while the healthy nodes
// written after it are applied at once. Its record holds the committed offset
// back — a crash would retry it — until it finally succeeds.

const HEALTHY = 100;
/** The harness's kubernetes.retry: 0.2 s doubling up to 1 s. */
const PAUSES_MS = [200, 400, 800, 1_000, 1_000];

describe('sink > a failing node and 100 healthy ones', () => {
  const harness = new SinkHarness();
  const ns = harness.namespace;
  const missingNamespace = `${ns}-missing`;
  let audit: AuditLog | undefined;

  const configMap = (name: string, namespace: string) =>
    resource('config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace },
      data: { name },
    });
  const healthyUids = Array.from({ length: HEALTHY }, (_, index) => `healthy-${index}`);
  const eventsOf = (uid: string, action: string) =>
    (audit?.events ?? []).filter((event) => event.nodeId === `${FORM}/${uid}` && event.action === action);

  beforeAll(async () => {
    await harness.setUp();
    await createSinkTopics(harness);
    audit = new AuditLog(harness);
    harness.start();
  });
  afterAll(async () => {
    await audit?.stop();
    await harness.tearDown();
  });

  it('applies the healthy nodes while the failing one is retried with backoff, holding its offset back', async () => {
    await harness.write([node('broken', [configMap('broken', missingNamespace)])]);
    await waitFor('the broken node to fail once', () => eventsOf('broken', 'failed')[0]);

    await harness.write(healthyUids.map((uid) => node(uid, [configMap(uid, ns)])));
    const created = await waitFor(
      `all ${HEALTHY} healthy nodes to be created`,
      () => {
        const events = healthyUids.map((uid) => eventsOf(uid, 'created')[0]);
        return events.every((event) => event !== undefined) ? (events as DecodedAuditEvent[]) : undefined;
      },
      { timeoutMs: 60_000 },
    );
    let lastHealthyAt = 0n;
    for (const event of created) if (event.appliedAtMs > lastHealthyAt) lastHealthyAt = event.appliedAtMs;

    // The broken node is still being retried after the last healthy one is done.
    await waitFor('a retry of the broken node after the healthy ones are done', () =>
      eventsOf('broken', 'failed').find((event) => event.appliedAtMs > lastHealthyAt),
    );
    expect(eventsOf('broken', 'created')).toEqual([]);

    // Its record (offset 0) is the committed offset although the 100 after it are done.
    expect(await waitFor('the committed offset', async () => (await committedOffsets(harness)).get(0))).toBe(
      0n,
    );

    // Each retry is audited as failed, with the reason and pauses that double up to the maximum.
    const failures = await waitFor(`${PAUSES_MS.length} failed attempts of the broken node`, () => {
      const failed = eventsOf('broken', 'failed');
      return failed.length >= PAUSES_MS.length ? failed : undefined;
    });
    for (const event of failures) {
      expect(event.errorCode).toBe(ErrorCode.KUBERNETES);
      expect(event.reason).toContain(`ConfigMap/${missingNamespace}/broken`);
      expect(event.reason).toMatch(/HTTP 404/);
    }
    const pauses = failures.map((event) => Number(/retrying in (\d+) ms/.exec(event.reason)?.[1]));
    expect(pauses.slice(0, PAUSES_MS.length)).toEqual(PAUSES_MS);
    for (const pause of pauses.slice(PAUSES_MS.length)) expect(pause).toBe(PAUSES_MS.at(-1));
    expect(await committedOffsets(harness)).toEqual(new Map([[0, 0n]]));

    // Once its namespace exists, the next retry succeeds and the offset moves past every record.
    await harness.kube.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: missingNamespace } },
      { fieldManager: 'test-setup', force: true },
    );
    await waitFor('the broken node to be created', () => eventsOf('broken', 'created')[0]);
    expect(
      await waitFor('the committed offset to move past every record', async () => {
        const offset = (await committedOffsets(harness)).get(0);
        return offset === BigInt(HEALTHY + 1) ? offset : undefined;
      }),
    ).toBe(BigInt(HEALTHY + 1));
  });
});
