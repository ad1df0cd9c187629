// Reading a live object's fields without trusting their shape: a status is
// filled in by controllers over time, so any part of it may be missing (just
// created) or, for a custom resource, be anything at all.

/** The value at a path of object keys, or undefined where the path breaks. */
export function fieldAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function numberAt(value: unknown, ...path: string[]): number | undefined {
  const found = fieldAt(value, ...path);
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}

export function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = fieldAt(value, ...path);
  return typeof found === 'string' ? found : undefined;
}

/** A status condition as Kubernetes API conventions define it. */
export interface Condition {
  readonly type: string;
  /** "True", "False" or "Unknown". */
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

/** The condition of a type in status.conditions, or undefined. */
export function conditionOf(object: unknown, type: string): Condition | undefined {
  const conditions = fieldAt(object, 'status', 'conditions');
  if (!Array.isArray(conditions)) return undefined;
  for (const candidate of conditions) {
    if (stringAt(candidate, 'type') !== type) continue;
    return {
      type,
      status: stringAt(candidate, 'status') ?? 'Unknown',
      reason: stringAt(candidate, 'reason'),
      message: stringAt(candidate, 'message'),
      observedGeneration: numberAt(candidate, 'observedGeneration'),
    };
  }
  return undefined;
}

/** "reason: message", whichever of them a condition has; the type when it has neither. */
export function describeCondition(condition: Condition): string {
  const parts = [condition.reason, condition.message].filter((part) => part !== undefined && part !== '');
  return parts.length > 0 ? parts.join(': ') : `${condition.type} is ${condition.status}`;
}

/** A non-empty status.loadBalancer.ingress: a load balancer or ingress controller gave it an address. */
export function hasLoadBalancerAddress(object: unknown): boolean {
  const ingress = fieldAt(object, 'status', 'loadBalancer', 'ingress');
  return Array.isArray(ingress) && ingress.length > 0;
}

/**
 * Why the controller's status is older than the spec, or undefined when it
 * is current. status.observedGeneration lags metadata.generation until the
 * controller has acted on the latest spec; until then every other status
 * field describes the previous spec.
 */
export function staleStatus(object: unknown): string | undefined {
  const generation = numberAt(object, 'metadata', 'generation');
  const observed = numberAt(object, 'status', 'observedGeneration');
  if (observed === undefined) return 'the controller has not reported a status yet';
  if (generation !== undefined && observed < generation) {
    return `the controller has observed generation ${observed}, not yet ${generation}`;
  }
  return undefined;
}
