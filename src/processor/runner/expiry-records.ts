import { type AuditEvent, commitLatencyMs, type Provenance } from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { encodeAudit } from '../../kafka/index.js';
import type { ExpiredUpdate, Materializer } from '../materializer/index.js';
import type { ProducedUpdate } from './desired-output.js';
import type { HoldOutput } from './hold-records.js';

// What the processor writes when nodes expire (hubs[].expireAt): their
// tombstones, with a provenance that says so, and an `expired` audit event
// per node, so that the removal is not mistaken for a deleted row.

/**
 * The desired updates of nodes the expiry timer took off. One firing is one
 * "transaction" for the mass-deletion guard: a trickle of expiries is a few
 * nodes at a time and passes, while many nodes expiring at once are held
 * like a mass DELETE (docs/processor.md).
 */
export function expiredUpdates(
  config: RowkubeConfig,
  expired: readonly ExpiredUpdate[],
  firedAtMs: number,
): ProducedUpdate[] {
  return expired.map(({ update, expiredAtMs }) => ({
    update,
    provenance: expiryProvenance(config, update.id, expiredAtMs, firedAtMs),
  }));
}

/** The expiry's provenance: its hub row, the position standing for the firing, the expiry time as commit time. */
export function expiryProvenance(
  config: RowkubeConfig,
  id: string,
  expiredAtMs: number,
  firedAtMs: number,
): Provenance {
  const hub = hubOfNode(config, id);
  return {
    source: hub?.source ?? '',
    table: hub?.table ?? '',
    position: JSON.stringify({ expiredAt: new Date(firedAtMs).toISOString() }),
    commitTsMs: BigInt(expiredAtMs),
    primaryKey: '',
  };
}

/**
 * An `expired` audit event for each expired node among what is about to be
 * committed (held ones are not: the guard audits those as held). Nodes of a
 * take-over's reconcile (expired while rowkube was stopped) count too; their
 * expiry time is read from the row.
 */
export function expiryAudits(
  config: RowkubeConfig,
  materializer: Materializer,
  produced: readonly ProducedUpdate[],
  context: { auditTopic: string; nowMs: number },
): Pick<HoldOutput, 'records' | 'schemas'> {
  const out: Pick<HoldOutput, 'records' | 'schemas'> = { records: [], schemas: [] };
  for (const { update, provenance } of produced) {
    const { result } = update;
    if (result.kind !== 'absent' || result.reason !== 'expired') continue;
    const hub = hubOfNode(config, update.id);
    const expiredAtMs = materializer.rowExpiry(update.id);
    const appliedAtMs = BigInt(context.nowMs);
    // A take-over's reconcile knows no commit: the expiry time stands for it.
    const commitTsMs = provenance.commitTsMs ?? (expiredAtMs === undefined ? null : BigInt(expiredAtMs));
    const auditProvenance = {
      source: provenance.source,
      table: provenance.table,
      position: provenance.position,
      commitTsMs,
    };
    const event: AuditEvent = {
      nodeId: update.id,
      hub: hub?.name ?? '',
      form: update.id.slice(0, update.id.indexOf('/')),
      resourceId: null,
      object: null,
      action: 'expired',
      reason: `the row's expireAt (column '${hub?.expireAt ?? ''}') passed${
        expiredAtMs === undefined ? '' : ` at ${new Date(expiredAtMs).toISOString()}`
      }: the node is removed as if deactivated`,
      errorCode: null,
      provenance: auditProvenance,
      appliedAtMs,
      latencyMs: commitLatencyMs(auditProvenance, appliedAtMs),
      fieldManager: config.kubernetes.fieldManager,
    };
    const encoded = encodeAudit(context.auditTopic, event);
    out.records.push(encoded.message);
    out.schemas.push(...encoded.schemas);
  }
  return out;
}

function hubOfNode(config: RowkubeConfig, id: string): RowkubeConfig['hubs'][number] | undefined {
  const form = config.forms.find((candidate) => candidate.name === id.slice(0, id.indexOf('/')));
  return config.hubs.find((candidate) => candidate.name === form?.hub);
}
