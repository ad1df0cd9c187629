import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// Stopping and starting parts of the local stack, for the fault tests. The
// stack is shared: a part may be stopped only by a test run that holds the
// stack lock (`flock /tmp/rowkube-stack.lock npx vitest run …`), and every
// part it stops must be started again, even when the test fails. `down` keeps
// the data (no --purge): a database, Kafka or etcd comes back as it was.

const run = promisify(execFile);
const STACK = 'deploy/local/stack';
const LOCK = '/tmp/rowkube-stack.lock';

export type StackPart = 'mariadb' | 'postgres' | 'kafka' | 'kube';

/** The part that runs the given database kind. */
export function databasePart(kind: 'mysql' | 'postgres'): StackPart {
  return kind === 'mysql' ? 'mariadb' : 'postgres';
}

/** Throws unless some process holds the stack lock (this test run's `flock`, presumably). */
async function requireLock(): Promise<void> {
  const free = await run('flock', ['-n', LOCK, 'true']).then(
    () => true,
    () => false,
  );
  if (free) {
    throw new Error(
      `stopping parts of the shared stack needs its lock: run the test as \`flock ${LOCK} npx vitest run …\``,
    );
  }
}

/** Stops parts (their data stays). */
export async function stopStackParts(parts: readonly StackPart[]): Promise<void> {
  await requireLock();
  await run(STACK, ['down', ...parts], { timeout: 120_000 });
}

/** Starts parts and waits until they answer (`stack up` checks each). */
export async function startStackParts(parts: readonly StackPart[]): Promise<void> {
  await run(STACK, ['up', ...parts], { timeout: 300_000 });
}
