import type { CommitInfo, SourcePosition } from '../core/change-event.js';
import type { SourceContext } from './change-encoder.js';

// Decides which source transactions share a Kafka transaction, and when it
// ends. Plain logic over plain data: no kafkajs, no timers, no I/O. It is fed
// events (a change appended, a source commit, an abort, the clock), keeps what
// is not handed over yet, and answers with actions for a transactional writer
// (send into the open Kafka transaction, commit it with a position, abort it).
//
// The rules:
// - Several source transactions share one Kafka transaction (a "group"). A
//   group is committed once it holds `maxBatch` events, or, when the writer
//   has caught up, once it has been open `lingerMs`: while one Kafka commit is
//   in flight the next group fills up. Only the last position of a group is
//   written: it covers every commit before it.
// - A big source transaction does not wait for its commit: every `chunkSize`
//   changes are encoded and sent into the open Kafka transaction (a "spill"),
//   so memory holds at most about one chunk of it.
// - A Kafka transaction only ever ends at a source commit: the changes of an
//   uncommitted source transaction are never committed to Kafka. When a big
//   transaction has to spill a chunk, the group before it is committed first,
//   and no other source transaction joins its Kafka transaction.

/** Encoded messages, and how many of them are change events (the rest are schema records). */
export interface Encoded<M> {
  messages: M[];
  events: number;
}

/**
 * Encodes changes of one source transaction. Called for a spilled chunk (no
 * position yet) and at the commit; may throw (a value that does not fit its
 * column), after which the grouper must be reset().
 */
export type EncodeChanges<C, M> = (changes: readonly C[], context: SourceContext) => Encoded<M>;

export interface TransactionGrouperOptions<C, M> {
  encode: EncodeChanges<C, M>;
  /** Changes per spilled chunk, and messages per send of a group. */
  chunkSize: number;
  /** How long a group may wait for more source commits, from the first change of its first transaction. */
  lingerMs: number;
  /** A group that holds this many events is committed at once. */
  maxBatch: number;
}

/** What the writer is to do, in the order given. */
export type GrouperAction<M, T> =
  /** Send these messages into the open Kafka transaction (opening one if none is). */
  | { kind: 'send'; messages: M[] }
  /**
   * Send these messages and `position` (the last of the group) into the open
   * Kafka transaction, then commit it: the `tickets`' source transactions are
   * delivered once it is committed.
   */
  | { kind: 'commit'; messages: M[]; position: SourcePosition; tickets: T[] }
  /** Abort the open Kafka transaction: it holds nothing but chunks of the source transaction just dropped. */
  | { kind: 'abort' };

/** The source transaction being appended. */
interface SourceTx<C> {
  /** Appended, not encoded yet: fewer than chunkSize. */
  changes: C[];
  /** When its first change was appended; a spilled chunk's ts_ms, and where a group's linger starts. */
  startedAt: number;
}

/** Committed source transactions waiting for their Kafka transaction to be committed. */
interface Group<M, T> {
  /** One per source commit, in order. */
  tickets: T[];
  /** The last commit's position. */
  position: SourcePosition;
  /** Encoded, not handed to the writer yet (fewer than chunkSize). */
  messages: M[];
  /** Change events in the group, sent or not. */
  events: number;
  /** When the group is due once the writer caught up: first change + lingerMs; -Infinity after expedite(). */
  dueAt: number;
}

type GrouperState<C, M, T> =
  /** Nothing held: no source transaction open, no group. */
  | { state: 'idle' }
  /** A source transaction is being appended; nothing committed waits. */
  | { state: 'reading'; source: SourceTx<C> }
  /** A group waits for its Kafka commit; the next source transaction may be being appended. */
  | { state: 'filling'; group: Group<M, T>; source: SourceTx<C> | undefined }
  /** Chunks of the open source transaction are in the open Kafka transaction; no group until it commits or aborts. */
  | { state: 'spilling'; source: SourceTx<C> };

export type GrouperStateName = GrouperState<unknown, unknown, unknown>['state'];

export class TransactionGrouper<C, M, T> {
  private current: GrouperState<C, M, T> = { state: 'idle' };

  constructor(private readonly options: TransactionGrouperOptions<C, M>) {}

  /** The grouper's state, for tests and logs. */
  get state(): GrouperStateName {
    return this.current.state;
  }

  /** Messages of the group not handed to the writer yet (they count towards backpressure). */
  get pendingMessages(): number {
    return this.current.state === 'filling' ? this.current.group.messages.length : 0;
  }

  /** When tick() will commit the waiting group; undefined when there is none. */
  get dueAt(): number | undefined {
    return this.current.state === 'filling' ? this.current.group.dueAt : undefined;
  }

