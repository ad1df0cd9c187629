import type { DesiredValue, StageTimes } from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { type PackedValue, unpackValue } from '../../kafka/index.js';
import { NodeAudit } from '../apply/sink-context.js';

// What the sink schedules for a node: its desired state (null: the node is
// gone), and the desired-topic record it came from, if any — drift checks and
// the start-up clean-up have none, so they never hold back a committed offset.

export interface DesiredWork {
  /** The desired state, decoded; read it through desiredOf, which decodes `packed` first. */
  value?: DesiredValue | null;
  /**
   * A record's value as read, decoded only when the work runs (desiredOf):
   * work parked behind a bulk then holds the bytes the desired share keeps
   * anyway, not a decoded copy several times their size.
   */
  packed?: { value: PackedValue | null; receivedAtMs: number | undefined };
  record?: { partition: number; offset: bigint };
  /** Re-apply even what looks unchanged: someone may have changed the object. */
  verify: boolean;
}

/**
 * The work's desired state (null: the node is gone). A packed value is
 * decoded on the first call and kept for retries; its arrival time marks it
 * as desiredSeen would have at arrival.
 */
export function desiredOf(work: DesiredWork): DesiredValue | null {
  if (work.packed !== undefined) {
    const { value: packed, receivedAtMs } = work.packed;
    const value = packed === null ? null : unpackDesired(packed, work);
    desiredSeen(value, receivedAtMs);
    work.value = value;
    work.packed = undefined;
  }
  return work.value ?? null;
}

/** Final for the record (no retry decodes it either): the node fails with the record's place in its message. */
function unpackDesired(packed: PackedValue, work: DesiredWork): DesiredValue {
  try {
    return unpackValue<DesiredValue>(packed);
  } catch (error) {
    const where =
      work.record === undefined ? '' : ` (partition ${work.record.partition}, offset ${work.record.offset})`;
    throw new RowkubeError(
      ErrorCode.KAFKA,
      `the desired record${where} does not decode with its writer schema: ${error instanceof Error ? error.message : String(error)}`,
      false,
      { cause: error },
    );
  }
}

/** hub and form of a node, also for a tombstone, which says nothing else: the form is the id's first part. */
export function nodeParts(
  nodeId: string,
  value: DesiredValue | null,
  forms: readonly { name: string; hub: string }[],
): { hub: string; form: string } {
  if (value !== null) return { hub: value.hub, form: value.form };
  const form = nodeId.slice(0, Math.max(0, nodeId.indexOf('/')));
  return { hub: forms.find((candidate) => candidate.name === form)?.hub ?? '', form };
}

/**
 * When the sink received each desired value from Kafka, until its first
 * handling takes it: a later handling of the same value (a drift re-apply, a
 * retry) is no longer that change's way through the pipeline. Weak, so that a
 * value superseded before it was handled leaves nothing behind.
 */
const seenAt = new WeakMap<DesiredValue, number>();

/** Marks a desired value just read from the topic with its arrival time (the apply stage starts there). */
export function desiredSeen(value: DesiredValue | null, receivedAtMs: number | undefined): void {
  if (value !== null && receivedAtMs !== undefined) seenAt.set(value, receivedAtMs);
}

function takeStages(value: DesiredValue | null): StageTimes | null {
  if (value === null) return null;
  const seen = seenAt.get(value);
  if (seen === undefined) return null;
  seenAt.delete(value);
  return {
    capturedAtMs: value.provenance.capturedAtMs ?? null,
    changeSeenAtMs: value.provenance.changeSeenAtMs ?? null,
    desiredSeenAtMs: BigInt(seen),
  };
}

/** A NodeAudit for a node's desired state: its hub, form and the provenance its events carry. */
export function nodeAuditFor(
  nodeId: string,
  value: DesiredValue | null,
  config: Pick<RowkubeConfig, 'forms'> & { kubernetes: Pick<RowkubeConfig['kubernetes'], 'fieldManager'> },
  /** The cluster the events are about, with several clusters; undefined with one. */
  cluster?: string,
): NodeAudit {
  const provenance = value?.provenance;
  return new NodeAudit(
    {
      nodeId,
      ...nodeParts(nodeId, value, config.forms),
      fieldManager: config.kubernetes.fieldManager,
      ...(cluster === undefined ? {} : { cluster }),
    },
    {
      source: provenance?.source ?? '',
      table: provenance?.table ?? '',
      position: provenance?.position ?? null,
      commitTsMs: provenance?.commitTsMs ?? null,
    },
    takeStages(value),
  );
}
