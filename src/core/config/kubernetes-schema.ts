import { z } from 'zod';

export const kubernetesSchema = z
  .strictObject({
    kubeconfig: z
      .string()
      .min(1)
      .optional()
      .describe('Kubeconfig file of the cluster; default: $KUBECONFIG, then the in-cluster service account.'),
    fieldManager: z.string().min(1).default('rowkube').describe('Field manager of every server-side apply.'),
    allowedNamespaces: z
      .array(z.string().min(1))
      .default(['*'])
      .describe('Namespaces rowkube may write to and prune in; "*" matches any run of characters.'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(16)
      .describe('Kubernetes API requests the sink has in flight at once, across all nodes.'),
    driftIntervalSeconds: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe(
        'How often every node is re-applied as a safety net; changes made by others (a deleted object, a changed field) are set back as their watch event arrives, this pass catches what no event shows (changes made while the sink was down). 0 turns it off.',
      ),
    retry: z
      .strictObject({
        initialSeconds: z
          .number()
          .min(0.01)
          .default(1)
          .describe('First pause before a failed node is retried.'),
        maxSeconds: z.number().min(0.01).default(60).describe('The pause doubles up to this.'),
      })
      .prefault({})
      .describe('Backoff of a node whose apply failed; other nodes keep flowing.'),
  })
  .describe('The cluster the sink applies to.');

export type KubernetesConfig = z.infer<typeof kubernetesSchema>;
