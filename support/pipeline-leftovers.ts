import type { Kafka } from 'kafkajs';
import { type DatabaseKind, openAdminDatabase } from './admin-database.js';
import { deleteTopicsWithPrefix } from './kafka-cleanup.js';

// What a test's pipeline leaves outside the cluster, removed at its end: the
// topics under its prefix and, on PostgreSQL, the replication slot and the
// publication named after the prefix. Best effort: the names are unique to the run.

export async function removePipelineLeftovers(
  kafka: Kafka,
  prefix: string,
  kind?: DatabaseKind,
): Promise<void> {
  if (kind === 'postgres') {
    const admin = await openAdminDatabase('postgres');
    await admin
      .exec(
        `SELECT pg_drop_replication_slot('${prefix}') FROM pg_replication_slots WHERE slot_name = '${prefix}'`,
      )
      .catch(() => undefined);
    await admin.exec(`DROP PUBLICATION IF EXISTS ${prefix}`).catch(() => undefined);
    await admin.close();
  }
  await deleteTopicsWithPrefix(kafka, prefix);
}
