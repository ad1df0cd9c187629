import { contentHash, formVersion } from '../../contracts/index.js';
import type { FormConfig } from '../../core/config/form-schema.js';
import { ExpiryQueue, expiryTime } from '../expiry/index.js';
import { affectedNodes, type MaterializerConfig } from './affected-nodes.js';
import { type DesiredNode, desiredFor } from './desired-for.js';
import { MaterializedState, type TableRole } from './materialized-state.js';
import type { NodeRef, TableChange } from './table-change.js';

// Change records in, desired-state updates out. Remembers what it last
// produced per node, so an update that changes nothing a form renders (a
// column no template uses, a duplicate delivery, a replay) produces nothing.

export interface NodeUpdate {
  id: string;
  result: DesiredNode;
  /** contentHash of what the desired record holds; every absent result of one id hashes the same. */
  hash: string;
  /** The hash last produced (or seeded) before this update; undefined for a node never seen. */
  previous?: string;
  /**
   * The version of the form definition rendered (form-version.ts); not part
   * of `hash`, so that records written before versions existed stay unchanged.
   */
  formVersion?: string;
}

/**
 * Which definition of its form a node is rendered with (a progressive
 * rollout, docs/rollout.md): undefined means the configured one.
 */
export type FormResolver = (ref: NodeRef) => FormConfig | undefined;

export interface MaterializerOptions {
  /** The clock expireAt is compared with, ms since epoch. Default Date.now. */
  now?: () => number;
}

/** A node taken off by its expiry time (hubs[].expireAt), with the update it renders to now. */
export interface ExpiredUpdate {
  update: NodeUpdate;
  /** The time it expired at, ms since epoch. */
  expiredAtMs: number;
}

export class Materializer {
  readonly state: MaterializedState;
  /** Last hash produced per node id. Absent nodes stay, so a second delete yields no second tombstone. */
  private readonly lastHash = new Map<string, string>();
  /** Ids whose last hash is a live record, and how many per form: the guard's share without hashing every node. */
  private readonly live = new Set<string>();
  private readonly liveByForm = new Map<string, number>();

  /** Each configured form's version, by form name. */
  private readonly formVersions: ReadonlyMap<string, string>;
  /** Versions of the other definitions a resolver hands out, computed once per definition. */
  private readonly resolvedVersions = new WeakMap<FormConfig, string>();
  private resolver: FormResolver | undefined;
  /**
   * When each live node of an expiring hub goes away: kept up to date by
   * every render, so a take-over (which renders every node) rebuilds it from
   * the rows, and a moved value moves its node's time.
   */
  private readonly expiries = new ExpiryQueue();
  private readonly now: () => number;

  constructor(
    private readonly config: MaterializerConfig,
    options: MaterializerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.state = new MaterializedState(config.hubs);
    this.formVersions = new Map(config.forms.map((form) => [form.name, formVersion(form)]));
  }

  apply(change: TableChange, role: TableRole = 'any'): NodeUpdate[] {
    const { effects } = this.state.apply(change, role);
    return this.render(affectedNodes(this.config, this.state, effects));
  }

  /**
   * Stores a hub row read back at a take-over, without rendering: reconcile()
   * renders every node once, after the last row is in. Rendering each row as
   * it was read did that work twice, and a node's earlier renders were thrown away.
   */
  restoreHubRow(change: TableChange): void {
    this.state.apply(change, 'hub');
  }

  /** Renders each node from then on with the definition the resolver picks (undefined: the configured one). */
  setFormResolver(resolver: FormResolver | undefined): void {
    this.resolver = resolver;
  }

  /**
   * Renders the given nodes again (a rollout admits them, or an abort sends
   * them back) and returns those whose rendering differs from what was produced.
   */
  rerender(ids: readonly string[]): NodeUpdate[] {
    const refs: NodeRef[] = [];
    for (const id of ids) {
      const slash = id.indexOf('/');
      const form = this.config.forms.find((candidate) => candidate.name === id.slice(0, slash));
      if (form === undefined) continue;
      refs.push({ id, form: form.name, hub: form.hub, uid: id.slice(slash + 1) });
    }
    return this.render(refs);
  }

  /** Whether the last hash produced for the node is a live record (not a tombstone). */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /** The hash last produced (or seeded) for the node. */
  producedHash(id: string): string | undefined {
    return this.lastHash.get(id);
  }

  /** How many nodes of the hub's forms have a live record as last produced. */
  liveCount(hub: string): number {
    let count = 0;
    for (const form of this.config.forms) if (form.hub === hub) count += this.liveByForm.get(form.name) ?? 0;
    return count;
  }

  /**
   * Takes `hash` as what the desired topic holds for the node: an update the
   * caller did not produce (a held removal keeps its live record) must not
   * count as produced.
   */
  markProduced(id: string, hash: string): void {
    this.remember(id, hash, hash !== absentHash(id));
  }

  /** What the node renders to now, from the rows held (a held removal: still absent, or restored). */
  current(ref: NodeRef): DesiredNode {
    return desiredFor(this.config, this.state, ref, this.resolver?.(ref), this.now());
  }

  /** The earliest time a node held here expires, ms since epoch; undefined when none will. */
  nextExpiry(): number | undefined {
    return this.expiries.next();
  }

