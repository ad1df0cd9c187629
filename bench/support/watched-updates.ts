import type { KubeObject } from '../../src/sink/kube/index.js';
import { writePaced } from '../../support/paced-writer.js';
import { percentile, round1 } from '../../support/percentiles.js';
import { E2E_FORM } from './bench-config.js';
import type { E2eDatabase } from './e2e-database.js';
import type { CommittedWrite } from './e2e-latency.js';
import { tenantUid } from './tenant-rows.js';
import type { WatchedKind } from './watched-kind.js';

// A steady stream of single-row updates to existing tenants, each timed from
// outside: the writer's clock before the UPDATE → the watch event that shows
// the ConfigMap with the new revision (bench/support/watched-kind.ts). No
// audit topic, no sink clock: what a user of the cluster would see.

export interface UpdateFigures {
  writes: number;
  seen: number;
  /** Written but not seen by the end of the grace period. */
  missing: number;
  achievedRate: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface Pending {
  revision: number;
  startedAtMs: number;
  /** Its entry in `writes`, to note when it was seen. */
  write: CommittedWrite;
}

export class WatchedUpdates {
  /** Tenant uid → revision its row has now (rows start at 0, each UPDATE adds 1). */
  private readonly revisions = new Map<string, number>();
  /** ConfigMap name → updates written but not seen yet, oldest first. */
  private readonly pending = new Map<string, Pending[]>();
  private latencies: number[] = [];
  /** The last run's writes, by node: to split their time per stage from the audit (e2e-stages.ts). */
  writes: CommittedWrite[] = [];
  private readonly stop: () => void;

  constructor(
    private readonly database: E2eDatabase,
    configMaps: WatchedKind,
    /** The tenants updated in turn: ids firstId … firstId + count - 1. */
    private readonly tenants: { firstId: number; count: number },
  ) {
    this.stop = configMaps.store.subscribe((change) => {
      if (change.type !== 'deleted') this.seen(change.object);
    });
  }

  /** Writes `rate` updates/s for `seconds` (Infinity: until `signal`), then waits up to graceMs for the stragglers. */
  async run(rate: number, seconds: number, graceMs: number, signal?: AbortSignal): Promise<UpdateFigures> {
    this.latencies = [];
    this.writes = [];
    const paced = await writePaced(
      rate,
      seconds,
      async (i) => {
        const id = this.tenants.firstId + (i % this.tenants.count);
        const uid = tenantUid(id);
        const revision = (this.revisions.get(uid) ?? 0) + 1;
        this.revisions.set(uid, revision);
        const name = `${uid}-config`;
        // Noted before the UPDATE, so that no event can come before its write is known.
        const startedAtMs = Date.now();
        const write: CommittedWrite = { nodeId: `${E2E_FORM}/${uid}`, committedAtMs: startedAtMs };
        this.pending.set(name, [...(this.pending.get(name) ?? []), { revision, startedAtMs, write }]);
        this.writes.push(write);
        await this.database.updateTenant(id);
      },
      signal,
    );
    const deadline = Date.now() + graceMs;
    while (this.waiting() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const missing = this.waiting();
    this.pending.clear();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      writes: paced.writes,
      seen: sorted.length,
      missing,
      achievedRate: paced.achievedRate,
      p50: round1(percentile(sorted, 50)),
      p95: round1(percentile(sorted, 95)),
      p99: round1(percentile(sorted, 99)),
      max: round1(sorted[sorted.length - 1] ?? Number.NaN),
    };
  }

  close(): void {
    this.stop();
  }

  private waiting(): number {
    let count = 0;
    for (const list of this.pending.values()) count += list.length;
    return count;
  }

  private seen(object: KubeObject): void {
    const name = object.metadata.name ?? '';
    const list = this.pending.get(name);
    if (list === undefined) return;
    const revision = Number((object.data as Record<string, string> | undefined)?.revision);
    const now = Date.now();
    // An event with revision r shows every update up to r (a newer one may supersede an older in flight).
    const kept = list.filter((p) => {
      if (p.revision > revision) return true;
      this.latencies.push(now - p.startedAtMs);
      p.write.seenAtMs = now;
      return false;
    });
    if (kept.length === 0) this.pending.delete(name);
    else this.pending.set(name, kept);
  }
}
