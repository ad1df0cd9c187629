import type { DesiredResourceValue } from '../contracts/index.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import {
  ApplyConflictError,
  ImmutableFieldError,
  KubeApiError,
  type KubeObject,
  type ObjectRef,
} from '../sink/kube/index.js';
import { withIgnoredFields } from '../sink/ownership/index.js';
import { desiredChanges, fieldChanges } from './field-diff.js';
import type { PlanContext } from './plan-context.js';
import type { ObjectPlan } from './plan-types.js';

// One object of a node, diffed against the live cluster: the apply the sink
// would make (same field manager, same owned manifest, ignoreFields and
// conflictPolicy as the sink applies them, apply-resource.ts) sent with
// dryRun=All, and the result compared with the live object. The server
// validates, defaults and merges as for a real apply, and persists nothing.

/** Tries for a request that got no answer or a retriable one (429, 5xx), before the plan fails. */
const ATTEMPTS = 3;

export interface DryRunOutcome {
  plan: ObjectPlan;
  /** The dry run failed because this namespace does not exist (yet): the node decides whether it creates it. */
  missingNamespace?: string;
}

export async function dryRunObject(
  context: PlanContext,
  prepared: { resource: DesiredResourceValue; object: KubeObject; ref: ObjectRef },
): Promise<DryRunOutcome> {
  const { resource, object, ref } = prepared;
  const base = { resourceId: resource.id, ref, changes: [] };
  const live = await request(context, () => context.live.get(ref));
  if (live !== undefined && resource.creationPolicy === 'Once')
    return {
      plan: {
        ...base,
        action: 'unchanged',
        note: 'creationPolicy Once: the object exists and is left as it is',
      },
    };
  const desired =
    live === undefined ? object : (withIgnoredFields(object, live, resource.ignoreFields) as KubeObject);
  try {
    const after = await request(context, () =>
      context.kube.applyReporting(desired, {
        fieldManager: context.fieldManager,
        force: resource.conflictPolicy === 'Force',
        dryRun: true,
      }),
    );
    if (live === undefined) return { plan: { ...base, action: 'create' } };
    const changes = fieldChanges(live, after.object, resource.ignoreFields);
    return { plan: { ...base, action: changes.length > 0 ? 'update' : 'unchanged', changes } };
  } catch (error) {
    if (error instanceof ApplyConflictError)
      return {
        plan: {
          ...base,
          action: 'conflict',
          error: `${error.summary}${resource.conflictPolicy === 'Stuck' ? ' (conflictPolicy Stuck)' : ''}`,
        },
      };
    if (!(error instanceof KubeApiError)) {
      if (error instanceof RowkubeError && !error.retriable)
        return { plan: { ...base, action: 'error', error: error.message } };
      throw error;
    }
    // The sink's kube client tells an update refused for immutable fields
    // alone (kube-errors.ts) from one that is invalid for another reason.
    if (error instanceof ImmutableFieldError && live !== undefined) {
      const recreate = resource.recreatePolicy === 'OnImmutableChange';
      return {
        plan: {
          ...base,
          action: recreate ? 'recreate' : 'immutable',
          changes: desiredChanges(live, desired, resource.ignoreFields),
          immutableFields: error.fields.map((f) => f.field),
          error: error.message,
        },
      };
    }
    if (error.code === ErrorCode.KUBERNETES_INVALID || error.code === ErrorCode.IMMUTABLE_FIELD)
      return { plan: { ...base, action: 'invalid', error: error.message } };
    const namespace = missingNamespace(error, ref);
    if (live === undefined && namespace !== undefined)
      return {
        plan: {
          ...base,
          action: 'create',
          note: `not checked by the server: its namespace ${namespace} does not exist yet`,
        },
        missingNamespace: namespace,
      };
    // No answer, or overload after the retries: the plan as a whole cannot be trusted.
    if (error.retriable && error.status !== 404) throw error;
    return { plan: { ...base, action: 'error', error: error.message } };
  }
}

/** The namespace a 404 of a dry-run apply says is missing (`namespaces "x" not found`). */
function missingNamespace(error: KubeApiError, ref: ObjectRef): string | undefined {
  if (error.status !== 404 || ref.namespace === undefined) return undefined;
  return error.message.includes(`namespaces "${ref.namespace}" not found`) ? ref.namespace : undefined;
}

/**
 * Runs a Kubernetes request through the sink's limiter; a retriable failure
 * (no answer, 429, 5xx) is tried again a few times, then fails the whole
 * plan with the client's message, which names the object and the server's
 * words. Final answers (invalid, forbidden) come back at once.
 */
export async function request<T>(context: PlanContext, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await context.limiter.run(call);
    } catch (error) {
      const retriable = error instanceof RowkubeError && error.retriable;
      const notFound = error instanceof KubeApiError && error.status === 404;
      if (!retriable || notFound || attempt >= ATTEMPTS) throw error;
      const pause =
        error instanceof KubeApiError && error.retryAfterMs !== undefined
          ? error.retryAfterMs
          : 500 * attempt;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, 5_000)));
    }
  }
}
