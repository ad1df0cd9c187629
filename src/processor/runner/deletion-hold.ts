import type { Logger } from 'pino';
import {
  type AuditAction,
  decodeControl,
  heldKey,
  type PipelineMetrics,
  type Provenance,
} from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { decideRemovals, describeGroup, limitsFor, type Removal } from '../deletion-guard.js';
import { absentHash, type Materializer } from '../materializer/index.js';
import type { ProducedUpdate } from './desired-output.js';
import {
  emptyOutput,
  type HeldNode,
  type HoldOutput,
  heldControlRecord,
  holdAudit,
  holdReason,
  merge,
  provenanceOf,
} from './hold-records.js';

export { emptyOutput, type HoldOutput, merge } from './hold-records.js';

// The processor's side of the mass-deletion guard (the decision itself is
// deletion-guard.ts). It sits between the materializer and the desired
// output: removals a source transaction makes in bulk are taken out of what
// is produced, so their nodes keep their live desired records, and are
// remembered here and in `<prefix>._control` (src/contracts/control-record.ts),
// in the same Kafka transaction as the batch. A release request carries them
// out; a row that comes back cancels its node's hold. Everything here returns
// the records to commit; the caller commits them in one transaction.

/** A control-topic record as read: key, JSON text or null (tombstone), offset. */
export interface ControlEntry {
  key: string;
  value: string | null;
  offset: bigint;
}

export interface DeletionHoldOptions {
  config: RowkubeConfig;
  materializer: Materializer;
  logger: Logger;
  metrics?: PipelineMetrics;
  controlTopic: string;
  auditTopic: string;
  now?: () => number;
}

export class DeletionHold {
  private readonly held = new Map<string, HeldNode>();
  /** Control records below this offset were read by the last take-over; undefined before the first one. */
  private controlEnd: bigint | undefined;
  private readonly now: () => number;

  constructor(private readonly options: DeletionHoldOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes the removals out of a batch's updates that the guard holds (and
   * those of nodes already held), and returns what to commit. `where` is the
   * change-topic partition the batch came from.
   */
  screen(produced: readonly ProducedUpdate[], where: { topic: string; partition: number }): HoldOutput {
    const out = emptyOutput();
    const firstPrevious = new Map<string, string | undefined>();
    const last = new Map<string, ProducedUpdate>();
    const lastLive = new Map<string, string>();
    for (const item of produced) {
      const { id } = item.update;
      if (!firstPrevious.has(id)) firstPrevious.set(id, item.update.previous);
      last.set(id, item);
      if (item.update.result.kind !== 'absent') lastLive.set(id, item.update.hash);
    }
    const removals: Removal[] = [];
    const stayHeld = new Set<string>();
    for (const [id, item] of last) {
      if (item.update.result.kind !== 'absent') continue;
      if (this.held.has(id)) {
        stayHeld.add(id);
        continue;
      }
      const previous = firstPrevious.get(id);
      if (previous === undefined || previous === absentHash(id)) continue;
      const hub = this.hubOf(id);
      if (hub !== undefined) removals.push({ id, hub, tx: txOf(item.provenance) });
    }
    const { materializer } = this.options;
    // The hub's live nodes before the batch: those live now, plus the ones it
    // removes, minus the ones it created.
    const removedBy = new Map<string, number>();
    const count = (hub: string | undefined, by: number) => {
      if (hub !== undefined) removedBy.set(hub, (removedBy.get(hub) ?? 0) + by);
    };
    for (const removal of removals) count(removal.hub, 1);
    // Only a batch with removals pays for this (hashing each node's absent form).
    for (const [id, item] of removals.length === 0 ? [] : last) {
      const previous = firstPrevious.get(id);
      const wasLive = previous !== undefined && previous !== absentHash(id);
      if (!wasLive && item.update.result.kind !== 'absent') count(this.hubOf(id), -1);
    }
    const decision = decideRemovals(
      removals,
      (hub) => materializer.liveCount(hub) + (removedBy.get(hub) ?? 0),
      (hub) => limitsFor(this.options.config.deletionGuard, this.hubConfig(hub)?.deletionGuard),
      (hub, tx) => [...this.held.values()].some((node) => node.hub === hub && node.tx === tx),
    );
    const holding = new Set([...stayHeld, ...decision.held.flatMap((group) => group.ids)]);
    for (const item of produced)
      if (!(holding.has(item.update.id) && item.update.result.kind === 'absent')) out.produced.push(item);
    for (const id of stayHeld) {
      const node = this.held.get(id) as HeldNode;
      node.hash = lastLive.get(id) ?? node.hash;
      materializer.markProduced(id, node.hash);
    }
    for (const group of decision.held) {
      for (const id of group.ids) {
        const item = last.get(id) as ProducedUpdate;
        const hash = lastLive.get(id) ?? (firstPrevious.get(id) as string);
        materializer.markProduced(id, hash);
        const node: HeldNode = {
          id,
          hub: group.hub,
          form: id.slice(0, id.indexOf('/')),
          tx: group.tx,
          hash,
          topic: where.topic,
          partition: where.partition,
          provenance: item.provenance,
        };
        this.held.set(id, node);
        out.records.push(heldControlRecord(this.options.controlTopic, node, group, this.now()));
        this.audit(out, node, 'held', holdReason(group));
      }
      this.options.logger.warn(
        { hub: group.hub, nodes: group.ids.length, live: group.live, share: group.share, tx: group.tx },
        `mass deletion held: source transaction ${group.tx} removes ${describeGroup(group)} of hub ${group.hub}; ` +
          `release with 'rowkube release ${group.hub}', or restore the rows`,
      );
    }
    return out;
  }

