import { AssignerProtocol, type Kafka } from 'kafkajs';
import { waitFor } from './wait-for.js';

// Which member of a consumer group holds which partitions, as the group
// coordinator says: tests that move partitions between replicas wait for the
// group to settle on the split they expect before going on.

/** Member id → the partitions of `topic` assigned to it. */
export type GroupAssignment = Map<string, number[]>;

/**
 * Waits until the group is Stable and `settled` accepts its assignment of
 * `topic` (e.g. two members, each holding some partitions), and returns it.
 */
export async function settledAssignment(
  kafka: Kafka,
  groupId: string,
  topic: string,
  what: string,
  settled: (assignment: GroupAssignment) => boolean,
  timeoutMs = 60_000,
): Promise<GroupAssignment> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await waitFor(
      `group ${groupId}: ${what}`,
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        const group = groups[0];
        if (group?.state !== 'Stable') return undefined;
        const assignment: GroupAssignment = new Map(
          group.members.map((member) => {
            const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
            return [member.memberId, [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b)];
          }),
        );
        return settled(assignment) ? assignment : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
