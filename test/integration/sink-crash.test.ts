import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedAuditEvent } from '../../src/contracts/index.js';
import type { KubeObject } from '../../src/sink/kube/index.js';
import { ownerSelector } from '../../src/sink/ownership/index.js';
import { RowkubeProcess } from '../../support/rowkube-process.js';
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

// `rowkube apply` killed with SIGKILL in the middle of a backlog, then
// started again: the cluster ends exactly as desired, no action goes missing
// from the audit, and the committed offset never passes a record that was not
// fully handled — the restarted sink re-applies (as `unchanged`) whatever it
// had done after that offset.

const NODES = 300;
const RESOURCES = ['config', 'extra'] as const;
/** Tombstoned while the sink is down: early nodes (applied before the kill) and late ones (probably not). */
const TOMBSTONED = new Set([...range(0, 10), ...range(NODES - 10, NODES)].map(uidOf));
/** Changed while the sink is down. */
const UPDATED = new Set(range(150, 160).map(uidOf));
/** Audit actions that say an object is as desired. */
const AS_DESIRED = new Set(['created', 'unchanged', 'configured']);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, index) => from + index);
}

/** Node n's record is at offset n of the backlog. */
function uidOf(index: number): string {
  return `n${index.toString().padStart(3, '0')}`;
}

function indexOf(uid: string): number {
  return Number(uid.slice(1));
}

