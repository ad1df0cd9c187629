import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DesiredValue, desiredTopic, sinkGroupId } from '../../src/contracts/index.js';
import { type PackedValue, SchemaRegistry, unpackValue } from '../../src/kafka/index.js';
import { readPartitionValues } from '../../src/sink/runner/partition-catch-up.js';
import { readDesired } from '../../support/desired-records.js';
import { type GroupAssignment, settledAssignment } from '../../support/group-assignment.js';
import {
  createSinkTopics,
  node,
  resource,
  SinkHarness,
  type SinkReplica,
} from '../../support/sink-harness.js';
import { waitFor } from '../../support/wait-for.js';

// Drift after a take-over (issue 14): two sink replicas share the desired
// topic's partitions. Replica A applies every node; B joins, A applies newer
// values to the nodes of its partitions (which B, having read the topic at
// start, does not know), and new nodes B never saw; then A stops and B takes
// A's partitions over. An owned object deleted after that, of a node that had
// no record since the take-over, is set back by B, with the newest value: B
// read the partitions it took over. The drift pass is off (driftIntervalSeconds
// 0): only the watch event can set it back.

const PARTITIONS = 4;
/** Nodes written before B starts; more are written after, so each partition likely holds some. */
const EARLY = Array.from({ length: 8 }, (_, i) => `early${i}`);
const LATE = Array.from({ length: 8 }, (_, i) => `late${i}`);

describe('sink > two replicas > drift after a take-over', () => {
  const harness = new SinkHarness('driftIntervalSeconds: 0', `partitions: ${PARTITIONS}`);
  const ns = harness.namespace;
  const topic = desiredTopic(harness.prefix);
  const groupId = sinkGroupId(harness.prefix);
  const replicas: SinkReplica[] = [];

  const ref = (uid: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: `cm-${uid}` });
  const nodeAt = (uid: string, version: string) =>
    node(uid, [
      resource('config', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${uid}`, namespace: ns },
        data: { version },
      }),
    ]);
  const versionOf = async (uid: string) =>
    ((await harness.kube.get(ref(uid)))?.data as { version?: string } | undefined)?.version;
  const untilVersions = (uids: readonly string[], version: string, what: string) =>
    waitFor(
      what,
      async () => {
        const versions = await Promise.all(uids.map(versionOf));
        return versions.every((v) => v === version) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

  beforeAll(async () => {
    await harness.setUp();
    await createSinkTopics(harness);
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await harness.tearDown();
  });

  it('reads one partition of the desired topic to its end, or on from where an earlier read ended', async () => {
    const uids = Array.from({ length: 12 }, (_, i) => `read${i}`);
    await harness.write(uids.map((uid) => nodeAt(uid, 'r1')));
    const partitionOf = new Map(
      (await readDesired(harness.kafka, harness.prefix)).map((r) => [r.key, r.partition]),
    );
    const partition = partitionOf.get('web/read0') as number;
    const inPartition = uids
      .filter((uid) => partitionOf.get(`web/${uid}`) === partition)
      .map((uid) => `web/${uid}`);
    const registry = await SchemaRegistry.open({ kafka: harness.kafka, prefix: harness.prefix });
    const read = async (from?: ReadonlyMap<number, bigint>) => {
      let ends: ReadonlyMap<number, bigint> = new Map();
      const values = await readPartitionValues({
        kafka: harness.kafka,
        topic,
        resolver: registry,
        partitions: [partition],
        from,
        onEnds: (at) => {
          ends = at;
        },
      });
      expect([...values.keys()]).toEqual([partition]);
      const packed = values.get(partition) as Map<string, PackedValue | null>;
      const nodes = new Map(
        [...packed].map(([key, value]) => [key, value && unpackValue<DesiredValue>(value)]),
      );
      return { nodes, ends };
    };
    const version = (value: DesiredValue | null | undefined) =>
      JSON.parse(value?.resources[0]?.manifest ?? '{}').data?.version;

    const whole = await read();
    expect([...whole.nodes.keys()].sort()).toEqual([...inPartition].sort());
    expect(version(whole.nodes.get('web/read0'))).toBe('r1');

    // Written after: a read on from the first one's end finds only that.
    await harness.write([nodeAt('read0', 'r2')]);
    const later = await read(whole.ends);
    expect([...later.nodes.keys()]).toEqual(['web/read0']);
    expect(version(later.nodes.get('web/read0'))).toBe('r2');
  });

  it('the replica that took partitions over sets back a deleted object of a node with no record since', async () => {
    await harness.write(EARLY.map((uid) => nodeAt(uid, 'v1')));
    const a = harness.startReplica();
    replicas.push(a);
    await untilVersions(EARLY, 'v1', 'replica A to apply v1');
    const [memberA] = [
      ...(await settledAssignment(harness.kafka, groupId, topic, 'A alone', (g) => g.size === 1)).keys(),
    ];

    // B reads the topic at start (v1 everywhere), then joins: each holds some partitions.
    const b = harness.startReplica();
    replicas.push(b);
    const split = await settledAssignment(
      harness.kafka,
      groupId,
      topic,
      'A and B each holding partitions',
      (g) => g.size === 2 && [...g.values()].every((partitions) => partitions.length > 0),
    );
    const partitionsOfA = split.get(memberA as string) ?? [];
    expect(partitionsOfA.length, membersOf(split)).toBeGreaterThan(0);

    // Newer values, and nodes B has never seen: A applies those of its partitions.
    await harness.write([...EARLY.map((uid) => nodeAt(uid, 'v2')), ...LATE.map((uid) => nodeAt(uid, 'v2'))]);
    const all = [...EARLY, ...LATE];
    await untilVersions(all, 'v2', 'both replicas to apply v2');
    const partitionOf = new Map(
      (await readDesired(harness.kafka, harness.prefix)).map((r) => [r.key, r.partition]),
    );
    const takenOver = all.filter((uid) => partitionsOfA.includes(partitionOf.get(`web/${uid}`) ?? -1));
    expect(takenOver.length, `no node in A's partitions ${partitionsOfA}`).toBeGreaterThan(0);

    // A stops; B takes its partitions over. No record of any node is written from here on.
    await a.stop();
    replicas.splice(replicas.indexOf(a), 1);
    await settledAssignment(
      harness.kafka,
      groupId,
      topic,
      'B holding every partition',
      (g) => g.size === 1 && [...g.values()][0]?.length === PARTITIONS,
    );

    // Someone deletes every node's object: B sets back those it had all along and those it took over.
    const uids = new Map<string, string | undefined>();
    for (const uid of all) {
      uids.set(uid, (await harness.kube.get(ref(uid)))?.metadata.uid);
      await harness.kube.delete(ref(uid), { propagation: 'Background' });
    }
    await waitFor(
      `replica B to recreate the deleted objects, v2, also of the nodes taken over (${takenOver.join(', ')})`,
      async () => {
        for (const uid of all) {
          const object = await harness.kube.get(ref(uid));
          if (object === undefined || object.metadata.uid === uids.get(uid)) return undefined;
          if ((object.data as { version?: string }).version !== 'v2') return undefined;
        }
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  });
});

function membersOf(assignment: GroupAssignment): string {
  return [...assignment].map(([member, partitions]) => `${member}: ${partitions.join(',')}`).join('; ');
}
