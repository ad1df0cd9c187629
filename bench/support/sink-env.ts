// What the sink benchmark needs from its environment and command line: the
// local stack's Kafka and Kubernetes addresses (as `deploy/local/stack env`
// prints them), how many nodes to apply and at what concurrency. The bench
// brings nothing up itself, so a missing variable is reported with the
// commands that fix it.

export interface SinkBenchEnv {
  kafkaBrokers: string[];
  /** The admin kubeconfig of the cluster both the floor and the sink apply to. */
  kubeconfig: string;
  /** Nodes of 3 objects each (`--nodes N`, default 10,000). */
  nodes: number;
  /** Requests in flight, for the floor and as kubernetes.concurrency of the sink (`--concurrency N`, default 16). */
  concurrency: number;
  /** BENCH_CPU_PROFILE: a directory for a CPU profile of the sink phase (support/cpu-profile.ts). */
  cpuProfileDir: string | undefined;
}

const STACK_VARS = ['KAFKA_BROKERS', 'KUBECONFIG'] as const;

export const DEFAULT_NODES = 10_000;
export const DEFAULT_CONCURRENCY = 16;

export class SinkBenchEnvError extends Error {}

export function sinkBenchEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): SinkBenchEnv {
  const missing = STACK_VARS.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new SinkBenchEnvError(
      `${missing.join(', ')} not set: the sink benchmark runs against the local stack and starts nothing itself.\n` +
        'Bring the stack up and export its addresses, then run it again:\n' +
        '  deploy/local/stack up\n' +
        '  set -a; eval "$(deploy/local/stack env)"; set +a\n' +
        '  npm run bench:apply',
    );
  }
  const options = parseArgs(argv);
  return {
    kafkaBrokers: (env.KAFKA_BROKERS as string).split(','),
    kubeconfig: env.KUBECONFIG as string,
    nodes: options.get('--nodes') ?? DEFAULT_NODES,
    concurrency: options.get('--concurrency') ?? DEFAULT_CONCURRENCY,
    cpuProfileDir: env.BENCH_CPU_PROFILE || undefined,
  };
}

const FLAGS = new Set(['--nodes', '--concurrency']);
/** The sink's schema allows at most this many requests in flight. */
const MAX_CONCURRENCY = 256;

/** `--nodes 500`, `--nodes=500`, `--concurrency 8`: each a positive integer. */
function parseArgs(argv: readonly string[]): Map<string, number> {
  const options = new Map<string, number>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    if (!FLAGS.has(flag as string))
      throw new SinkBenchEnvError(
        `unknown argument '${arg}'; usage: bench:apply [--nodes N] [--concurrency N]`,
      );
    const text = inline ?? argv[++i];
    if (text === undefined) throw new SinkBenchEnvError(`${flag} needs a number`);
    const value = Number(text.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0)
      throw new SinkBenchEnvError(`${flag}: '${text}' is not a positive integer`);
    if (flag === '--concurrency' && value > MAX_CONCURRENCY)
      throw new SinkBenchEnvError(
        `--concurrency: ${value} is above ${MAX_CONCURRENCY}, the most the sink allows`,
      );
    options.set(flag as string, value);
  }
  return options;
}