  /** The expiry time the node's hub row holds now (undefined: none, not a time, or no single row). */
  rowExpiry(id: string): number | undefined {
    const slash = id.indexOf('/');
    const form = this.config.forms.find((candidate) => candidate.name === id.slice(0, slash));
    const hub = this.config.hubs.find((candidate) => candidate.name === form?.hub);
    if (hub?.expireAt === undefined) return undefined;
    const keys = this.state.hubKeys(hub.name, id.slice(slash + 1));
    const row = keys.length === 1 ? this.state.hubRow(hub.name, keys[0] as string) : undefined;
    const expiry = row === undefined ? undefined : expiryTime(row[hub.expireAt]);
    return expiry?.ok && expiry.atMs !== null ? expiry.atMs : undefined;
  }

  /**
   * Renders the nodes whose expiry time has come (they render absent now)
   * and returns their updates; a node already produced absent yields none.
   */
  expire(): ExpiredUpdate[] {
    const due = this.expiries.takeDue(this.now());
    const at = new Map(due.map(({ id, atMs }) => [id, atMs]));
    return this.rerender(due.map(({ id }) => id)).map((update) => ({
      update,
      expiredAtMs: at.get(update.id) as number,
    }));
  }

  /** Forgets the hub rows and what was produced: the processor is about to rebuild another share of the hubs. */
  resetHubs(): void {
    this.state.clearHubRows();
    this.expiries.clear();
    this.lastHash.clear();
    this.live.clear();
    this.liveByForm.clear();
  }

  /** Takes what the desired topic holds as already produced (node id → contentHash, or absentHash for a tombstone). */
  seedProduced(hashes: ReadonlyMap<string, string>): void {
    for (const [id, hash] of hashes) this.remember(id, hash, hash !== absentHash(id));
  }

  /**
   * Renders every node of the rows held and returns those that differ from
   * what was produced (or seeded). After a restart this is what a changed
   * form, a lookup change that was read but not yet produced, or a config
   * that now filters rows out amounts to. A node that renders absent and of
   * which the desired topic holds nothing (its tombstone compacted away)
   * needs no tombstone: after seedProduced, nothing known means nothing held.
   */
  reconcile(): NodeUpdate[] {
    const refs: NodeRef[] = [];
    for (const form of this.config.forms) {
      for (const uid of this.state.hubUids(form.hub))
        refs.push({ id: `${form.name}/${uid}`, form: form.name, hub: form.hub, uid });
    }
    return this.render(refs, true);
  }

  private versionOf(form: FormConfig): string {
    let version = this.resolvedVersions.get(form);
    if (version === undefined) {
      version = formVersion(form);
      this.resolvedVersions.set(form, version);
    }
    return version;
  }

  /** Schedules the node's expiry while it has a record to take away (live or an error), else forgets it. */
  private trackExpiry(ref: NodeRef, result: DesiredNode): void {
    if (this.config.hubs.find((candidate) => candidate.name === ref.hub)?.expireAt === undefined) return;
    const atMs = result.kind === 'absent' ? undefined : this.rowExpiry(ref.id);
    if (atMs === undefined) this.expiries.cancel(ref.id);
    else this.expiries.schedule(ref.id, atMs);
  }

  private remember(id: string, hash: string, live: boolean): void {
    this.lastHash.set(id, hash);
    if (this.live.has(id) === live) return;
    const form = id.slice(0, id.indexOf('/'));
    if (live) this.live.add(id);
    else this.live.delete(id);
    this.liveByForm.set(form, (this.liveByForm.get(form) ?? 0) + (live ? 1 : -1));
  }

  private render(refs: readonly NodeRef[], unknownAbsentHeld = false): NodeUpdate[] {
    const updates: NodeUpdate[] = [];
    const nowMs = this.now();
    for (const ref of refs) {
      const resolved = this.resolver?.(ref);
      const result = desiredFor(this.config, this.state, ref, resolved, nowMs);
      // Before the hash check: a later expiry renders the same record, and still moves the timer.
      this.trackExpiry(ref, result);
      const hash = hashOf(result);
      const previous = this.lastHash.get(ref.id);
      if (previous === hash) continue;
      this.remember(ref.id, hash, result.kind !== 'absent');
      if (unknownAbsentHeld && previous === undefined && result.kind === 'absent') continue;
      const version = resolved === undefined ? this.formVersions.get(ref.form) : this.versionOf(resolved);
      updates.push({
        id: ref.id,
        result,
        hash,
        ...(previous === undefined ? {} : { previous }),
        ...(version === undefined ? {} : { formVersion: version }),
      });
    }
    return updates;
  }
}

/** The hash every absent result of a node has: what a tombstone in the desired topic stands for. */
export function absentHash(id: string): string {
  return contentHash({ kind: 'absent', id });
}

/**
 * Inactive, filtered and deleted all become the same tombstone, so they hash
 * alike: a node that goes inactive, then is deleted, yields one tombstone. A
 * node never seen before that is absent still yields one: the desired topic
 * may hold it from before a restart, and a tombstone is harmless.
 */
function hashOf(result: DesiredNode): string {
  return result.kind === 'absent' ? absentHash(result.id) : contentHash(result);
}