describe('sink > SIGKILL in the middle of a backlog', () => {
  const harness = new SinkHarness();
  const ns = harness.namespace;
  const processes: RowkubeProcess[] = [];
  let audit: AuditLog | undefined;

  const desiredNode = (uid: string, version: string) =>
    node(
      uid,
      RESOURCES.map((id) =>
        resource(id, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `${uid}-${id}`, namespace: ns },
          data: { uid, version },
        }),
      ),
    );
  const startSink = () => {
    const sink = new RowkubeProcess(['apply', '--config', harness.configPath]);
    processes.push(sink);
    return sink;
  };
  const createdSoFar = () => audit?.events.filter((event) => event.action === 'created').length ?? 0;
  const listObjects = () => harness.kube.list('v1', 'ConfigMap', ownerSelector(harness.prefix));

  beforeAll(async () => {
    await harness.setUp();
    await createSinkTopics(harness);
    audit = new AuditLog(harness);
  });
  afterAll(async () => {
    for (const sink of processes) await sink.kill();
    await audit?.stop();
    await harness.tearDown();
  });

  it('converges to the desired state after a restart, with every object audited and offsets held back', async () => {
    // The whole backlog is there before the sink starts, so the kill lands while it works through it.
    await harness.write(range(0, NODES).map((index) => desiredNode(uidOf(index), '1')));
    const first = startSink();
    await waitFor(
      'the first sink to create some objects',
      () => {
        if (first.exitCode !== null) throw new Error(`the sink exited early:\n${first.lastOutput()}`);
        return createdSoFar() >= 100 ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 20 },
    );
    await first.kill();

    // What the first sink did, as the audit topic holds it, and where its group stands.
    const beforeKill = await harness.audit();
    const committedAtKill = (await committedOffsets(harness)).get(0) ?? -1n;
    const createdBeforeKill = new Set(
      beforeKill.filter((event) => event.action === 'created').map((event) => objectKey(event)),
    );
    expect(createdBeforeKill.size, 'the kill came after the whole backlog was applied').toBeLessThan(
      NODES * RESOURCES.length,
    );
    expect(committedAtKill).toBeLessThan(BigInt(NODES));
    // Every record before the committed offset was fully handled and audited
    // before the kill: the offset never ran ahead of the work.
    for (let offset = 0; offset < Number(committedAtKill); offset += 1)
      for (const id of RESOURCES)
        expect(createdBeforeKill, `record ${offset} is committed`).toContain(`${uidOf(offset)}/${id}`);

    // While the sink is down, nodes go away and others change.
    await harness.write([
      ...[...TOMBSTONED].map((uid) => ({ id: `${FORM}/${uid}`, value: null })),
      ...[...UPDATED].map((uid) => desiredNode(uid, '2')),
    ]);

    const second = startSink();
    const expected = new Map<string, { uid: string; version: string }>();
    for (const index of range(0, NODES)) {
      const uid = uidOf(index);
      if (TOMBSTONED.has(uid)) continue;
      for (const id of RESOURCES)
        expected.set(`${uid}-${id}`, { uid, version: UPDATED.has(uid) ? '2' : '1' });
    }
    // The killed sink stays a member of the consumer group until its session
    // times out (kafkajs: 30 s), and the group hands out no partition before
    // that: most of this wait is that timeout, not the sink's work.
    await waitFor(
      'the cluster to hold exactly the desired objects',
      async () => {
        if (second.exitCode !== null) throw new Error(`the sink exited:\n${second.lastOutput()}`);
        const difference = differences(await listObjects(), expected);
        if (difference.length > 0) throw new Error(difference.slice(0, 10).join('; '));
        return true;
      },
      { timeoutMs: 75_000, intervalMs: 250 },
    );
    // The last audit events are published once their nodes are done: wait for them too.
    await waitFor('every desired object to be audited as desired', () => {
      const last = new Map((audit?.events ?? []).map((event) => [event.object?.name, event.action]));
      return [...expected.keys()].every((name) => AS_DESIRED.has(last.get(name) ?? '')) ? true : undefined;
    });
    expect(await second.stop(), second.lastOutput()).toBe(0);

    const events = await harness.audit();
    const byObject = groupByObject(events);
    expect(events.filter((event) => event.action === 'failed')).toEqual([]);
    for (const [name] of expected) {
      const actions = byObject.get(name) ?? [];
      // Every desired object was created, or found as desired after the restart.
      expect(
        actions.some((action) => AS_DESIRED.has(action)),
        `${name}: ${actions}`,
      ).toBe(true);
      expect(actions.filter((action) => action === 'created').length, `${name}: ${actions}`).toBeLessThan(2);
    }
    for (const uid of TOMBSTONED)
      for (const id of RESOURCES) {
        const actions = byObject.get(`${uid}-${id}`) ?? [];
        if (actions.includes('created')) expect(actions.at(-1), `${uid}-${id}: ${actions}`).toBe('deleted');
      }

    // Records the first sink finished after the committed offset were read
    // again and found done (unchanged), never skipped; those before it were not read again.
    const afterKill = events.slice(beforeKill.length);
    const reapplied = new Set(
      afterKill.filter((event) => event.action === 'unchanged').map((event) => objectKey(event)),
    );
    const changedInOutage = (uid: string) => TOMBSTONED.has(uid) || UPDATED.has(uid);
    const redone = [...createdBeforeKill].filter((key) => {
      const uid = key.split('/')[0] ?? '';
      return indexOf(uid) >= Number(committedAtKill) && !changedInOutage(uid);
    });
    expect(redone.length, 'records done after the committed offset').toBeGreaterThan(0);
    for (const key of redone) expect(reapplied, 'created before the kill, re-read after it').toContain(key);
    for (const event of afterKill) {
      const uid = event.nodeId.slice(`${FORM}/`.length);
      if (changedInOutage(uid)) continue;
      expect(indexOf(uid), `${event.nodeId} ${event.action} after the restart`).toBeGreaterThanOrEqual(
        Number(committedAtKill),
      );
    }
  });
});

/** `<uid>/<resource id>` of an event about one object. */
function objectKey(event: DecodedAuditEvent): string {
  return `${event.nodeId.slice(`${FORM}/`.length)}/${event.resourceId}`;
}

function groupByObject(events: readonly DecodedAuditEvent[]): Map<string, string[]> {
  const byObject = new Map<string, string[]>();
  for (const event of events) {
    const name = event.object?.name;
    if (name === undefined) continue;
    byObject.set(name, [...(byObject.get(name) ?? []), event.action]);
  }
  return byObject;
}

/** How the live objects differ from the expected ones (name → uid, version), as short lines. */
function differences(
  live: readonly KubeObject[],
  expected: ReadonlyMap<string, { uid: string; version: string }>,
): string[] {
  const found = new Map(live.map((object) => [object.metadata.name ?? '', object]));
  const lines: string[] = [];
  for (const [name, want] of expected) {
    const data = (found.get(name) as { data?: Record<string, string> } | undefined)?.data;
    if (data === undefined) lines.push(`${name} is missing`);
    else if (data.uid !== want.uid || data.version !== want.version)
      lines.push(`${name} has ${JSON.stringify(data)}, not version ${want.version}`);
  }
  for (const name of found.keys()) if (!expected.has(name)) lines.push(`${name} should not exist`);
  return lines;
}
