import { z } from 'zod';

// What the sink writes besides the cluster: every node's status to the
// compacted `<prefix>.status` topic (docs/status.md).

export const sinkSchema = z
  .strictObject({
    status: z
      .boolean()
      .default(true)
      .describe(
        'Write every node’s state (Progressing, Ready, Failed, Conflict, Skipped, Deleted) to <prefix>.status, ' +
          'which `rowkube status`, `rowkube wait` and the dashboard read. false: those find no status.',
      ),
    statusDeletedRetentionSeconds: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe(
        'How long a deleted node keeps its Deleted status before the sink writes its tombstone and it disappears ' +
          'from <prefix>.status (counted from the deletion, also across restarts). 0: at once.',
      ),
  })
  .describe('The sink’s own records: the node status topic (docs/status.md).');

export type SinkConfig = z.infer<typeof sinkSchema>;
