import type { AdminDatabase } from './admin-database.js';
import { type PacedResult, writePaced } from './paced-writer.js';

// An application that keeps changing a hub table at a steady rate while the
// failover runs crash and freeze rowkube replicas. Every write is one
// autocommitted UPDATE of the next row in turn, which sets the row's `seq`
// to a number no other write uses and `written_at_ms` to the writer's clock:
// a change can then be found again in the change topic, in the audit and in
// the cluster, and latencies are measured from the writer's clock.

export interface SteadyWrite {
  /** The row's id (its node uid). */
  id: string;
  /** 1, 2, 3, … in the order of the writes; 0 is a row's seeded value. */
  seq: number;
  /** Date.now() when the UPDATE was sent; the row carries it. */
  writtenAtMs: number;
  /** Date.now() when it returned, committed. */
  committedAtMs: number;
}

/** Row ids: DNS labels, so they can name objects and namespaces. */
export function steadyRowId(index: number): string {
  return `r${String(index).padStart(5, '0')}`;
}

export class SteadyWriter {
  readonly writes: SteadyWrite[] = [];
  private stopping = new AbortController();
  private running: Promise<PacedResult> | undefined;

  constructor(
    private readonly db: AdminDatabase,
    readonly table: string,
    /** Rows r00000 … written in turn. */
    readonly rows: number,
  ) {}

  /** Creates the table with its rows, all at seq 0 (in one transaction). */
  async setUp(): Promise<void> {
    await this.db.exec(
      `CREATE TABLE ${this.table} (id VARCHAR(63) PRIMARY KEY, seq BIGINT NOT NULL, written_at_ms BIGINT NOT NULL)`,
    );
    const now = Date.now();
    const values = Array.from({ length: this.rows }, (_, i) => `('${steadyRowId(i)}', 0, ${now})`);
    await this.db.exec(`INSERT INTO ${this.table} (id, seq, written_at_ms) VALUES ${values.join(', ')}`);
  }

  /** Starts writing `rate` changes per second until stop(); a failed write stops the writer and stop() rejects with it. */
  start(rate: number): void {
    if (this.running !== undefined) throw new Error('the writer is already running');
    this.stopping = new AbortController();
    const first = this.writes.length;
    this.running = writePaced(
      rate,
      Number.POSITIVE_INFINITY,
      async (i) => {
        const seq = first + i + 1;
        const id = steadyRowId((seq - 1) % this.rows);
        const writtenAtMs = Date.now();
        const placeholder = this.db.kind === 'postgres' ? ['$1', '$2', '$3'] : ['?', '?', '?'];
        const changed = await this.db.exec(
          `UPDATE ${this.table} SET seq = ${placeholder[0]}, written_at_ms = ${placeholder[1]} WHERE id = ${placeholder[2]}`,
          [seq, writtenAtMs, id],
        );
        if (changed !== 1) throw new Error(`updating ${id} of ${this.table} changed ${changed} rows, not 1`);
        this.writes.push({ id, seq, writtenAtMs, committedAtMs: Date.now() });
      },
      this.stopping.signal,
    );
    // stop() reports a failure; until then it must not be an unhandled rejection.
    this.running.catch(() => undefined);
  }

  /** The latest write so far, if any. */
  get last(): SteadyWrite | undefined {
    return this.writes[this.writes.length - 1];
  }

  /** Stops after the write in progress; resolves with the paced writer's figures. */
  async stop(): Promise<PacedResult> {
    if (this.running === undefined) throw new Error('the writer was not started');
    this.stopping.abort();
    const running = this.running;
    this.running = undefined;
    return running;
  }

  /** Each row's seq, as the table holds it now. */
  async tableSeqs(): Promise<Map<string, number>> {
    const rows = await this.db.query(`SELECT id, seq FROM ${this.table}`);
    return new Map(rows.map((row) => [String(row.id), Number(row.seq)]));
  }
}
