import { ErrorCode, RowkubeError } from '../core/errors.js';

// Which Kafka failures rowkube can retry. Everything kafkajs throws becomes a
// ROWKUBE_ERR_KAFKA; it is retriable (a broker restart, a lost connection)
// unless another producer took over the transactional id, which no retry in
// this process can fix.

const FENCED = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/** kafkajs nests the broker's error code in `type`, sometimes under retries' `originalError` or `errors`. */
function kafkaErrorTypes(error: unknown, seen = new Set<unknown>()): string[] {
  if (error === null || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as { type?: unknown; originalError?: unknown; errors?: unknown; cause?: unknown };
  const types = typeof e.type === 'string' ? [e.type] : [];
  for (const inner of [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    types.push(...kafkaErrorTypes(inner, seen));
  }
  return types;
}

/** True when a newer producer with the same transactional id fenced this one off. */
export function isFenced(error: unknown): boolean {
  return kafkaErrorTypes(error).some((t) => FENCED.has(t));
}

/** `what` says what failed ("reading topic 'x' failed"); a RowkubeError passes through unchanged. */
export function toKafkaError(what: string, error: unknown): RowkubeError {
  if (error instanceof RowkubeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isFenced(error)) {
    return new RowkubeError(
      ErrorCode.KAFKA,
      `${what}: another process took over this source's transactional id (${message}); only one capture per source may run`,
      false,
      { cause: error },
    );
  }
  return new RowkubeError(ErrorCode.KAFKA, `${what}: ${message}`, true, { cause: error });
}

/** kafkajs errors that mean no broker answered, rather than that a broker refused a request. */
const UNREACHABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * True when the brokers could not be reached (refused, reset, timed out, no
 * broker known): a restart waits for Kafka to come back rather than for a bug
 * to be fixed. kafkajs wraps the connection error in its retrier's
 * KafkaJSNumberOfRetriesExceeded, and rowkube in a RowkubeError (`cause`).
 */
export function isKafkaUnreachable(error: unknown, seen = new Set<unknown>()): boolean {
  if (error === null || typeof error !== 'object' || seen.has(error)) return false;
  seen.add(error);
  const e = error as {
    name?: unknown;
    code?: unknown;
    originalError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.name === 'string' && UNREACHABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  const inner = [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((cause) => isKafkaUnreachable(cause, seen));
}