  /** Held nodes whose row is back (and renders a live node): their hold is dropped. */
  cancelRestored(): HoldOutput {
    const out = emptyOutput();
    const { materializer } = this.options;
    const cancelled = new Map<string, number>();
    for (const node of [...this.held.values()]) {
      const uid = node.id.slice(node.id.indexOf('/') + 1);
      if (materializer.state.hubKeys(node.hub, uid).length === 0) continue;
      const current = materializer.current({ id: node.id, form: node.form, hub: node.hub, uid });
      if (current.kind === 'absent') continue;
      this.drop(out, node, 'cancelled', 'the row came back: the held removal is cancelled');
      cancelled.set(node.hub, (cancelled.get(node.hub) ?? 0) + 1);
    }
    for (const [hub, nodes] of cancelled)
      this.options.logger.info(
        { hub, nodes, action: 'cancelled' },
        'held deletions cancelled: rows restored',
      );
    return out;
  }

  /** A release request of the hub at `offset` of the control topic: carries out the holds before it. */
  release(hub: string, offset: bigint): HoldOutput {
    const out = emptyOutput();
    const { materializer } = this.options;
    let released = 0;
    for (const node of [...this.held.values()]) {
      if (node.hub !== hub || node.offset === undefined || node.offset >= offset) continue;
      const uid = node.id.slice(node.id.indexOf('/') + 1);
      const current = materializer.current({ id: node.id, form: node.form, hub, uid });
      if (current.kind !== 'absent') {
        this.drop(out, node, 'cancelled', 'the row came back: the held removal is cancelled');
        continue;
      }
      const hash = absentHash(node.id);
      materializer.markProduced(node.id, hash);
      out.produced.push({
        update: { id: node.id, result: current, hash, previous: node.hash },
        provenance: node.provenance,
      });
      this.drop(out, node, 'released', "carried out by 'rowkube release'");
      released += 1;
    }
    if (released > 0)
      this.options.logger.info({ hub, nodes: released, action: 'released' }, 'held deletions released');
    return out;
  }

