// What the processor benchmark needs from its environment: the local stack's
// MariaDB and Kafka (as `deploy/local/stack env` prints them) and its BENCH_*
// knobs. Like the capture bench it starts nothing itself, so a missing
// variable is reported with the commands that fix it.

export interface ProcessorBenchEnv {
  /** The capture user, as a deployment would configure it. */
  mysqlUrl: string;
  /** The writer: creates the tables and writes the rows, as an application would. */
  mysqlAdminUrl: string;
  kafkaBrokers: string[];
  /** Tenants in the backlog (BENCH_TENANTS, default 10,000): one node each. */
  tenants: number;
  /** Every n-th tenant gets two feature-flag rows (BENCH_FLAGGED_EVERY, default 4). */
  flaggedEvery: number;
  /** Tenant updates per second in the latency phases (BENCH_RATE, default 100). */
  rate: number;
  /** Length of each latency phase (BENCH_SECONDS, default 20). */
  seconds: number;
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of the processor's throughput phase. */
  cpuProfileDir: string | undefined;
}

const STACK_VARS = ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS'] as const;

export class ProcessorBenchEnvError extends Error {}

export function processorBenchEnv(env: NodeJS.ProcessEnv = process.env): ProcessorBenchEnv {
  const missing = STACK_VARS.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new ProcessorBenchEnvError(
      `${missing.join(', ')} not set: the processor benchmark runs against the local stack and starts nothing itself.\n` +
        'Bring the stack up and export its addresses, then run it again:\n' +
        '  deploy/local/stack up\n' +
        '  set -a; eval "$(deploy/local/stack env)"; set +a\n' +
        '  npm run bench:process',
    );
  }
  return {
    mysqlUrl: env.MYSQL_URL as string,
    mysqlAdminUrl: env.MYSQL_ADMIN_URL as string,
    kafkaBrokers: (env.KAFKA_BROKERS as string).split(','),
    tenants: positiveInt(env, 'BENCH_TENANTS', 10_000),
    flaggedEvery: positiveInt(env, 'BENCH_FLAGGED_EVERY', 4),
    rate: positiveInt(env, 'BENCH_RATE', 100),
    seconds: positiveInt(env, 'BENCH_SECONDS', 20),
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0)
    throw new ProcessorBenchEnvError(`${name}: '${text}' is not a positive integer`);
  return value;
}
