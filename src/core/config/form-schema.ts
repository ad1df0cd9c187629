import { z } from 'zod';

export const resourceSchema = z
  .strictObject({
    id: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/,
        'use lowercase letters, digits, "-" and "_" (at most 63)',
      )
      .describe('Unique within the form; dependIds refer to it.'),
    manifest: z
      .record(z.string(), z.unknown())
      .refine((m) => typeof m.apiVersion === 'string' && typeof m.kind === 'string', {
        message: 'a manifest needs apiVersion and kind',
      })
      .refine((m) => typeof (m.metadata as { name?: unknown } | undefined)?.name === 'string', {
        message: 'a manifest needs metadata.name',
      })
      .describe('The Kubernetes object; string leaves may hold Liquid templates, keys never do.'),
    dependIds: z
      .array(z.string())
      .default([])
      .describe('Resources of this form applied (and ready) before this one.'),
    waitForReady: z.boolean().default(false).describe('Dependents wait until this resource is ready.'),
    timeoutSeconds: z.number().int().min(1).default(300).describe('How long waitForReady waits.'),
    skipOnDependencyFailure: z
      .boolean()
      .default(true)
      .describe('Skip this resource when a dependency failed or timed out.'),
    creationPolicy: z
      .enum(['WhenNeeded', 'Once'])
      .default('WhenNeeded')
      .describe('Once: create, then never touch again.'),
    deletionPolicy: z
      .enum(['Delete', 'Retain'])
      .default('Delete')
      .describe(
        'Retain: when the node goes away the object stays, without owner labels, with orphan markers.',
      ),
    conflictPolicy: z
      .enum(['Stuck', 'Force'])
      .default('Stuck')
      .describe('Stuck: report a field owned by another manager and leave the object; Force: take it over.'),
    targetNamespace: z.string().optional().describe('Namespace (template allowed) to create the object in.'),
    ignoreFields: z
      .array(z.string())
      .default([])
      .describe('Dotted paths rowkube never sets after creation (e.g. spec.replicas under an autoscaler).'),
    includeWhen: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A Liquid condition over the node's variables (like a hub's filter, e.g. \"plan == 'enterprise'\"): while it is false the resource is not part of the node, so its object is pruned (or orphaned under deletionPolicy Retain); when it turns true the object is created. A dependId on a left-out resource is dropped from its dependents, which are not blocked. Unset: always included.",
      ),
    recreatePolicy: z
      .enum(['Never', 'OnImmutableChange'])
      .default('Never')
      .describe(
        'OnImmutableChange: when the apiserver refuses a change as "field is immutable", delete the object, wait until it is gone and apply it again; Never: report the error.',
      ),
  })
  .describe('One Kubernetes object of a form, with its policies.');

export const rolloutSchema = z
  .strictObject({
    maxInProgress: z
      .number()
      .int()
      .min(1)
      .describe('At most this many nodes are changed to a new form version and not yet Ready at once.'),
    failureThreshold: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe(
        'After this many nodes fail on the new form version, the rollout pauses until `rowkube rollout resume`.',
      ),
    pause: z
      .boolean()
      .default(false)
      .describe(
        'true: a new form version waits for `rowkube rollout resume FORM` before its first node changes.',
      ),
  })
  .describe(
    'How a change of the form itself reaches the existing nodes. A new or updated row is never held back: it is rendered at once with the form version current for its node.',
  );

export const formSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label: lowercase letters, digits and "-"')
      .describe('Names the form; node ids are <form>/<uid>.'),
    hub: z.string().min(1).describe('The hub whose rows this form renders.'),
    cluster: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The cluster of each node, a template over the node\'s variables (e.g. "{{ shard }}") rendering a name of kubernetes.clusters; a node moved to another cluster is created there, then removed from the old one.',
      ),
    resources: z.array(resourceSchema).min(1),
    rollout: rolloutSchema.optional(),
  })
  .describe('The resources rendered for each row of a hub.');

export type FormConfig = z.infer<typeof formSchema>;
export type ResourceConfig = z.infer<typeof resourceSchema>;
export type RolloutConfig = z.infer<typeof rolloutSchema>;