  /** A change of the current source transaction. Spills a chunk once chunkSize changes are held. */
  append(change: C, now: number): GrouperAction<M, T>[] {
    const s = this.current;
    let source = s.state === 'idle' ? undefined : s.source;
    if (source === undefined) {
      source = { changes: [], startedAt: now };
      this.current =
        s.state === 'filling' ? { state: 'filling', group: s.group, source } : { state: 'reading', source };
    }
    source.changes.push(change);
    if (source.changes.length < this.options.chunkSize) return [];
    // Encoded before the state changes: an encoding error leaves every ticket in reset()'s hands.
    // The commit is not known yet: no position or txId, and the time the
    // transaction was first seen stands in for its commit time.
    const chunk = this.options.encode(source.changes, { snapshot: false, tsMs: source.startedAt });
    const actions: GrouperAction<M, T>[] = [];
    // The Kafka transaction that receives the chunk must not commit before
    // the source transaction does, so the group before it is committed first.
    if (s.state === 'filling') actions.push(sealed(s.group));
    actions.push({ kind: 'send', messages: chunk.messages });
    this.current = { state: 'spilling', source: { changes: [], startedAt: source.startedAt } };
    return actions;
  }

  /**
   * The current source transaction committed (possibly without changes: then
   * only the position moves). `ticket` comes back in the commit action that
   * delivers it.
   */
  commit(info: CommitInfo, ticket: T, now: number): GrouperAction<M, T>[] {
    const s = this.current;
    const source = s.state === 'idle' ? undefined : s.source;
    const startedAt = source?.startedAt ?? now;
    const encoded = this.options.encode(source?.changes ?? [], {
      snapshot: info.snapshot ?? false,
      ...(info.txId === undefined ? {} : { txId: info.txId }),
      position: info.position,
      tsMs: info.commitTsMs,
    });
    if (s.state === 'spilling') {
      // Its Kafka transaction holds nothing else: commit it now.
      this.current = { state: 'idle' };
      return [{ kind: 'commit', messages: encoded.messages, position: info.position, tickets: [ticket] }];
    }
    let group: Group<M, T>;
    if (s.state === 'filling') {
      group = s.group;
      group.tickets.push(ticket);
      group.position = info.position;
      for (const m of encoded.messages) group.messages.push(m);
      group.events += encoded.events;
    } else {
      group = {
        tickets: [ticket],
        position: info.position,
        messages: encoded.messages,
        events: encoded.events,
        dueAt: startedAt + this.options.lingerMs,
      };
    }
    if (group.events >= this.options.maxBatch) {
      // Full: commit now, even while the writer is busy, so it cannot keep growing.
      this.current = { state: 'idle' };
      return [sealed(group)];
    }
    this.current = { state: 'filling', group, source: undefined };
    if (group.messages.length < this.options.chunkSize) return [];
    // Send what is ready in chunks; the group's Kafka transaction stays open.
    return [{ kind: 'send', messages: group.messages.splice(0) }];
  }

  /**
   * Drops the changes appended since the last commit. Earlier commits are
   * unaffected; chunks already spilled are aborted with their Kafka transaction.
   */
  abort(): GrouperAction<M, T>[] {
    const s = this.current;
    switch (s.state) {
      case 'idle':
        return [];
      case 'reading':
        this.current = { state: 'idle' };
        return [];
      case 'filling':
        this.current = { state: 'filling', group: s.group, source: undefined };
        return [];
      case 'spilling':
        this.current = { state: 'idle' };
        return [{ kind: 'abort' }];
    }
  }

  /**
   * The writer caught up (nothing queued), or the clock reached dueAt: commits
   * the group if it is due. Not called while the writer is busy, so that
   * source commits arriving meanwhile join the next group.
   */
  tick(now: number): GrouperAction<M, T>[] {
    const s = this.current;
    if (s.state !== 'filling' || now < s.group.dueAt) return [];
    this.current = s.source === undefined ? { state: 'idle' } : { state: 'reading', source: s.source };
    return [sealed(s.group)];
  }

  /** Makes the waiting group due at the next tick(), without waiting for lingerMs (flush, close). */
  expedite(): void {
    if (this.current.state === 'filling') this.current.group.dueAt = Number.NEGATIVE_INFINITY;
  }

  /** Drops everything held (after a failure, or on close); returns the tickets not delivered. */
  reset(): T[] {
    const s = this.current;
    this.current = { state: 'idle' };
    return s.state === 'filling' ? s.group.tickets : [];
  }
}

function sealed<M, T>(group: Group<M, T>): GrouperAction<M, T> {
  return { kind: 'commit', messages: group.messages, position: group.position, tickets: group.tickets };
}
