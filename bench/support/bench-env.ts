import type { DatabaseKind } from '../../support/admin-database.js';
import { type StackEnv, StackEnvError, stackEnv } from '../../support/stack-env.js';

// What each benchmark needs from its environment and command line: the local
// stack's addresses (support/stack-env.ts; a missing one is reported with the
// commands that fix it) and the size of the run. bench:capture and
// bench:process take BENCH_* variables, bench:apply and bench:e2e flags.

/** A knob or flag that is not what the bench accepts. The stack's own variables throw its superclass. */
export class BenchEnvError extends StackEnvError {}

export interface CaptureBenchEnv extends StackEnv {
  /** Backlog rows per database for the throughput phase (BENCH_ROWS, default 100,000). */
  rows: number;
  /** Rows per backlog transaction (BENCH_TX_ROWS, default 100). */
  txRows: number;
  /** Single-row transactions per second in the latency phase (BENCH_RATE, default 200). */
  rate: number;
  /** Length of each latency phase (BENCH_SECONDS, default 20). */
  seconds: number;
  /** Which databases to measure (BENCH_DATABASES, default "mariadb,mysql,postgres"). */
  databases: DatabaseKind[];
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of each throughput phase (support/cpu-profile.ts). */
  cpuProfileDir: string | undefined;
}

const CAPTURE_DATABASES: readonly DatabaseKind[] = ['mariadb', 'mysql', 'postgres'];

/** BENCH_DATABASES: a comma-separated list of the kinds the bench runs on; all of them by default. */
function databaseList(env: NodeJS.ProcessEnv, known: readonly DatabaseKind[]): DatabaseKind[] {
  const databases = (env.BENCH_DATABASES ?? known.join(','))
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  for (const d of databases) {
    if (!known.includes(d as DatabaseKind))
      throw new BenchEnvError(`BENCH_DATABASES: '${d}' is none of ${known.join(', ')}`);
  }
  return databases as DatabaseKind[];
}

