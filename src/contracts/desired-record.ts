// One record of `<prefix>.desired`: a node's rendered resources with their
// policies, or why it could not be rendered, and the change that produced it.
// The processor writes it (src/processor/desired), the sink and replay read
// it; the Avro schema is schemas/desired.avsc (codec in src/kafka). Avro longs
// are bigint, as everywhere in rowkube.

/** Where a desired record comes from: the change record whose processing produced it. */
export interface Provenance {
  /** The configured source name. */
  source: string;
  /** The table as the configuration names it. */
  table: string;
  /** The source position as JSON text; null for a change-topic tombstone. */
  position: string | null;
  /** Commit time by the database clock, ms since epoch; null for a change-topic tombstone. */
  commitTsMs: bigint | null;
  /** The changed row's primary key as canonical JSON text. */
  primaryKey: string;
  /**
   * When capture encoded the change (the change envelope's ts_ms), by
   * rowkube's clock, ms since epoch. Optional: records written before the
   * field decode with null, and internal records (tombstones, holds) leave it out.
   */
  capturedAtMs?: bigint | null;
  /** When the processor received the change from Kafka, by its clock, ms since epoch; optional like capturedAtMs. */
  changeSeenAtMs?: bigint | null;
}

/** A desired value as encoded (and as decodeNative gives it back). */
export interface DesiredValue {
  id: string;
  form: string;
  hub: string;
  uid: string;
  resources: DesiredResourceValue[];
  error: { code: string; message: string; resourceId: string | null; path: string | null } | null;
  contentHash: string;
  provenance: Provenance;
  /**
   * The version of the form definition the node was rendered with
   * (formVersion in form-version.ts); null in records written before the field.
   */
  formVersion?: string | null;
  /**
   * The cluster the node is applied to (a name of kubernetes.clusters,
   * rendered from forms[].cluster); null or absent: the default cluster.
   */
  cluster?: string | null;
}

export interface DesiredResourceValue {
  id: string;
  /** JSON text. */
  manifest: string;
  dependIds: string[];
  waitForReady: boolean;
  timeoutSeconds: number;
  skipOnDependencyFailure: boolean;
  creationPolicy: string;
  deletionPolicy: string;
  conflictPolicy: string;
  targetNamespace: string | null;
  ignoreFields: string[];
  /** Never | OnImmutableChange; records written before the field decode with Never. */
  recreatePolicy?: string;
}
