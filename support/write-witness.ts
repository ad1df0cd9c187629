import type { Kafka } from 'kafkajs';
import type { KubeClient } from '../src/sink/kube/index.js';

// Proof that a command wrote nothing: the resourceVersion of every object of
// some kinds in a namespace, and the end offset of every topic of a prefix,
// taken before and after. Equal snapshots mean no object was written (a write,
// even one that changes nothing the server keeps, bumps resourceVersion) and
// no record was appended.

/** "Kind/name" → resourceVersion of every object of `kinds` in `namespace`. */
export async function resourceVersions(
  kube: KubeClient,
  namespace: string,
  kinds: readonly { apiVersion: string; kind: string }[],
): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const { apiVersion, kind } of kinds)
    for (const object of await kube.list(apiVersion, kind, '', { namespace }))
      versions.set(`${kind}/${object.metadata.name}`, object.metadata.resourceVersion ?? '');
  return versions;
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
