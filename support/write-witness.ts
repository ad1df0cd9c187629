import type { Kafka } from 'kafkajs';
import type { KubeClient } from '../src/sink/kube/index.js';

// Proof that a command wrote nothing: the resourceVersion (and the writers,
// from managedFields) of every object of some kinds in a namespace, and the
// end offset of every topic of a prefix, taken before and after. A write that
// changes anything bumps resourceVersion and its manager's managedFields
// entry; an appended record moves an end offset.

/** What an object says about who wrote it last. */
export interface ObjectWitness {
  resourceVersion: string;
  generation: number | undefined;
  /** Manager → its managedFields entries (operation, time, fields) as JSON. */
  managers: Map<string, string>;
}

/** "Kind/name" → the witness of every object of `kinds` in `namespace`. */
export async function objectWitnesses(
  kube: KubeClient,
  namespace: string,
  kinds: readonly { apiVersion: string; kind: string }[],
): Promise<Map<string, ObjectWitness>> {
  const witnesses = new Map<string, ObjectWitness>();
  for (const { apiVersion, kind } of kinds)
    for (const object of await kube.list(apiVersion, kind, '', { namespace })) {
      const managers = new Map<string, string>();
      for (const entry of object.metadata.managedFields ?? []) {
        const manager = entry.manager ?? '';
        managers.set(manager, `${managers.get(manager) ?? ''}${JSON.stringify(entry)}`);
      }
      witnesses.set(`${kind}/${object.metadata.name}`, {
        resourceVersion: object.metadata.resourceVersion ?? '',
        generation: object.metadata.generation,
        managers,
      });
    }
  return witnesses;
}

/**
 * Compares two witness snapshots. An object whose resourceVersion moved was
 * written; on a shared cluster the controllers keep writing status (a
 * Deployment's observedGeneration) long after the sink is done, so such a
 * write is told apart by who made it. `written` lists objects that are new,
 * gone, or were written by `manager` (its managedFields entry changed) or in
 * their spec (generation); `byOthers` counts resourceVersions moved by other
 * managers alone, by manager.
 */
export function writesBetween(
  before: ReadonlyMap<string, ObjectWitness>,
  after: ReadonlyMap<string, ObjectWitness>,
  manager: string,
): { written: string[]; byOthers: Map<string, number> } {
  const written: string[] = [];
  const byOthers = new Map<string, number>();
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(key);
    const b = after.get(key);
    if (a === undefined || b === undefined) {
      written.push(`${key}: ${a === undefined ? 'created' : 'deleted'}`);
      continue;
    }
    if (a.resourceVersion === b.resourceVersion) continue;
    if (a.generation !== b.generation || a.managers.get(manager) !== b.managers.get(manager)) {
      written.push(
        `${key}: resourceVersion ${a.resourceVersion} → ${b.resourceVersion}, written by ${manager}`,
      );
      continue;
    }
    for (const name of new Set([...a.managers.keys(), ...b.managers.keys()]))
      if (a.managers.get(name) !== b.managers.get(name)) byOthers.set(name, (byOthers.get(name) ?? 0) + 1);
  }
  return { written, byOthers };
}

/** "topic/partition" → end offset of every topic named `<prefix>.…`. */
export async function topicEndOffsets(kafka: Kafka, prefix: string): Promise<Map<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, string>();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`)).sort();
    for (const topic of topics)
      for (const { partition, high } of await admin.fetchTopicOffsets(topic))
        ends.set(`${topic}/${partition}`, high);
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/** The entries of `after` that differ from `before` (or are new or gone), as "key: before → after" lines. */
export function snapshotDifferences(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): string[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys
    .filter((key) => before.get(key) !== after.get(key))
    .map((key) => `${key}: ${before.get(key) ?? '(none)'} → ${after.get(key) ?? '(none)'}`);
}
