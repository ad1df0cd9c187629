import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import type { DatabaseKind } from './admin-database.js';

// Stopping and starting parts of the local stack, for the fault tests. The
// stack is shared: a part may be stopped only by a test run that holds the
// stack lock (`flock /tmp/rowkube-stack.lock npx vitest run …`), and every
// part it stops must be started again, even when the test fails. `down` keeps
// the data (no --purge): a database, Kafka or etcd comes back as it was.

const run = promisify(execFile);
const STACK = 'deploy/local/stack';
const LOCK = '/tmp/rowkube-stack.lock';

export type StackPart = 'mariadb' | 'mysql' | 'postgres' | 'kafka' | 'kube' | 'kube-replay';

/** The part that runs the given database kind. */
export function databasePart(kind: DatabaseKind): StackPart {
  return kind;
}

/**
 * Throws unless this test run holds the stack lock: its holder (as
 * /proc/locks names it) must be this process or one of its ancestors — the
 * `flock` that started vitest. Another run holding the lock does not count.
 */
function requireLock(): void {
  const inode = existsSync(LOCK) ? statSync(LOCK).ino : undefined;
  const holders = new Set<number>();
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    // Waiters are listed with '->'; only a granted lock counts.
    if (inode === undefined || fields.includes('->') || !fields[5]?.endsWith(`:${inode}`)) continue;
    holders.add(Number(fields[4]));
  }
  for (let pid = process.pid; pid > 1; pid = parentOf(pid)) if (holders.has(pid)) return;
  throw new Error(
    `stopping parts of the shared stack needs its lock: run the test as \`flock ${LOCK} npx vitest run …\``,
  );
}

/** The parent's pid, from /proc/PID/stat (fields after the parenthesised command name). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Stops parts (their data stays). */
export async function stopStackParts(parts: readonly StackPart[]): Promise<void> {
  requireLock();
  await run(STACK, ['down', ...parts], { timeout: 120_000 });
}

/** Starts parts and waits until they answer (`stack up` checks each). */
export async function startStackParts(parts: readonly StackPart[]): Promise<void> {
  requireLock();
  await run(STACK, ['up', ...parts], { timeout: 300_000 });
}