export function captureBenchEnv(env: NodeJS.ProcessEnv = process.env): CaptureBenchEnv {
  const databases = databaseList(env, CAPTURE_DATABASES);
  const stack = stackEnv({
    needs: [
      'KAFKA_BROKERS',
      ...(databases.includes('mariadb') ? (['MYSQL_URL', 'MYSQL_ADMIN_URL'] as const) : []),
      ...(databases.includes('mysql') ? (['ORACLE_MYSQL_URL', 'ORACLE_MYSQL_ADMIN_URL'] as const) : []),
      ...(databases.includes('postgres') ? (['PG_URL', 'PG_ADMIN_URL'] as const) : []),
    ],
    what: 'the capture benchmark',
    rerun: 'npm run bench:capture',
    env,
  });
  return {
    ...stack,
    rows: envInt(env, 'BENCH_ROWS', 100_000),
    txRows: envInt(env, 'BENCH_TX_ROWS', 100),
    rate: envInt(env, 'BENCH_RATE', 200),
    seconds: envInt(env, 'BENCH_SECONDS', 20),
    databases: databases as DatabaseKind[],
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

export interface ProcessorBenchEnv extends StackEnv {
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

export function processorBenchEnv(env: NodeJS.ProcessEnv = process.env): ProcessorBenchEnv {
  const stack = stackEnv({
    needs: ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS'],
    what: 'the processor benchmark',
    rerun: 'npm run bench:process',
    env,
  });
  return {
    ...stack,
    tenants: envInt(env, 'BENCH_TENANTS', 10_000),
    flaggedEvery: envInt(env, 'BENCH_FLAGGED_EVERY', 4),
    rate: envInt(env, 'BENCH_RATE', 100),
    seconds: envInt(env, 'BENCH_SECONDS', 20),
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

export interface SinkBenchEnv extends StackEnv {
  /** Nodes of 3 objects each (`--nodes N`, default 10,000). */
  nodes: number;
  /** Requests in flight, for the floor and as kubernetes.concurrency of the sink (`--concurrency N`, default 16). */
  concurrency: number;
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of the sink phase (support/cpu-profile.ts). */
  cpuProfileDir: string | undefined;
}

export function sinkBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): SinkBenchEnv {
  const stack = stackEnv({
    needs: ['KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the sink benchmark',
    rerun: 'npm run bench:apply',
    env,
  });
  const flags = parseFlags(
    argv,
    { '--nodes': 10_000, '--concurrency': 16 },
    'usage: bench:apply [--nodes N] [--concurrency N]',
  );
  return {
    ...stack,
    nodes: flags['--nodes'],
    concurrency: flags['--concurrency'],
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

export interface ReadinessBenchEnv extends StackEnv {
  /** Tenants of the readiness-gated bulk, 4 objects each (`--tenants N`, default 1,000). */
  tenants: number;
  /** Requests in flight: the sink's kubernetes.concurrency and the floor's (`--concurrency N`, default 16). */
  concurrency: number;
  /** Manual edits whose undo is timed (`--edits N`, default 20). */
  edits: number;
}

export function readinessBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): ReadinessBenchEnv {
  const stack = stackEnv({
    needs: ['KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the readiness benchmark',
    rerun: 'npm run bench:readiness',
    env,
  });
  const flags = parseFlags(
    argv,
    { '--tenants': 1_000, '--concurrency': 16, '--edits': 20 },
    'usage: bench:readiness [--tenants N] [--concurrency N] [--edits N]',
  );
  return {
    ...stack,
    tenants: flags['--tenants'],
    concurrency: flags['--concurrency'],
    edits: flags['--edits'],
  };
}

export interface E2eBenchEnv extends StackEnv {
  /** Tenants of the bulk insert, 3 objects each (`--tenants N`, default 10,000). */
  tenants: number;
  /** Length of the steady-rate phase (`--seconds N`, default 60). */
  seconds: number;
  /** Tenant updates per second in the steady-rate phase (`--rate N`, default 50). */
  rate: number;
  /** Requests in flight: the sink's kubernetes.concurrency and the floor's (`--concurrency N`, default 16). */
  concurrency: number;
  /** Which databases to run on, one after the other (BENCH_DATABASES, default "mariadb,postgres"). */
  databases: DatabaseKind[];
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of each database's latency phase. */
  cpuProfileDir: string | undefined;
}

const E2E_DATABASES: readonly DatabaseKind[] = ['mariadb', 'postgres'];

export function e2eBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): E2eBenchEnv {
  const databases = databaseList(env, E2E_DATABASES);
  const stack = stackEnv({
    needs: [
      'KAFKA_BROKERS',
      'KUBECONFIG',
      ...(databases.includes('mariadb') ? (['MYSQL_URL', 'MYSQL_ADMIN_URL'] as const) : []),
      ...(databases.includes('postgres') ? (['PG_URL', 'PG_ADMIN_URL'] as const) : []),
    ],
    what: 'the end-to-end benchmark',
    rerun: 'npm run bench:e2e',
    env,
  });
  const flags = parseFlags(
    argv,
    { '--tenants': 10_000, '--seconds': 60, '--rate': 50, '--concurrency': 16 },
    'usage: bench:e2e [--tenants N] [--seconds N] [--rate N] [--concurrency N]',
  );
  return {
    ...stack,
    tenants: flags['--tenants'],
    seconds: flags['--seconds'],
    rate: flags['--rate'],
    concurrency: flags['--concurrency'],
    databases,
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

/** A BENCH_* variable: a positive integer, `_` allowed as a separator. */
function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  return text === undefined || text === '' ? fallback : positiveInt(name, text);
}

function positiveInt(name: string, text: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0)
    throw new BenchEnvError(`${name}: '${text}' is not a positive integer`);
  return value;
}

/** The sink's schema allows at most this many requests in flight. */
const MAX_CONCURRENCY = 256;

/** `--nodes 500`, `--nodes=500`, …: each flag of `defaults` once, a positive integer. */
function parseFlags<F extends string>(
  argv: readonly string[],
  defaults: Record<F, number>,
  usage: string,
): Record<F, number> {
  const values = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const equals = arg.indexOf('=');
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    if (!Object.hasOwn(defaults, flag)) throw new BenchEnvError(`unknown argument '${arg}'; ${usage}`);
    const text = equals < 0 ? argv[++i] : arg.slice(equals + 1);
    if (text === undefined) throw new BenchEnvError(`${flag} needs a number; ${usage}`);
    values[flag as F] = positiveInt(flag, text);
  }
  const concurrency = (values as Record<string, number>)['--concurrency'];
  if (concurrency !== undefined && concurrency > MAX_CONCURRENCY)
    throw new BenchEnvError(
      `--concurrency: ${concurrency} is above ${MAX_CONCURRENCY}, the most the sink allows`,
    );
  return values;
}

/**
 * Takes `--name X` or `--name=X` out of argv: the choice (default when absent)
 * and the other arguments, for parseFlags, which knows only numbers.
 */
function takeChoice<C extends string>(
  argv: readonly string[],
  name: string,
  choices: readonly C[],
  fallback: C,
  usage: string,
): { choice: C; rest: string[] } {
  const rest: string[] = [];
  let choice = fallback;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg !== name && !arg.startsWith(`${name}=`)) {
      rest.push(arg);
      continue;
    }
    const text = arg === name ? argv[++i] : arg.slice(name.length + 1);
    if (!choices.includes(text as C))
      throw new BenchEnvError(`${name}: '${text ?? ''}' is not one of ${choices.join(', ')}; ${usage}`);
    choice = text as C;
  }
  return { choice, rest };
}

export interface FailoverBenchEnv extends StackEnv {
  /** The source's database (`--database mariadb|postgres`, default mariadb). */
  database: 'mariadb' | 'postgres';
  /** SIGKILLs of the capture leader (`--kills N`, default 10). */
  kills: number;
  /** Changes per second the writer makes throughout (`--rate N`, default 50). */
  rate: number;
  /** `rowkube run` replicas sharing the source (`--replicas N`, default 3). */
  replicas: number;
  /**
   * Rows the writer changes in turn, one ConfigMap each (`--rows N`, default 1,000): at 50/s a row comes
   * round every 20 s, longer than a takeover, so that each write's apply can be told apart.
   */
  rows: number;
}

export function failoverBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): FailoverBenchEnv {
  const usage =
    'usage: bench:failover [--database mariadb|postgres] [--kills N] [--rate N] [--replicas N] [--rows N]';
  const { choice: database, rest } = takeChoice(
    argv,
    '--database',
    ['mariadb', 'postgres'],
    'mariadb',
    usage,
  );
  const stack = stackEnv({
    needs: [
      ...(database === 'postgres'
        ? (['PG_URL', 'PG_ADMIN_URL'] as const)
        : (['MYSQL_URL', 'MYSQL_ADMIN_URL'] as const)),
      'KAFKA_BROKERS',
      'KUBECONFIG',
    ],
    what: 'the failover benchmark',
    rerun: 'npm run bench:failover',
    env,
  });
  const flags = parseFlags(rest, { '--kills': 10, '--rate': 50, '--replicas': 3, '--rows': 1_000 }, usage);
  if (flags['--replicas'] < 2) throw new BenchEnvError('--replicas: a failover needs at least 2');
  return {
    ...stack,
    database,
    kills: flags['--kills'],
    rate: flags['--rate'],
    replicas: flags['--replicas'],
    rows: flags['--rows'],
  };
}

export interface ScaleOutBenchEnv extends StackEnv {
  /** Tenants of each bulk insert, 3 objects each (`--tenants N`, default 1,500). */
  tenants: number;
  /** Requests in flight per replica and for the floor (`--concurrency N`, default 16). */
  concurrency: number;
  /** Kafka partitions of the run's topics, so that replicas can split the work (`--partitions N`, default 4). */
  partitions: number;
}

export function scaleOutBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): ScaleOutBenchEnv {
  const stack = stackEnv({
    needs: ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the scale-out benchmark',
    rerun: 'npm run bench:scale-out',
    env,
  });
  const flags = parseFlags(
    argv,
    { '--tenants': 1_500, '--concurrency': 16, '--partitions': 4 },
    'usage: bench:scale-out [--tenants N] [--concurrency N] [--partitions N]',
  );
  if (flags['--partitions'] < 2)
    throw new BenchEnvError('--partitions: two replicas need at least 2 to split');
  return {
    ...stack,
    tenants: flags['--tenants'],
    concurrency: flags['--concurrency'],
    partitions: flags['--partitions'],
  };
}

export interface ScaleBenchEnv extends StackEnv {
  /** Tenants of the bulk, 3 objects each (BENCH_TENANTS, default 100,000). */
  tenants: number;
  /** Requests in flight: the sink's kubernetes.concurrency and the floor's (BENCH_CONCURRENCY, default 16). */
  concurrency: number;
  /** The drift interval of the restarted process, whose first pass is measured (BENCH_DRIFT_SECONDS, default 60). */
  driftSeconds: number;
  /** BENCH_HEAP_SNAPSHOT: a directory for heap snapshots of the process after the bulk and after the restart (bench/support/heap-capture.ts). */
  heapSnapshotDir: string | undefined;
  /** BENCH_NODE_OPTIONS: node flags for the rowkube process only (e.g. --max-old-space-size=384, as a pod would set NODE_OPTIONS). */
  nodeOptions: string | undefined;
  /** BENCH_SKIP: phases left out, for quicker runs while iterating (`floor`, `drift`). */
  skip: ReadonlySet<ScalePhase>;
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of each rowkube process, start to exit (support/cpu-profile.ts). */
  cpuProfileDir: string | undefined;
}

/** The phases of bench:scale that BENCH_SKIP may leave out. */
export const SCALE_SKIPPABLE = ['floor', 'drift'] as const;
export type ScalePhase = (typeof SCALE_SKIPPABLE)[number];

function scaleSkip(text: string | undefined): ReadonlySet<ScalePhase> {
  return skipList(text, SCALE_SKIPPABLE);
}

export function scaleBenchEnv(env: NodeJS.ProcessEnv = process.env): ScaleBenchEnv {
  const stack = stackEnv({
    needs: ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the scale benchmark',
    rerun: 'npm run bench:scale',
    env,
  });
  const concurrency = envInt(env, 'BENCH_CONCURRENCY', 16);
  if (concurrency > MAX_CONCURRENCY)
    throw new BenchEnvError(
      `BENCH_CONCURRENCY: ${concurrency} is above ${MAX_CONCURRENCY}, the most the sink allows`,
    );
  return {
    ...stack,
    tenants: envInt(env, 'BENCH_TENANTS', 100_000),
    concurrency,
    driftSeconds: envInt(env, 'BENCH_DRIFT_SECONDS', 60),
    heapSnapshotDir: env.BENCH_HEAP_SNAPSHOT || undefined,
    nodeOptions: env.BENCH_NODE_OPTIONS || undefined,
    skip: scaleSkip(env.BENCH_SKIP),
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

export interface IdleBenchEnv extends StackEnv {
  /** Live tenants of the second window, 3 objects each (BENCH_TENANTS, default 10,000). */
  tenants: number;
  /** Length of each measured window (BENCH_IDLE_SECONDS, default 300). */
  seconds: number;
}

export function idleBenchEnv(env: NodeJS.ProcessEnv = process.env): IdleBenchEnv {
  const stack = stackEnv({
    needs: ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the idle-cost benchmark',
    rerun: 'npm run bench:idle',
    env,
  });
  return {
    ...stack,
    tenants: envInt(env, 'BENCH_TENANTS', 10_000),
    seconds: envInt(env, 'BENCH_IDLE_SECONDS', 300),
  };
}

export interface FairnessBenchEnv extends StackEnv {
  /** The bulk of new tenants, 3 objects each (BENCH_TENANTS, default 10,000). */
  tenants: number;
  /** kubernetes.concurrency of the run (BENCH_CONCURRENCY, default 16, as bench:idle). */
  concurrency: number;
  /** The steady stream alone, the floor (BENCH_STEADY_SECONDS, default 20). */
  steadySeconds: number;
  /** BENCH_NODE_OPTIONS: node flags for the rowkube process only (e.g. --max-old-space-size=256). */
  nodeOptions: string | undefined;
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of the rowkube process, start to exit (support/cpu-profile.ts). */
  cpuProfileDir: string | undefined;
}

export function fairnessBenchEnv(env: NodeJS.ProcessEnv = process.env): FairnessBenchEnv {
  const stack = stackEnv({
    needs: ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the fairness benchmark',
    rerun: 'npm run bench:fairness',
    env,
  });
  return {
    ...stack,
    tenants: envInt(env, 'BENCH_TENANTS', 10_000),
    concurrency: envInt(env, 'BENCH_CONCURRENCY', 16),
    steadySeconds: envInt(env, 'BENCH_STEADY_SECONDS', 20),
    nodeOptions: env.BENCH_NODE_OPTIONS || undefined,
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

export interface RolloutBenchEnv extends StackEnv {
  /** Tenants, one Deployment each, that the form change rolls out to (BENCH_TENANTS, default 10,000). */
  tenants: number;
  /** kubernetes.concurrency of the run and the floor's requests in flight (BENCH_CONCURRENCY, default 16). */
  concurrency: number;
  /** forms[].rollout.maxInProgress of the limited mode (BENCH_MAX_IN_PROGRESS, default 100). */
  maxInProgress: number;
  /**
   * Pods per Deployment (BENCH_REPLICAS, default 0): with pods, the stack's
   * controller manager, scheduler and kwok replace one per tenant at each
   * rollout, at a few per second.
   */
  replicas: number;
  /** BENCH_SKIP: phases left out, for quicker runs while iterating (`floor`, `limited`). */
  skip: ReadonlySet<RolloutPhase>;
}

/** The phases of bench:rollout that BENCH_SKIP may leave out. */
export const ROLLOUT_SKIPPABLE = ['floor', 'limited'] as const;
export type RolloutPhase = (typeof ROLLOUT_SKIPPABLE)[number];

export function rolloutBenchEnv(env: NodeJS.ProcessEnv = process.env): RolloutBenchEnv {
  const stack = stackEnv({
    needs: ['MYSQL_URL', 'MYSQL_ADMIN_URL', 'KAFKA_BROKERS', 'KUBECONFIG'],
    what: 'the rollout benchmark',
    rerun: 'npm run bench:rollout',
    env,
  });
  const concurrency = envInt(env, 'BENCH_CONCURRENCY', 16);
  if (concurrency > MAX_CONCURRENCY)
    throw new BenchEnvError(
      `BENCH_CONCURRENCY: ${concurrency} is above ${MAX_CONCURRENCY}, the most the sink allows`,
    );
  return {
    ...stack,
    tenants: envInt(env, 'BENCH_TENANTS', 10_000),
    concurrency,
    maxInProgress: envInt(env, 'BENCH_MAX_IN_PROGRESS', 100),
    replicas: env.BENCH_REPLICAS === '0' ? 0 : envInt(env, 'BENCH_REPLICAS', 0),
    skip: skipList(env.BENCH_SKIP, ROLLOUT_SKIPPABLE),
  };
}

/** BENCH_SKIP: a comma-separated list of phases, each one of `skippable`. */
function skipList<P extends string>(text: string | undefined, skippable: readonly P[]): ReadonlySet<P> {
  const names = (text ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const name of names)
    if (!(skippable as readonly string[]).includes(name))
      throw new BenchEnvError(
        `BENCH_SKIP: '${name}' is not a phase that can be skipped (${skippable.join(', ')})`,
      );
  return new Set(names as P[]);
}
