import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { describeRef, type ObjectRef } from './kube-object.js';

// The one place that decides what a failed Kubernetes request means and
// whether trying again can help. Callers get a RowkubeError whose message
// starts with the object it is about and ends with the server's own words.

/** What the client was doing when the request failed, for messages and logs. */
export type KubeVerb =
  | 'apply'
  | 'dry-run apply'
  | 'get'
  | 'create'
  | 'update'
  | 'delete'
  | 'merge-patch'
  | 'list'
  | 'watch'
  | 'discovery';

/** The subject of a failed request: an object, or a description (a list, a discovery document). */
export type KubeSubject = { ref: ObjectRef } | { what: string };

export interface KubeFailure {
  verb: KubeVerb;
  subject: KubeSubject;
  /** HTTP status; undefined when no response came back (connection refused, reset, timed out). */
  status?: number;
  /** The Status reason (`Invalid`, `Conflict`, `NotFound`, …) when the server sent one. */
  reason?: string;
  /** From a Retry-After header (429, some 5xx): how long the server asks the client to wait. */
  retryAfterMs?: number;
}

export class KubeApiError extends RowkubeError {
  readonly verb: KubeVerb;
  /** The object the request was about; undefined for lists and discovery. */
  readonly ref: ObjectRef | undefined;
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** The message without the code prefix, e.g. for an audit event's reason next to its errorCode. */
  readonly summary: string;

  constructor(
    code: ErrorCode,
    message: string,
    retriable: boolean,
    failure: KubeFailure,
    options?: { cause?: unknown },
  ) {
    super(code, message, retriable, options);
    this.name = 'KubeApiError';
    this.verb = failure.verb;
    this.ref = 'ref' in failure.subject ? failure.subject.ref : undefined;
    this.status = failure.status;
    this.reason = failure.reason;
    this.retryAfterMs = failure.retryAfterMs;
    this.summary = message;
  }
}

/** One field that server-side apply would have taken from another manager. */
export interface FieldConflict {
  /** The field manager that owns the field, e.g. `kubectl-client-side-apply`. */
  manager: string;
  /** The field path as the server prints it, e.g. `.spec.replicas`. */
  field: string;
}

/**
 * Server-side apply refused to take fields another field manager owns (HTTP
 * 409 with FieldManagerConflict causes). Not retriable: the same apply will
 * conflict again until someone decides — conflictPolicy Force takes
 * ownership, Stuck leaves the object to its other manager.
 */
export class ApplyConflictError extends KubeApiError {
  constructor(
    ref: ObjectRef,
    readonly conflicts: readonly FieldConflict[],
    serverMessage: string,
  ) {
    const listed =
      conflicts.length === 0
        ? serverMessage
        : conflicts.map((c) => `${c.field} (owned by "${c.manager}")`).join(', ');
    super(
      ErrorCode.APPLY_CONFLICT,
      `${describeRef(ref)}: apply conflicts with another field manager: ${listed}; ` +
        'conflictPolicy Force takes ownership of these fields',
      false,
      { verb: 'apply', subject: { ref }, status: 409, reason: 'Conflict' },
    );
    this.name = 'ApplyConflictError';
  }

  /** The distinct managers that own conflicting fields. */
  get managers(): string[] {
    return [...new Set(this.conflicts.map((c) => c.manager))];
  }
}

/** One field the API server refused to change in place, with its words for why. */
export interface ImmutableField {
  /** The field path as the server prints it, e.g. `spec.selector`, `spec.clusterIPs[0]`. */
  field: string;
  /** The end of the server's message, without the value it dumps: `field is immutable`, `may not change once set`. */
  message: string;
}

/**
 * The API server refused an update because fields it changes cannot change
 * in place (HTTP 422 Invalid, every cause an immutability rule): a
 * Deployment's selector, a Service's clusterIP, a Job's template, an
 * immutable ConfigMap's data. Not retriable: only deleting the object and
 * creating it again (recreatePolicy OnImmutableChange), or reverting the
 * change, gets the apply through.
 */
export class ImmutableFieldError extends KubeApiError {
  constructor(
    ref: ObjectRef,
    verb: KubeVerb,
    readonly fields: readonly ImmutableField[],
  ) {
    super(
      ErrorCode.IMMUTABLE_FIELD,
      `${describeRef(ref)}: ${verb} failed (HTTP 422 Invalid): ${describeImmutable(fields)}`,
      false,
      { verb, subject: { ref }, status: 422, reason: 'Invalid' },
    );
    this.name = 'ImmutableFieldError';
  }
}

