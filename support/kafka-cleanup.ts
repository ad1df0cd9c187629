import type { Kafka } from 'kafkajs';

// Every run writes its own topics (unique prefix); a 100,000-row run leaves
// tens of MB, so they are deleted at the end. Best effort: a failure here
// changes no figure.

export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Left behind: harmless, the names are unique to this run.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Consumer groups outlive the run otherwise; best effort, the names are unique to the run. */
export async function deleteConsumerGroups(kafka: Kafka, groupIds: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups(groupIds);
  } catch {
    // Left behind (or never made): an empty group expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
