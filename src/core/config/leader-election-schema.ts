import { z } from 'zod';

// Leader election of capture (src/cluster/): each source is captured by the
// one replica that holds its coordination.k8s.io/v1 Lease; the others stand
// by. The defaults aim at a takeover within 10 s of losing the leader: a
// candidate sees the lease expire 6 s after it observed the last renewal
// (observed within a retry period of it), tries every second, and capture
// needs about a second to start: at worst 6 + 1 + 1 + 1 s.

export const leaderElectionSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'true: capture of each source runs only on the replica holding its Lease, so several `rowkube run` or ' +
          '`rowkube capture` replicas can share the sources. false: capture runs wherever it is started (one process).',
      ),
    namespace: z
      .string()
      .min(1)
      .optional()
      .describe("Namespace of the Leases; default: the pod's namespace (service account), else `default`."),
    leaseDurationSeconds: z
      .number()
      .min(1)
      .default(6)
      .describe(
        'How long a Lease holds after its last renewal: a candidate takes over once it saw the Lease unchanged for this long. Written as whole seconds (rounded up).',
      ),
    renewDeadlineSeconds: z
      .number()
      .min(0.5)
      .default(4)
      .describe(
        'A leader that could not renew for this long stops capturing, before its Lease expires; below leaseDurationSeconds.',
      ),
    retryPeriodSeconds: z
      .number()
      .min(0.1)
      .default(1)
      .describe('How often the leader renews and a candidate tries to acquire.'),
  })
  .refine((e) => e.renewDeadlineSeconds < e.leaseDurationSeconds, {
    message: 'renewDeadlineSeconds must be below leaseDurationSeconds',
    path: ['renewDeadlineSeconds'],
  })
  .refine((e) => e.retryPeriodSeconds < e.renewDeadlineSeconds, {
    message: 'retryPeriodSeconds must be below renewDeadlineSeconds',
    path: ['retryPeriodSeconds'],
  })
  .describe('Leader election of capture per source through Kubernetes Leases (docs/high-availability.md).');

export type LeaderElectionConfig = z.infer<typeof leaderElectionSchema>;