/** `spec.selector: field is immutable; spec.template: field is immutable`. */
export function describeImmutable(fields: readonly ImmutableField[]): string {
  return fields.map((f) => (f.field === '' ? f.message : `${f.field}: ${f.message}`)).join('; ');
}

/**
 * How the API server words an immutability rule, as kube-apiserver 1.33
 * answers (probed): `field is immutable` (Deployment and Job selector, Job
 * template, ConfigMap data with `immutable: true`, CEL rules written as
 * `self == oldSelf` usually say "is immutable"), `may not change once set`
 * (a Service's clusterIP), `updates to statefulset spec for fields other
 * than …` (a StatefulSet's volumeClaimTemplates, serviceName, selector),
 * `may not change fields other than` (a Pod's spec).
 */
const IMMUTABLE_CAUSE =
  /\bimmutable\b|may not change once set|may not change fields other than|updates to statefulset spec for fields other than/i;

/**
 * The fields a 422 Invalid Status refuses as immutable; undefined unless
 * every cause is an immutability rule, since recreating an object that is
 * invalid for another reason as well would only delete it.
 */
export function immutableFields(status: number, body: unknown): ImmutableField[] | undefined {
  const parsed = asStatus(body);
  if (status !== 422 || parsed?.reason !== 'Invalid') return undefined;
  const causes = parsed.details?.causes ?? [];
  if (causes.length === 0) return undefined;
  const fields: ImmutableField[] = [];
  for (const cause of causes) {
    const message = typeof cause.message === 'string' ? cause.message : '';
    if (!IMMUTABLE_CAUSE.test(message)) return undefined;
    fields.push({
      field: typeof cause.field === 'string' ? cause.field : '',
      message: withoutValue(message),
    });
  }
  return fields;
}

/**
 * The server's message without the refused value it prints first (`Invalid
 * value: core.PodTemplateSpec{…}: field is immutable`, several KB for a Job's
 * template): the words after the last `: `.
 */
function withoutValue(message: string): string {
  const at = message.lastIndexOf(': ');
  return at === -1 ? message : message.slice(at + 2);
}

/** The parts of a metav1.Status the classification reads. */
interface StatusBody {
  kind?: unknown;
  message?: unknown;
  reason?: unknown;
  details?: { causes?: { reason?: unknown; message?: unknown; field?: unknown }[] };
}

const MANAGER_IN_MESSAGE = /conflict with "([^"]*)"/;

/**
 * The field conflicts a 409 Status lists, one per cause of reason
 * FieldManagerConflict, e.g. message `conflict with "kubectl-client-side-apply"
 * using apps/v1`, field `.spec.replicas`. Empty for other 409s (a stale
 * resourceVersion), which are optimistic-concurrency failures, not conflicts.
 */
export function fieldConflicts(body: unknown): FieldConflict[] {
  const causes = asStatus(body)?.details?.causes ?? [];
  const conflicts: FieldConflict[] = [];
  for (const cause of causes) {
    if (cause.reason !== 'FieldManagerConflict') continue;
    const message = typeof cause.message === 'string' ? cause.message : '';
    const manager = MANAGER_IN_MESSAGE.exec(message)?.[1] ?? message;
    const field = typeof cause.field === 'string' ? cause.field : '';
    conflicts.push({ manager, field });
  }
  return conflicts;
}

/** The error for an HTTP response outside 2xx (404s the caller expects are handled before). */
export function kubeStatusError(failure: KubeFailure & { status: number }, body: unknown): KubeApiError {
  const status = asStatus(body);
  const reason = typeof status?.reason === 'string' && status.reason !== '' ? status.reason : undefined;
  const serverMessage =
    typeof status?.message === 'string' && status.message !== '' ? status.message : describeBody(body);
  const withReason: KubeFailure = { ...failure, ...(reason === undefined ? {} : { reason }) };

  if (failure.status === 409 && 'ref' in failure.subject) {
    const conflicts = fieldConflicts(body);
    if (conflicts.length > 0) return new ApplyConflictError(failure.subject.ref, conflicts, serverMessage);
  }
  if ('ref' in failure.subject) {
    const immutable = immutableFields(failure.status, body);
    if (immutable !== undefined) return new ImmutableFieldError(failure.subject.ref, failure.verb, immutable);
  }
  const { code, retriable } = classify(failure.status, body);
  // The server's words name the identity and the namespace; the hint says where the rules come from.
  const hint =
    code === ErrorCode.KUBERNETES_FORBIDDEN
      ? '; the rules rowkube needs are what `rowkube rbac --config FILE` prints (docs/rbac.md)'
      : '';
  const text = `${subjectText(failure.subject)}: ${failure.verb} failed (HTTP ${failure.status}${
    reason === undefined ? '' : ` ${reason}`
  }): ${serverMessage}${hint}`;
  return new KubeApiError(code, text, retriable, withReason);
}