  /**
   * After a take-over: the held records of the partitions this instance owns
   * become held again, releases requested meanwhile are carried out, and rows
   * restored meanwhile cancel their holds.
   */
  restore(entries: readonly ControlEntry[], owns: (topic: string, partition: number) => boolean): HoldOutput {
    this.held.clear();
    const latest = new Map<string, ControlEntry>();
    let end = 0n;
    for (const entry of entries) {
      latest.set(entry.key, entry);
      if (entry.offset >= end) end = entry.offset + 1n;
    }
    this.controlEnd = end;
    const out = emptyOutput();
    const releases = new Map<string, bigint>();
    const { materializer } = this.options;
    for (const entry of latest.values()) {
      if (entry.value === null) continue;
      const record = decodeControl(entry.key, entry.value);
      if (record.kind === 'release') {
        releases.set(record.hub, entry.offset);
        continue;
      }
      // Form versions and rollout requests are form-rollouts.ts's.
      if (record.kind !== 'held') continue;
      if (record.partition !== -1 && !owns(record.topic, record.partition)) continue;
      if (!materializer.isLive(record.node)) {
        // Its node has no live record any more: nothing is held for it.
        out.records.push({ topic: this.options.controlTopic, key: entry.key, value: null });
        continue;
      }
      this.held.set(record.node, {
        id: record.node,
        hub: record.hub,
        form: record.node.slice(0, record.node.indexOf('/')),
        tx: record.tx,
        hash: hashOfLive(materializer, record.node),
        topic: record.topic,
        partition: record.partition,
        offset: entry.offset,
        provenance: {
          source: '',
          table: '',
          position: null,
          commitTsMs: null,
          primaryKey: '',
          ...provenanceOf(record),
        },
      });
    }
    for (const [hub, offset] of releases) merge(out, this.release(hub, offset));
    merge(out, this.cancelRestored());
    return out;
  }

  /** A control-topic record read while running: a release to carry out, or the offset of a hold. */
  onControl(entry: ControlEntry): HoldOutput | undefined {
    if (this.controlEnd === undefined || entry.offset < this.controlEnd || entry.value === null)
      return undefined;
    const record = decodeControl(entry.key, entry.value);
    if (record.kind === 'release') return this.release(record.hub, entry.offset);
    if (record.kind !== 'held') return undefined;
    const node = this.held.get(record.node);
    if (node !== undefined && node.offset === undefined && node.tx === record.tx) node.offset = entry.offset;
    return undefined;
  }

  /** Held removals per configured hub (0 for a hub with none). */
  heldByHub(): Map<string, number> {
    const counts = new Map(this.options.config.hubs.map((hub) => [hub.name, 0]));
    for (const node of this.held.values()) counts.set(node.hub, (counts.get(node.hub) ?? 0) + 1);
    return counts;
  }

  /** Reports the held removals: a gauge per hub, and a reason on /readyz (still ready: everything else flows). */
  report(): void {
    const { metrics } = this.options;
    // Before the first take-over the processor is not ready yet, whatever is held.
    if (metrics === undefined || this.controlEnd === undefined) return;
    const parts: string[] = [];
    for (const [hub, nodes] of this.heldByHub()) {
      metrics.deletionsHeld?.(hub, nodes);
      if (nodes > 0) parts.push(`hub ${hub}: ${nodes} (rowkube release ${hub})`);
    }
    if (parts.length === 0) metrics.componentState('processor', true);
    else metrics.componentState('processor', true, `deletions held: ${parts.join('; ')}`);
  }

  private drop(out: HoldOutput, node: HeldNode, action: AuditAction, reason: string): void {
    this.held.delete(node.id);
    out.records.push({ topic: this.options.controlTopic, key: heldKey(node.id), value: null });
    this.audit(out, node, action, reason);
  }

  private audit(out: HoldOutput, node: HeldNode, action: AuditAction, reason: string): void {
    const encoded = holdAudit(this.options.auditTopic, node, action, reason, {
      nowMs: this.now(),
      fieldManager: this.options.config.kubernetes.fieldManager,
    });
    out.records.push(encoded.message);
    out.schemas.push(...encoded.schemas);
  }

  private hubOf(id: string): string | undefined {
    const form = id.slice(0, id.indexOf('/'));
    return this.options.config.forms.find((candidate) => candidate.name === form)?.hub;
  }

  private hubConfig(hub: string) {
    return this.options.config.hubs.find((candidate) => candidate.name === hub);
  }
}

/** The source transaction a change belongs to: its position (one per transaction), or "reconcile". */
function txOf(provenance: Provenance): string {
  return provenance.position ?? 'reconcile';
}

function hashOfLive(materializer: Materializer, id: string): string {
  return materializer.producedHash(id) as string;
}
