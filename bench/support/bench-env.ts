// What the benchmark needs from its environment: the local stack's addresses
// (as `deploy/local/stack env` prints them) and the BENCH_* knobs. The bench
// brings nothing up itself, so a missing variable is reported with the two
// commands that fix it.

export interface BenchEnv {
  /** Capture users, as a deployment would configure them. */
  mysqlUrl: string;
  pgUrl: string;
  /** Writers: create the tables and insert the rows, as an application would. */
  mysqlAdminUrl: string;
  pgAdminUrl: string;
  kafkaBrokers: string[];
  /** Backlog rows per database for the throughput phase (BENCH_ROWS, default 100,000). */
  rows: number;
  /** Rows per backlog transaction (BENCH_TX_ROWS, default 100). */
  txRows: number;
  /** Single-row transactions per second in the latency phase (BENCH_RATE, default 200). */
  rate: number;
  /** Length of each latency phase (BENCH_SECONDS, default 20). */
  seconds: number;
  /** Which databases to measure (BENCH_DATABASES, default "mariadb,postgres"). */
  databases: DatabaseKind[];
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of each throughput phase (support/cpu-profile.ts). */
  cpuProfileDir: string | undefined;
}

export type DatabaseKind = 'mariadb' | 'postgres';

const STACK_VARS = ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'PG_URL', 'PG_ADMIN_URL', 'KAFKA_BROKERS'] as const;

export class BenchEnvError extends Error {}

export function benchEnv(env: NodeJS.ProcessEnv = process.env): BenchEnv {
  const missing = STACK_VARS.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new BenchEnvError(
      `${missing.join(', ')} not set: the capture benchmark runs against the local stack and starts nothing itself.\n` +
        'Bring the stack up and export its addresses, then run it again:\n' +
        '  deploy/local/stack up\n' +
        '  set -a; eval "$(deploy/local/stack env)"; set +a\n' +
        '  npm run bench:capture',
    );
  }
  const databases = (env.BENCH_DATABASES ?? 'mariadb,postgres')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  for (const d of databases) {
    if (d !== 'mariadb' && d !== 'postgres')
      throw new BenchEnvError(`BENCH_DATABASES: '${d}' is neither mariadb nor postgres`);
  }
  return {
    mysqlUrl: env.MYSQL_URL as string,
    mysqlAdminUrl: env.MYSQL_ADMIN_URL as string,
    pgUrl: env.PG_URL as string,
    pgAdminUrl: env.PG_ADMIN_URL as string,
    kafkaBrokers: (env.KAFKA_BROKERS as string).split(','),
    rows: positiveInt(env, 'BENCH_ROWS', 100_000),
    txRows: positiveInt(env, 'BENCH_TX_ROWS', 100),
    rate: positiveInt(env, 'BENCH_RATE', 200),
    seconds: positiveInt(env, 'BENCH_SECONDS', 20),
    databases: databases as DatabaseKind[],
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0)
    throw new BenchEnvError(`${name}: '${text}' is not a positive integer`);
  return value;
}

/** A name no other run uses: tests and other benches share the stack. Lower-case, so it is a valid slot name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