/** The error for a request that got no response: always worth another try. */
export function kubeNetworkError(failure: KubeFailure, cause: unknown): KubeApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const errno = (cause as { code?: unknown } | undefined)?.code;
  const code = typeof errno === 'string' && !detail.includes(errno) ? ` (${errno})` : '';
  return new KubeApiError(
    ErrorCode.KUBERNETES,
    `${subjectText(failure.subject)}: ${failure.verb} failed, the API server did not answer: ${detail}${code}`,
    true,
    failure,
    { cause },
  );
}

/** The error for an apiVersion/kind the server does not serve. */
export function unknownKindError(
  verb: KubeVerb,
  apiVersion: string,
  kind: string,
  ref?: ObjectRef,
): KubeApiError {
  const subject: KubeSubject = ref === undefined ? { what: `${kind} (${apiVersion})` } : { ref };
  return new KubeApiError(
    ErrorCode.UNKNOWN_KIND,
    `${subjectText(subject)}: the API server has no resource of kind ${kind} in ${apiVersion}: ` +
      'check apiVersion and kind, or install the CustomResourceDefinition first',
    false,
    { verb, subject, status: 404, reason: 'NotFound' },
  );
}

export function subjectText(subject: KubeSubject): string {
  return 'ref' in subject ? describeRef(subject.ref) : subject.what;
}

/**
 * Retriable: what a later attempt can fix by itself — overload (429), server
 * and gateway failures (5xx), timeouts (408), optimistic-concurrency 409s, a
 * namespace that does not exist yet or is still terminating. Not retriable:
 * what only a changed object or configuration fixes — invalid objects
 * (400/422), missing permissions (401/403).
 */
function classify(status: number, body: unknown): { code: ErrorCode; retriable: boolean } {
  if (status === 400 || status === 422 || isUntypablePatch(status, body)) {
    return { code: ErrorCode.KUBERNETES_INVALID, retriable: false };
  }
  if (status === 401) return { code: ErrorCode.KUBERNETES_FORBIDDEN, retriable: false };
  if (status === 403) {
    // Creating in a namespace that is being deleted is refused with 403; once
    // the namespace is gone the apply recreates it and succeeds.
    const terminating = asStatus(body)?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
    return terminating
      ? { code: ErrorCode.KUBERNETES, retriable: true }
      : { code: ErrorCode.KUBERNETES_FORBIDDEN, retriable: false };
  }
  // 404 here (get and delete handle theirs) means a missing namespace or
  // parent: ordering or a concurrent delete, which the next attempt may not see.
  if (
    status === 404 ||
    status === 408 ||
    status === 409 ||
    status === 410 ||
    status === 429 ||
    status >= 500
  ) {
    return { code: ErrorCode.KUBERNETES, retriable: true };
  }
  return { code: ErrorCode.KUBERNETES, retriable: false };
}

/**
 * Server-side apply of a value of the wrong type (a number where the schema
 * wants a string) is answered with HTTP 500 and no reason, not 422 (seen on
 * kube-apiserver 1.33): `failed to create typed patch object (…): .data.x:
 * expected string, got …`. Retrying cannot fix the object.
 */
function isUntypablePatch(status: number, body: unknown): boolean {
  const message = asStatus(body)?.message;
  return (
    status === 500 && typeof message === 'string' && message.includes('failed to create typed patch object')
  );
}

function asStatus(body: unknown): StatusBody | undefined {
  return body !== null && typeof body === 'object' ? (body as StatusBody) : undefined;
}

/** A body that is not a Status (a proxy's HTML page, plain text): the start of it, on one line. */
function describeBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return 'no message from the server';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
