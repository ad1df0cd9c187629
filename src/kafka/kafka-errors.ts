import { ErrorCode, RowkubeError } from '../core/errors.js';

// Which Kafka failures rowkube can retry. Everything kafkajs throws becomes a
// ROWKUBE_ERR_KAFKA; it is retriable (a broker restart, a lost connection)
// unless another producer took over the transactional id, which no retry in
// this process can fix.

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** Broker error codes of a missing ACL, and what kind of resource was refused. */
const DENIED: Record<string, string> = {
  TOPIC_AUTHORIZATION_FAILED: 'a topic',
  GROUP_AUTHORIZATION_FAILED: 'a consumer group',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'a transactional id',
  CLUSTER_AUTHORIZATION_FAILED: 'the cluster',
};

/** Node's codes for a broker certificate that does not chain to a trusted CA. */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
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

/** Every error in kafkajs's and rowkube's wrapping: the error itself, its originalError, cause and errors. */
function errorChain(error: unknown, seen = new Set<unknown>()): Record<string, unknown>[] {
  if (error === null || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const e = error as Record<string, unknown>;
  const inner = [e.originalError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return [e, ...inner.flatMap((cause) => errorChain(cause, seen))];
}

/** A TLS socket the other end closed before the handshake completed. */
const HANDSHAKE_CLOSED = /disconnected before secure TLS connection/i;

export interface SecurityFailureOptions {
  /**
   * The first connection of a command (checkKafkaAccess): a TLS handshake the
   * broker closes then means a port that does not speak TLS. Later in a run
   * the same closure is a broker going down or restarting, an outage to wait
   * out, so it is a security failure only here.
   */
  atStart?: boolean;
}

/**
 * A failure that no retry fixes because a security setting is wrong: the SASL
 * login was refused, the brokers' certificate is not trusted or does not match,
 * TLS met a port that does not speak it, or an ACL denied a request. The
 * message names the setting to fix; it never holds a secret (kafkajs's SASL
 * messages name the mechanism, never the password). Undefined otherwise.
 */
export function kafkaSecurityFailure(
  what: string,
  error: unknown,
  options: SecurityFailureOptions = {},
): RowkubeError | undefined {
  const chain = errorChain(error);
  const fail = (message: string) =>
    new RowkubeError(ErrorCode.KAFKA_SECURITY, `${what}: ${message}`, false, { cause: error });
  for (const e of chain) {
    const message = typeof e.message === 'string' ? e.message : '';
    const code = typeof e.code === 'string' ? e.code : '';
    if (e.name === 'KafkaJSSASLAuthenticationError' && message.includes('OAUTHBEARER')) {
      // oauth-bearer.ts's messages name kafka.sasl.tokenFile and say what is wrong with its token.
      return fail(`Kafka OAUTHBEARER login failed (${message}); fix the token in kafka.sasl.tokenFile`);
    }
    if (e.name === 'KafkaJSSASLAuthenticationError') {
      return fail(
        `Kafka refused the SASL login (${message}); check kafka.sasl.password, kafka.sasl.username and kafka.sasl.mechanism`,
      );
    }
    if (
      UNTRUSTED_CERT_CODES.has(code) ||
      /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate/i.test(
        message,
      )
    ) {
      return fail(
        `the brokers' TLS certificate is not trusted (${message}); set kafka.ssl.ca to the CA that signed it`,
      );
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /Hostname\/IP does not match certificate/i.test(message)) {
      return fail(
        `the brokers' TLS certificate is for another name (${message}); fix kafka.brokers or set kafka.ssl.servername`,
      );
    }
    if (
      code === 'EPROTO' ||
      /wrong version number|packet length too long|unknown protocol/i.test(message) ||
      (options.atStart === true && HANDSHAKE_CLOSED.test(message))
    ) {
      return fail(
        `the TLS handshake failed: the broker port does not speak TLS (${message}); point kafka.brokers at the brokers' TLS listener, or remove kafka.ssl for a plaintext one`,
      );
    }
    const kind = typeof e.type === 'string' ? DENIED[e.type] : undefined;
    if (kind !== undefined) {
      return fail(
        `Kafka denied access to ${kind} (${e.type}: ${message}); grant the ACLs that \`rowkube kafka-acls --config FILE\` prints to the principal rowkube logs in as (kafka.sasl.username, or the subject of the kafka.sasl.tokenFile token)`,
      );
    }
  }
  return undefined;
}

/** `what` says what failed ("reading topic 'x' failed"); a RowkubeError passes through unchanged. */
export function toKafkaError(what: string, error: unknown): RowkubeError {
  if (error instanceof RowkubeError) return error;
  const security = kafkaSecurityFailure(what, error);
  if (security !== undefined) return security;
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
  // A TLS or login failure also surfaces as a connection error, but waiting does not fix it.
  if (seen.size === 0 && kafkaSecurityFailure('', error) !== undefined) return false;
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
