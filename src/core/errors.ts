/**
 * Stable error codes users can search for. Each names one thing that is wrong,
 * and the message says where and how to fix it.
 */
export const ErrorCode = {
  BINLOG_DISABLED: 'ROWKUBE_ERR_BINLOG_DISABLED',
  BINLOG_FORMAT: 'ROWKUBE_ERR_BINLOG_FORMAT',
  BINLOG_ROW_IMAGE: 'ROWKUBE_ERR_BINLOG_ROW_IMAGE',
  BINLOG_ROW_METADATA: 'ROWKUBE_ERR_BINLOG_ROW_METADATA',
  /** MySQL writes partial JSON updates (binlog_row_value_options=PARTIAL_JSON): no full after-image. */
  BINLOG_ROW_VALUE_OPTIONS: 'ROWKUBE_ERR_BINLOG_ROW_VALUE_OPTIONS',
  /** MySQL compresses transactions in the binlog (binlog_transaction_compression=ON), which the binlog reader cannot read. */
  BINLOG_COMPRESSION: 'ROWKUBE_ERR_BINLOG_COMPRESSION',
  /** The binlog is on, but the snapshot's position could not be learnt (no snapshot status, the lock failed). */
  SNAPSHOT_POSITION: 'ROWKUBE_ERR_SNAPSHOT_POSITION',
  PRIVILEGES: 'ROWKUBE_ERR_PRIVILEGES',
  WAL_LEVEL: 'ROWKUBE_ERR_WAL_LEVEL',
  NO_PRIMARY_KEY: 'ROWKUBE_ERR_NO_PRIMARY_KEY',
  TABLE_NOT_FOUND: 'ROWKUBE_ERR_TABLE_NOT_FOUND',
  POSITION_PURGED: 'ROWKUBE_ERR_POSITION_PURGED',
  UNSUPPORTED_TYPE: 'ROWKUBE_ERR_UNSUPPORTED_TYPE',
  SOURCE_CONNECTION: 'ROWKUBE_ERR_SOURCE_CONNECTION',
  /** TLS to a source database failed: an untrusted or wrong CA, or a user that requires TLS reached without it. */
  SOURCE_TLS: 'ROWKUBE_ERR_SOURCE_TLS',
  /** A source database refused the login: a wrong user or password, or a database the user may not use. */
  SOURCE_AUTH: 'ROWKUBE_ERR_SOURCE_AUTH',
  KAFKA: 'ROWKUBE_ERR_KAFKA',
  /** Kafka refused rowkube's login or certificate, TLS met a plaintext port (or the reverse), or an ACL denied a request: the message names the setting to fix. */
  KAFKA_SECURITY: 'ROWKUBE_ERR_KAFKA_SECURITY',
  SCHEMA_NOT_FOUND: 'ROWKUBE_ERR_SCHEMA_NOT_FOUND',
  /** The schema registry refused a schema (HTTP 409/422: incompatible with the subject's compatibility setting, or invalid); capture of that table stops. */
  SCHEMA_REFUSED: 'ROWKUBE_ERR_SCHEMA_REFUSED',
  /** The schema registry could not be used: down, refused rowkube's credentials or certificate, or answered with an error. */
  SCHEMA_REGISTRY: 'ROWKUBE_ERR_SCHEMA_REGISTRY',
  CONFIG: 'ROWKUBE_ERR_CONFIG',
  /** A template failed for one row: a missing variable, a filter refused its input. */
  TEMPLATE: 'ROWKUBE_ERR_TEMPLATE',
  /** A rendered name, namespace or label breaks Kubernetes naming rules. */
  INVALID_NAME: 'ROWKUBE_ERR_INVALID_NAME',
  /** A row that cannot become a node: its uid is NULL or empty, or a value the database did not send. */
  ROW: 'ROWKUBE_ERR_ROW',
  /** The Kubernetes API server failed a request or could not be reached; the message has its status and reason. */
  KUBERNETES: 'ROWKUBE_ERR_KUBERNETES',
  /** The API server rejected an object as invalid (HTTP 400/422): a bad name, a missing field, a wrong type. */
  KUBERNETES_INVALID: 'ROWKUBE_ERR_KUBERNETES_INVALID',
  /** The API server refused to change a field that cannot change in place (a Deployment's selector, a Service's clusterIP): recreatePolicy OnImmutableChange deletes and recreates the object. */
  IMMUTABLE_FIELD: 'ROWKUBE_ERR_IMMUTABLE_FIELD',
  /** The API server refused the request for rowkube's credentials (HTTP 401/403): grant the verb in RBAC. */
  KUBERNETES_FORBIDDEN: 'ROWKUBE_ERR_KUBERNETES_FORBIDDEN',
  /** The API server serves no resource of this apiVersion and kind: a typo, or a CRD that is not installed. */
  UNKNOWN_KIND: 'ROWKUBE_ERR_UNKNOWN_KIND',
  /** Server-side apply found fields owned by another field manager (HTTP 409); conflictPolicy Force takes them. */
  APPLY_CONFLICT: 'ROWKUBE_ERR_APPLY_CONFLICT',
  /** An object's namespace is not in `kubernetes.allowedNamespaces`: the sink refuses to touch it. */
  FORBIDDEN_NAMESPACE: 'ROWKUBE_ERR_FORBIDDEN_NAMESPACE',
  /** waitForReady: an object did not become ready within its timeoutSeconds. */
  READY_TIMEOUT: 'ROWKUBE_ERR_READY_TIMEOUT',
  /** Leader election: this replica lost a source's Lease, so its capture of that source stopped writing. */
  NOT_LEADER: 'ROWKUBE_ERR_NOT_LEADER',
  /** A position given to `rowkube wait` or `/v1/nodes/{id}?position=` is malformed or does not fit the node's source. */
  POSITION: 'ROWKUBE_ERR_POSITION',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class RowkubeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** True when trying again later may succeed (a lost connection); false for a misconfiguration. */
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'RowkubeError';
  }
}

/** A bug (TypeError, RangeError, SyntaxError): never retried, whatever else is known about it. */
export function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
}

/** Programming errors are never retried, whatever else is known about them. */
export function isRetriable(error: unknown): boolean {
  if (isProgrammingError(error)) return false;
  if (error instanceof RowkubeError) return error.retriable;
  return false;
}
