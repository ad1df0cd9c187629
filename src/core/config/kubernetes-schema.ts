import { z } from 'zod';

/** A cluster's name: what forms[].cluster renders, and the `cluster` label of metrics and audit events. */
export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const clusterSchema = z
  .strictObject({
    kubeconfig: z.string().min(1).describe('Kubeconfig file of this cluster.'),
    allowedNamespaces: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Namespaces rowkube may write to and prune in on this cluster; default: kubernetes.allowedNamespaces.',
      ),
  })
  .describe('One cluster the sink applies to.');

export type ClusterConfig = z.infer<typeof clusterSchema>;

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
    clusters: z
      .record(z.string(), clusterSchema)
      .superRefine((clusters, context) => {
        const names = Object.keys(clusters);
        if (names.length === 0)
          context.addIssue({ code: 'custom', message: 'name at least one cluster, or leave clusters out' });
        for (const name of names)
          if (!CLUSTER_NAME.test(name))
            context.addIssue({
              code: 'custom',
              path: [name],
              message: `cluster name '${name}' is no DNS label: use lowercase letters, digits and "-" (at most 63)`,
            });
      })
      .optional()
      .describe(
        "Several clusters, by name (docs/clusters.md): forms[].cluster picks each node's cluster; a form without it goes to the cluster named `default`. Without this the sink applies to one cluster (kubeconfig above), named `default`.",
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
