import { OBJECTS_PER_TENANT } from './bench-config.js';
import { BULK_TX_TENANTS } from './e2e-bulk.js';
import type { E2eDatabase } from './e2e-database.js';
import type { ObjectCounter } from './object-count.js';
import { round2 } from './report.js';
import { FORM_RESOURCES } from './single-run.js';

// A bulk of tenants committed at once (as bench:e2e commits it), checked in
// the apiserver rather than in the audit topic: the namespace's object count
// (object-count.ts, one small request per kind) polled until every object of
// the bulk is there. The clock runs from the first COMMIT returned to the
// poll that saw the last object, so it is late by at most one poll interval.

const POLL_MS = 500;

export interface CountedBulkFigures {
  tenants: number;
  objects: number;
  transactions: number;
  /** First COMMIT returned → every object counted in the apiserver. */
  seconds: number;
  objectsPerSec: number;
  /** First COMMIT returned → last COMMIT returned. */
  commitSeconds: number;
  pollMs: number;
}

export interface CountedBulkOptions {
  database: E2eDatabase;
  counter: ObjectCounter;
  namespace: string;
  tenants: number;
  /** No new object for this long means the pipeline is stuck, not slow. */
  stallMs: number;
  /** Rejects when the process applying the bulk fails. */
  abandon?: Promise<unknown>;
  say: (line: string) => void;
}

export async function countedBulk(options: CountedBulkOptions): Promise<CountedBulkFigures> {
  const { counter, namespace, tenants, say } = options;
  const objects = tenants * OBJECTS_PER_TENANT;
  const before = await counter.total(namespace, FORM_RESOURCES);
  const inserted = await options.database.insertTenants(1, tenants, BULK_TX_TENANTS);
  const commitSeconds = round2((inserted.lastCommitAtMs - inserted.firstCommitAtMs) / 1000);
  say(`bulk: ${tenants} tenants committed in ${inserted.transactions} transactions in ${commitSeconds} s`);
  let seen = before;
  let progressAt = Date.now();
  let reportedAt = Date.now();
  for (;;) {
    const count = await Promise.race([
      counter.total(namespace, FORM_RESOURCES),
      ...(options.abandon === undefined ? [] : [options.abandon as Promise<never>]),
    ]);
    const now = Date.now();
    if (count - before >= objects) {
      const seconds = (now - inserted.firstCommitAtMs) / 1000;
      return {
        tenants,
        objects,
        transactions: inserted.transactions,
        seconds: round2(seconds),
        objectsPerSec: Math.round(objects / seconds),
        commitSeconds,
        pollMs: POLL_MS,
      };
    }
    if (count > seen) {
      seen = count;
      progressAt = now;
    } else if (now - progressAt > options.stallMs)
      throw new Error(
        `bulk stuck: ${seen - before} of ${objects} objects after ${options.stallMs / 1000} s without progress`,
      );
    if (now - reportedAt >= 30_000) {
      reportedAt = now;
      say(
        `bulk: ${seen - before} of ${objects} objects in the apiserver after ${round2((now - inserted.firstCommitAtMs) / 1000)} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
