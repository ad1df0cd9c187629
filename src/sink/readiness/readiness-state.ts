/**
 * ready: dependents may go ahead. progressing: not yet, ask again later (the
 * caller's timeoutSeconds decides when to give up). failed: it will not get
 * ready without a change, so dependents need not wait for the timeout.
 */
export type ReadinessState = 'ready' | 'progressing' | 'failed';

export interface Readiness {
  readonly state: ReadinessState;
  /** Why, in words for an audit record or a log line: "2 of 3 replicas available". */
  readonly reason: string;
}

/** A rule for one kind: the live object (with its status) → its readiness. */
export type ReadinessRule = (object: object) => Readiness;

export const ready = (reason: string): Readiness => ({ state: 'ready', reason });
export const progressing = (reason: string): Readiness => ({ state: 'progressing', reason });
export const failed = (reason: string): Readiness => ({ state: 'failed', reason });
