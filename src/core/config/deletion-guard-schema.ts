import { z } from 'zod';

// The mass-deletion guard's limits (src/processor/deletion-guard.ts). One
// source transaction that would remove more than `share` AND more than `count`
// of a hub's nodes has its removals of that hub held until `rowkube release`.

const share = z
  .number()
  .min(0)
  .max(1)
  .describe(
    'Share of the hub’s live nodes (0–1) that one source transaction must remove, strictly more than, to be held.',
  );
const count = z
  .number()
  .int()
  .min(0)
  .describe(
    'Number of the hub’s nodes that one source transaction must remove, strictly more than, to be held.',
  );
const enabled = z.boolean().describe('false: every removal goes through at once, however many.');

export const deletionGuardSchema = z
  .strictObject({
    enabled: enabled.default(true),
    share: share.default(0.1),
    count: count.default(20),
  })
  .describe(
    'The mass-deletion guard: a source transaction (a DELETE, a TRUNCATE, an UPDATE that deactivates rows) that ' +
      'would remove more than `share` and more than `count` of a hub’s nodes is held until `rowkube release HUB` ' +
      '(docs/processor.md). Each hub may override these under its own `deletionGuard`.',
  );

/** A hub's overrides: unset fields take the global value. */
export const hubDeletionGuardSchema = z
  .strictObject({ enabled: enabled.optional(), share: share.optional(), count: count.optional() })
  .describe('This hub’s own limits for the mass-deletion guard; unset fields take `deletionGuard`’s.');

export type DeletionGuardConfig = z.infer<typeof deletionGuardSchema>;
export type HubDeletionGuardConfig = z.infer<typeof hubDeletionGuardSchema>;
