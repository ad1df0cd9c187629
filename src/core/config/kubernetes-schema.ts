import { z } from 'zod';

export const kubernetesSchema = z
  .strictObject({
    fieldManager: z.string().min(1).default('rowkube').describe('Field manager of every server-side apply.'),
    allowedNamespaces: z
      .array(z.string().min(1))
      .default(['*'])
      .describe('Namespaces rowkube may write to and prune in; "*" matches any run of characters.'),
  })
  .describe('The cluster the sink applies to.');

export type KubernetesConfig = z.infer<typeof kubernetesSchema>;
